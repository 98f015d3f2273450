// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "vigil",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vigil", targets: ["VigilTUI"]),
        .executable(name: "vigil-agent", targets: ["VigilAgent"]),
        .library(name: "VigilCore", targets: ["VigilCore"]),
        .library(name: "VigilWire", targets: ["VigilWire"]),
        // Replays inputs through the parsers; fuzz/run.sh builds it with libFuzzer.
        .executable(name: "vigil-fuzz", targets: ["VigilFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(name: "CNcurses", pkgConfig: "ncursesw", providers: [.apt(["libncursesw5-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLibYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .target(
            name: "VigilWire",
            dependencies: ["CZlib"],
            swiftSettings: strict
        ),
        .target(
            name: "VigilHTTP",
            dependencies: ["VigilWire", "CCurl"],
            swiftSettings: strict
        ),
        // libcurl loaded at run time, for the agent's https only (never linked into the agent).
        .target(name: "CDynCurl"),
        // Build-time generator of the embedded defaults (rules/, runbooks/, themes/), run by the plugin below.
        .executableTarget(name: "VigilEmbedGen", swiftSettings: strict),
        .plugin(name: "EmbedDefaults", capability: .buildTool(), dependencies: ["VigilEmbedGen"]),
        .target(
            name: "VigilCore",
            dependencies: [
                "VigilWire", "VigilHTTP",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict,
            plugins: ["EmbedDefaults"]
        ),
        // Console themes: the theme file format, colours and palettes, with no terminal I/O.
        .target(
            name: "VigilTheme",
            dependencies: ["VigilCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "VigilTUI",
            dependencies: [
                "VigilCore", "VigilTheme", "VigilAgentCore", "VigilSteps", "CNcurses",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "MCP", package: "swift-sdk"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "VigilAgentCore",
            dependencies: ["VigilWire", "CLibYAML", "CDynCurl"],
            swiftSettings: strict
        ),
        .target(
            name: "VigilSteps",
            dependencies: ["VigilWire", "VigilAgentCore"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "VigilAgent",
            dependencies: ["VigilAgentCore", "VigilSteps"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "VigilFuzz",
            dependencies: ["VigilWire", "VigilCore", "VigilTheme", "VigilAgentCore"],
            swiftSettings: strict
        ),
        // Helpers more than one test target needs (time scaling under the sanitizer, receivers, temp stores).
        .target(name: "VigilTestSupport", path: "Tests/VigilTestSupport", swiftSettings: strict),
        .testTarget(name: "VigilFuzzTests", dependencies: ["VigilFuzz", "VigilTestSupport"], swiftSettings: strict),
        .testTarget(name: "VigilWireTests", dependencies: ["VigilWire", "VigilHTTP", "VigilTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "VigilCoreTests",
            dependencies: ["VigilCore", "VigilHTTP", "VigilAgentCore", "VigilTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .testTarget(name: "VigilTUITests", dependencies: ["VigilTUI", "VigilTestSupport"], swiftSettings: strict),
        .testTarget(name: "VigilStepsTests", dependencies: ["VigilSteps", "VigilWire", "VigilAgentCore", "VigilTestSupport"], swiftSettings: strict),
        .testTarget(name: "VigilAgentTests", dependencies: ["VigilAgentCore", "VigilTestSupport"], resources: [.copy("Fixtures")], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)

import Foundation
import PackagePlugin

/// Compiles the repository's default files (`rules/`, `runbooks/`, `themes/`) into the target as Swift string
/// literals, so a `vigil` binary copied anywhere keeps its default rules, runbooks and themes. The YAML files stay
/// the one source of truth: the generated source is rebuilt whenever one of them changes, and never committed.
@main
struct EmbedDefaults: BuildToolPlugin {
    /// The folders embedded, relative to the package root.
    static let folders = ["rules", "runbooks", "themes"]

    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let root = context.package.directoryURL
        var inputs: [URL] = []
        for folder in Self.folders {
            let dir = root.appending(path: folder)
            let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
                .filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix(".") }
                .sorted()
            inputs += names.map { dir.appending(path: $0) }
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedDefaults+Files.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) default files (rules, runbooks, themes)",
                executable: try context.tool(named: "VigilEmbedGen").url,
                arguments: [output.path, root.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output]
            ),
        ]
    }
}

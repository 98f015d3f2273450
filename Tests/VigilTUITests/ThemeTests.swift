import VigilTheme
import Foundation
import Testing
@testable import VigilTUI

@Suite struct ThemeTests {
    func temporaryDirectory(_ files: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "vigil-theme-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        }
        return dir
    }

    @Test(arguments: ["default", "light", "high-contrast", "mono"])
    func shippedThemesLoadAndDefineEveryRole(name: String) throws {
        let theme = try ThemeLoader.load(name, directories: [Fixtures.themesDirectory])
        #expect(theme.name == name)
        #expect(Set(theme.styles.keys) == Set(Role.allCases), "\(name) misses \(Set(Role.allCases).subtracting(theme.styles.keys))")
    }

    @Test func defaultFileMatchesTheBuiltInDefault() throws {
        let theme = try ThemeLoader.load("default", directories: [Fixtures.themesDirectory])
        #expect(theme.styles == Theme.builtinDefault.styles)
    }

    @Test func colourSyntax() {
        #expect(ThemeColor.parse("default") == .terminalDefault)
        #expect(ThemeColor.parse("red") == .index(1))
        #expect(ThemeColor.parse("bright-blue") == .index(12))
        #expect(ThemeColor.parse("grey") == .index(8))
        #expect(ThemeColor.parse("214") == .index(214))
        #expect(ThemeColor.parse("#ff0000") == .index(196))
        #expect(ThemeColor.parse("#5fafff") == .index(75))
        #expect(ThemeColor.parse("#808080") == .index(244))
        #expect(ThemeColor.parse("256") == nil)
        #expect(ThemeColor.parse("#12") == nil)
        #expect(ThemeColor.parse("purplish") == nil)
    }

    @Test func missingRolesFallBackToRelatedRoleThenBuiltIn() throws {
        let yaml = """
        name: partial
        roles:
          title: { fg: red, attrs: [bold] }
          muted: 244
          critical: { fg: "#ff0000" }
        """
        let theme = try ThemeLoader.parse(yaml, path: "partial.yaml", defaultName: "partial")
        #expect(theme.style(for: .hintKey) == ThemeStyle(fg: .index(1), attributes: [.bold])) // hint-key → title
        #expect(theme.style(for: .borderFocus).fg == .index(1))                               // border-focus → title
        #expect(theme.style(for: .border).fg == .index(244))                                  // border → muted
        #expect(theme.style(for: .hintText).fg == .index(244))                                // hint-text → muted
        #expect(theme.style(for: .error).fg == .index(196))                                   // error → critical
        #expect(theme.style(for: .ok) == Theme.builtinDefault.styles[.ok])                    // nothing related: built-in
        #expect(theme.style(for: .sparkline) == Theme.builtinDefault.styles[.sparkline])
    }

    @Test func malformedYAMLNamesFileAndLine() throws {
        let dir = try temporaryDirectory(["broken.yaml": "name: broken\nroles:\n  text: { fg: red\n  ok: green\n"])
        do {
            _ = try ThemeLoader.load("broken", directories: [dir])
            Issue.record("should fail")
        } catch {
            #expect(error.file == dir + "/broken.yaml")
            #expect(error.line == 4, "\(error)")
            #expect(error.description.hasPrefix(dir + "/broken.yaml:4:"))
            #expect(error.description.contains("YAML syntax error"))
        }
    }

    @Test func badValuesNameTheLine() {
        let cases: [(String, Int, String)] = [
            ("roles:\n  text: default\n  ok: { fg: purplish }\n", 3, "bad colour 'purplish' for role 'ok'"),
            ("roles:\n  okay: green\n", 2, "unknown role 'okay'"),
            ("roles:\n  ok: { fg: green, attrs: [bold, blink] }\n", 2, "unknown attribute 'blink'"),
            ("name: x\ncolours:\n  ok: green\n", 2, "unknown key 'colours'"),
            ("name: x\n", 1, "missing 'roles:'"),
        ]
        for (yaml, line, message) in cases {
            do {
                _ = try ThemeLoader.parse(yaml, path: "t.yaml", defaultName: "t")
                Issue.record("should fail: \(yaml)")
            } catch {
                #expect(error.line == line, "\(error)")
                #expect(error.message.contains(message), "\(error)")
                #expect(error.description.hasPrefix("t.yaml:\(line)"))
            }
        }
    }

    @Test func unknownOrBrokenThemeFallsBackToDefaultWithAnError() throws {
        let dir = try temporaryDirectory(["broken.yaml": "roles:\n  ok: { fg: purplish }\n"])
        let unknown = ThemeLoader.loadOrFallback("solarized", directories: [Fixtures.themesDirectory])
        #expect(unknown.theme.name == "default")
        #expect(unknown.error == "theme solarized.yaml: unknown theme 'solarized' (available: default high-contrast light mono); using default")
        let broken = ThemeLoader.loadOrFallback("broken", directories: [dir, Fixtures.themesDirectory])
        #expect(broken.theme.name == "default")
        #expect(broken.error?.contains("broken.yaml:2:") == true, "\(broken.error ?? "")")
        let nowhere = ThemeLoader.loadOrFallback("nope", directories: [])
        #expect(nowhere.theme.name == "default" && nowhere.theme.styles == Theme.builtinDefault.styles,
                "with no theme directory the built-in default (embedded) is used")
        #expect(nowhere.error?.contains("available: default high-contrast light mono") == true, "embedded themes are listed")
        // The themes built into the binary need no directory at all.
        #expect(try ThemeLoader.load("light", directories: []).path == "embedded:themes/light.yaml")
        #expect(ThemeLoader.available(in: [Fixtures.themesDirectory]) == ["default", "high-contrast", "light", "mono"])
    }

    @Test func paletteDowngradesColours() {
        let p256 = Palette.compile(.builtinDefault, mode: .color256)
        let p8 = Palette.compile(.builtinDefault, mode: .color8)
        let mono = Palette.compile(.builtinDefault, mode: .monochrome)
        func fg(_ p: Palette, _ role: Role) -> Int? {
            let n = p.entry(role).pair
            return p.pairs.first { $0.number == n }?.fg
        }
        #expect(fg(p256, .ok) == 78)
        #expect(fg(p8, .ok) == 2)           // green
        #expect(fg(p8, .critical) == 1)     // red
        #expect(fg(p8, .warning) == 3)      // yellow
        #expect(p8.pairs.allSatisfy { $0.fg < 8 && $0.bg < 8 })
        #expect(p256.entry(.text).pair == 0)
        #expect(mono.pairs.isEmpty)
        #expect(mono.entry(.selection).attributes.contains(.reverse))
        #expect(mono.entry(.critical).attributes.contains(.bold))
        // Pairs are shared between roles with the same colours.
        #expect(p256.entry(.info).pair == p256.entry(.sparkline).pair)
        #expect(Palette.compile(.builtinDefault, mode: .color256, maxPairs: 3).pairs.count == 2)
    }

    @Test func noColorIsHonoured() {
        #expect(ColorMode.detect(hasColors: true, colors: 256, environment: ["NO_COLOR": "1"]) == .monochrome)
        #expect(ColorMode.detect(hasColors: true, colors: 256, environment: ["NO_COLOR": ""]) == .color256)
        #expect(ColorMode.detect(hasColors: true, colors: 8, environment: [:]) == .color8)
        #expect(ColorMode.detect(hasColors: true, colors: 16, environment: [:]) == .color16)
        #expect(ColorMode.detect(hasColors: false, colors: 0, environment: [:]) == .monochrome)
    }
}

import Testing
@testable import VigilTUI

@Suite struct CommandLineTests {
    @Test func parsesCommandsAndAliases() throws {
        #expect(try CommandParser.parse("hosts") == .hosts)
        #expect(try CommandParser.parse(":dash") == .hosts)
        #expect(try CommandParser.parse("host web-1") == .host("web-1"))
        #expect(try CommandParser.parse("  h web-1") == .host("web-1"))
        #expect(try CommandParser.parse("hosts db-1") == .host("db-1"))
        #expect(try CommandParser.parse("q") == .quit)
        #expect(try CommandParser.parse("quit") == .quit)
        #expect(try CommandParser.parse("exit") == .quit)
        #expect(try CommandParser.parse("theme light") == .theme("light"))
        #expect(try CommandParser.parse("theme") == .theme(nil))
        #expect(try CommandParser.parse("help") == .help)
        #expect(try CommandParser.parse("?") == .help)
        #expect(try CommandParser.parse("refresh") == .refresh)
        #expect(try CommandParser.parse("r") == .rules)
    }

    @Test func rejectsBadCommandsWithUsage() {
        #expect(throws: CommandError(message: "usage: :host NAME")) { try CommandParser.parse("host") }
        #expect(throws: CommandError.self) { try CommandParser.parse("frobnicate") }
        #expect((try? CommandParser.parse("frobnicate")) == nil)
        do {
            _ = try CommandParser.parse("frobnicate")
        } catch {
            #expect(error.message.contains("unknown command :frobnicate"))
        }
    }

    @Test func completesCommandsHostsAndThemes() {
        #expect(CommandParser.complete("th", hosts: [], themes: []).line == "theme ")
        let ho = CommandParser.complete("ho", hosts: [], themes: [])
        #expect(ho.line == "host")
        #expect(ho.candidates == ["hosts", "host"])
        #expect(CommandParser.complete("host we", hosts: ["web-1", "web-2", "db-1"], themes: []).line == "host web-")
        #expect(CommandParser.complete("host d", hosts: ["web-1", "web-2", "db-1"], themes: []).line == "host db-1 ")
        #expect(CommandParser.complete("theme hi", hosts: [], themes: ["default", "high-contrast"]).line == "theme high-contrast ")
        #expect(CommandParser.complete("zz", hosts: [], themes: []).candidates.isEmpty)
    }

    @Test func lineEditorEditsAndBrowsesHistory() {
        var editor = LineEditor(prompt: ":", history: ["hosts", "host web-1"])
        for c in "thme" { _ = editor.handle(.char(c)) }
        _ = editor.handle(.left)
        _ = editor.handle(.left)
        _ = editor.handle(.char("e"))
        #expect(editor.text == "theme")
        #expect(editor.cursor == 3)
        let up = editor.handle(.up)
        #expect(up == .edited)
        #expect(editor.text == "host web-1")
        _ = editor.handle(.up)
        #expect(editor.text == "hosts")
        _ = editor.handle(.up)
        #expect(editor.text == "hosts")
        _ = editor.handle(.down)
        _ = editor.handle(.down)
        #expect(editor.text == "theme")
        _ = editor.handle(.ctrl("w"))
        #expect(editor.text == "")
        let backspace = editor.handle(.backspace)
        #expect(backspace == .cancelled)
        let tab = editor.handle(.tab)
        #expect(tab == .completionRequested)
        _ = editor.handle(.char("q"))
        let enter = editor.handle(.enter)
        #expect(enter == .submitted("q"))
        #expect(LineEditor.appending("hosts", to: ["hosts", "q"]) == ["q", "hosts"])
    }
}

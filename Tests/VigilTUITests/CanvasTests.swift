import Testing
@testable import VigilTUI

@Suite struct CanvasTests {
    @Test func putClipsToWidthAndCanvas() {
        var canvas = Canvas(width: 10, height: 2)
        #expect(canvas.put("hello world", x: 2, y: 0) == 8)
        #expect(canvas.put("abc", x: 0, y: 1, maxWidth: 2) == 2)
        #expect(canvas.lines() == ["  hello wo", "ab        "])
        #expect(canvas.put("x", x: 0, y: 5) == 0)
    }

    @Test func wideCharactersTakeTwoCells() {
        var canvas = Canvas(width: 6, height: 1)
        canvas.put("日本x", x: 0, y: 0)
        #expect(canvas.lines() == ["日本x "])
        #expect(canvas[1, 0].isContinuation)
        #expect(TextWidth.of("日本x") == 5)
    }

    @Test func boxUsesUnicodeOrASCII() {
        var u = Canvas(width: 12, height: 3, glyphs: .unicode)
        u.box(u.bounds, title: "Hosts")
        #expect(u.lines() == ["┌─ Hosts ──┐", "│          │", "└──────────┘"])
        var a = Canvas(width: 12, height: 3, glyphs: .ascii)
        a.box(a.bounds, title: "Hosts")
        #expect(a.lines() == ["+- Hosts --+", "|          |", "+----------+"])
    }

    @Test func truncateAndFit() {
        #expect(TextWidth.truncate("web-server-01", to: 8) == "web-ser…")
        #expect(TextWidth.truncate("web-server-01", to: 8, ellipsis: "~") == "web-ser~")
        #expect(TextWidth.fit("42", to: 5, alignRight: true) == "   42")
        #expect(TextWidth.fit("ok", to: 4) == "ok  ")
    }

    @Test func spansKeepTheirRoles() {
        var canvas = Canvas(width: 8, height: 1)
        canvas.put([Span("ab", .ok), Span("cd", .critical)], x: 0, y: 0, maxWidth: 8)
        #expect(canvas.roles(row: 0).prefix(4) == [.ok, .ok, .critical, .critical])
    }
}

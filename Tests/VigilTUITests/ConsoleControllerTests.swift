import Testing
@testable import VigilTUI
import VigilCore

@Suite struct ConsoleControllerTests {
    func controller(readOnly: Bool = false) -> ConsoleController {
        let c = ConsoleController(readOnly: readOnly, storeDescription: "sqlite /tmp/vigil.db",
                                  listenerDescription: "listening 127.0.0.1:9470",
                                  themeDirectories: [Fixtures.themesDirectory])
        c.receive(.fleet(Fixtures.fleet), now: Fixtures.now)
        return c
    }

    func screen(_ c: ConsoleController, width: Int = 120, height: Int = 30, now: Int64 = Fixtures.now, glyphs: Glyphs = .unicode) -> Canvas {
        var canvas = Canvas(width: width, height: height, glyphs: glyphs)
        c.render(into: &canvas, now: now)
        return canvas
    }

    func type(_ text: String, into c: ConsoleController) {
        for ch in text { c.handle(.char(ch), now: Fixtures.now) }
    }

    @Test func layoutTopBarPaneHintsAndStatus() {
        let c = controller()
        let lines = screen(c, now: Fixtures.now + 1_000).lines()
        #expect(lines[0].hasPrefix(" vigil › hosts"))
        #expect(lines[1].contains("5 hosts"))
        #expect(lines[2].contains("Hosts (5)"))
        #expect(lines[28].contains("q quit"))
        #expect(lines[29].contains("sqlite /tmp/vigil.db · listening 127.0.0.1:9470 · live"), "\(lines[29])")
        #expect(!c.isDirty)
    }

    @Test func tooSmallScreen() {
        let c = controller()
        let text = screen(c, width: 59, height: 20).text
        #expect(text.contains("terminal too small: need 60×12 (have 59×20)"), "\(text)")
        let tiny = screen(c, width: 20, height: 5, glyphs: .ascii).text
        #expect(tiny.contains("terminal too"))
        #expect(tiny.contains("need 60x12") && tiny.contains("20x5)"), "\(tiny)")
        #expect(screen(c, width: 60, height: 12).text.contains("Hosts (5)"))
        // Degenerate sizes never crash.
        _ = screen(c, width: 0, height: 0)
        _ = screen(c, width: 1, height: 1)
    }

    @Test func filterLineAppliesLiveAndReportsNoMatch() {
        let c = controller()
        c.handle(.char("/"), now: Fixtures.now)
        type("db", into: c)
        var canvas = screen(c)
        #expect(canvas.lines()[28].hasPrefix("/db"))
        #expect(c.cursor?.x == 3 && c.cursor?.y == 28)
        #expect(canvas.text.contains("Hosts (1 of 5) /db"))
        c.handle(.enter, now: Fixtures.now)
        #expect(c.top.filterText == "db")
        // A filter matching nothing says so on the status line.
        c.handle(.char("/"), now: Fixtures.now)
        c.handle(.ctrl("u"), now: Fixtures.now)
        type("foo", into: c)
        c.handle(.enter, now: Fixtures.now)
        canvas = screen(c)
        #expect(canvas.lines()[29].contains("no host matches /foo"), "\(canvas.lines()[29])")
        // Esc while editing restores the previous filter; Esc on the root clears it.
        c.handle(.char("/"), now: Fixtures.now)
        type("web", into: c)
        c.handle(.escape, now: Fixtures.now)
        #expect(c.top.filterText == "foo")
        c.handle(.escape, now: Fixtures.now)
        #expect(c.top.filterText == "")
        // An invalid regex is an error, not a crash.
        c.handle(.char("/"), now: Fixtures.now)
        type("web[", into: c)
        c.handle(.enter, now: Fixtures.now)
        #expect(screen(c).lines()[29].contains("bad filter /web["))
    }

    @Test func commandLineOpensHostDetailAndBack() {
        let c = controller()
        c.handle(.char(":"), now: Fixtures.now)
        type("host db", into: c)
        c.handle(.tab, now: Fixtures.now)
        #expect(screen(c).lines()[28].hasPrefix(":host db-1 "))
        c.handle(.enter, now: Fixtures.now)
        #expect((c.top as? HostDetailPane)?.name == "db-1")
        #expect(c.subscribedHost == "db-1")
        #expect(c.takeEffects().contains(.refreshNow))
        #expect(screen(c).lines()[0].hasPrefix(" vigil › hosts › db-1"))
        // The detail shows the summary from the latest snapshot before its own data arrives.
        #expect(screen(c).text.contains("health 34"))
        c.receive(.detail(name: "db-1", Fixtures.detail), now: Fixtures.now)
        #expect(screen(c).text.contains("upstream timed out"))
        c.handle(.escape, now: Fixtures.now)
        #expect(c.top is DashboardPane)
        #expect(c.subscribedHost == nil)
        // History: Up recalls the last command.
        c.handle(.char(":"), now: Fixtures.now)
        c.handle(.up, now: Fixtures.now)
        #expect(screen(c).lines()[28].hasPrefix(":host db-1"))
        c.handle(.escape, now: Fixtures.now)
    }

    @Test func commandErrorsAndUnknownHosts() {
        let c = controller()
        c.handle(.char(":"), now: Fixtures.now)
        type("host nope", into: c)
        c.handle(.enter, now: Fixtures.now)
        #expect(screen(c).lines()[29].contains("no host nope"))
        c.handle(.char(":"), now: Fixtures.now)
        type("bogus", into: c)
        c.handle(.enter, now: Fixtures.now)
        #expect(screen(c).lines()[29].contains("unknown command :bogus"))
        c.run(.host("web"), now: Fixtures.now)
        #expect(screen(c).lines()[29].contains("ambiguous host web: web-1 web-2"))
        c.run(.host("cache"), now: Fixtures.now)
        #expect((c.top as? HostDetailPane)?.name == "cache-1")
        c.run(.hosts, now: Fixtures.now)
        #expect(c.stack.count == 1)
    }

    @Test func quitOnRootBackElsewhere() {
        let c = controller()
        c.handle(.enter, now: Fixtures.now)
        #expect(c.stack.count == 2)
        c.handle(.char("q"), now: Fixtures.now)
        #expect(c.stack.count == 1)
        _ = c.takeEffects()
        c.handle(.char("q"), now: Fixtures.now)
        #expect(c.takeEffects() == [.quit])
        c.handle(.char(":"), now: Fixtures.now)
        type("q", into: c)
        c.handle(.enter, now: Fixtures.now)
        #expect(c.takeEffects() == [.quit])
        c.handle(.ctrl("l"), now: Fixtures.now)
        #expect(c.takeEffects() == [.fullRedraw])
    }

    @Test func themeCommandSwitchesOrExplains() {
        let c = controller()
        c.run(.theme("light"), now: Fixtures.now)
        #expect(c.theme.name == "light")
        #expect(c.takeEffects() == [.themeChanged])
        c.run(.theme("nope"), now: Fixtures.now)
        #expect(c.theme.name == "light")
        #expect(screen(c).lines()[29].contains("unknown theme 'nope'"))
        c.run(.theme(nil), now: Fixtures.now)
        #expect(screen(c).lines()[29].contains("available: default high-contrast light mono"))
    }

    @Test func readerErrorsShowOnTheStatusLine() {
        let c = controller()
        c.receive(.fleetError("database is locked"), now: Fixtures.now + 5_000)
        let status = screen(c, now: Fixtures.now + 5_000).lines()[29]
        #expect(status.contains("refresh failed: database is locked"))
        #expect(status.contains("live"), "5 s is within the refresh grace")
        let stalled = screen(c, now: Fixtures.now + 15_000).lines()[29]
        #expect(stalled.contains("refreshed 15s ago"), "past the grace the age shows:\n\(stalled)")
        c.receive(.fleet(Fixtures.fleet), now: Fixtures.now + 6_000)
        #expect(!screen(c, now: Fixtures.now + 6_000).lines()[29].contains("refresh failed"))
    }

    @Test func transientMessagesExpire() {
        let c = controller()
        c.showMessage("hello there", isError: false, now: Fixtures.now)
        #expect(screen(c, now: Fixtures.now + 1_000).lines()[29].contains("hello there"))
        #expect(!screen(c, now: Fixtures.now + 10_000).lines()[29].contains("hello there"))
    }

    @Test func asciiScreenHasNoUnicode() {
        let c = controller()
        let text = screen(c, glyphs: .ascii).text
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII }, "\(text)")
        #expect(text.contains("vigil > hosts"))
        #expect(text.contains("sqlite /tmp/vigil.db | listening"))
    }
}

import Foundation
import Testing
@testable import VigilTUI
import VigilCore
import VigilWire

/// The audit pane on a real SQLite store: entries by user, action and time, and the chain's state, intact and
/// then tampered with (an edited anchor file).
@Suite struct AuditPaneTests {
    @Test func entriesFiltersAndTheChainsState() async throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.file("vigil.db"))
        let now = WallClock.nowMs()
        _ = try await store.audit(actor: "alice", action: "token.create", target: "tok_1", detail: "fleet", now: now - 2 * 86_400_000)
        _ = try await store.audit(actor: "bob", action: "alert.ack", target: "3f2a", detail: "expanding the volume", now: now - 60_000)
        _ = try await store.audit(actor: "alice", action: "alert.note", target: "3f2a", detail: "it is the backup job", now: now - 30_000)
        try await AuditAnchorFile.of(store)!.anchor(store, now: now)
        let fetcher = AuditFetcher()
        let pane = AuditPane()
        func feed() async {
            guard let interest = pane.pollInterest.audit else { Issue.record("the pane asks for the audit log"); return }
            _ = pane.receive(await fetcher.fetch(store, interest, now: now), now: now)
        }
        await feed()
        #expect(pane.table.rows.map(\.entry.action) == ["alert.note", "alert.ack", "token.create"], "newest first, the last 7 days")
        var canvas = Fixtures.render(pane, width: 160, height: 30)
        #expect(canvas.text.contains("chain intact · 3 entries, every hash matches · 1 anchors match"), "\(canvas.text)")
        #expect(canvas.text.contains("#3") && canvas.text.contains("it is the backup job"), "the selected entry in full")

        // u: one user; a: an action prefix; t: the range.
        guard case .prompt(_, _, let byUser) = pane.keyMap.action(for: .char("u"))!.handler() else { Issue.record("u asks"); return }
        _ = byUser("alice")
        await feed()
        #expect(pane.table.rows.map(\.entry.action) == ["alert.note", "token.create"])
        guard case .prompt(_, _, let byAction) = pane.keyMap.action(for: .char("a"))!.handler() else { Issue.record("a asks"); return }
        _ = byAction("alert.")
        await feed()
        #expect(pane.table.rows.map(\.entry.action) == ["alert.note"])
        _ = byUser("")
        _ = byAction("")
        _ = pane.keyMap.action(for: .char("t"))!.handler()
        _ = pane.keyMap.action(for: .char("t"))!.handler()
        _ = pane.keyMap.action(for: .char("t"))!.handler()
        _ = pane.keyMap.action(for: .char("t"))!.handler()
        #expect(pane.interest.range == .h24)
        await feed()
        #expect(pane.table.rows.count == 2, "the token made two days ago is outside the last 24 h")

        // Someone edits the anchor file: v checks again at once, and the pane says TAMPERED in the critical colour.
        let anchors = AuditAnchorFile.of(store)!.path
        let handle = try #require(FileHandle(forWritingAtPath: anchors))
        handle.seekToEndOfFile()
        handle.write(Data("not an anchor\n".utf8))
        try handle.close()
        _ = pane.keyMap.action(for: .char("v"))!.handler()
        await feed()
        canvas = Fixtures.render(pane, width: 160, height: 30)
        let line = canvas.lines()[0]
        #expect(line.contains("TAMPERED · ") && line.contains("not an anchor line"), "\(line)")
        let x = try #require(line.range(of: "TAMPERED").map { line.distance(from: line.startIndex, to: $0.lowerBound) })
        #expect(canvas[x, 0].role == .critical)
        // And at 80 columns it still fits.
        canvas = Fixtures.render(pane, width: 80, height: 24)
        #expect(canvas.text.contains("TAMPERED") && canvas.text.contains("alert.note"))
    }

    @Test func theCommandOpensIt() throws {
        #expect(try CommandParser.parse(":audit") == .audit)
        #expect(try CommandParser.parse("au") == .audit)
    }
}

import Foundation
import Testing
@testable import VigilTUI
import VigilCore
import VigilWire

/// The logs pane's follow mode: the pure state, the pane's keys, and the worker on a real SQLite store whose commits
/// push the lines.
@Suite struct LogFollowTests {
    let now = Fixtures.now
    let request = LogTailRequest(host: nil, query: "")

    func line(_ n: Int, source: String = "/var/log/app.log", host: String = "web-1") -> StoredLog {
        StoredLog(id: Int64(n), host: host, ts: now + Int64(n), source: source, level: .info, message: "line \(n)")
    }

    func update(_ range: Range<Int>, backlog: Bool = false, dropped: Int = 0, source: String = "/var/log/app.log") -> LogTailUpdate {
        LogTailUpdate(request: request, lines: range.map { line($0, source: source) }, dropped: dropped, backlog: backlog, pushed: true)
    }

    @Test func newestOnTopBoundedPausedAndResumed() {
        var f = LogFollow(request: request, capacity: 5)
        var changed = f.receive(update(0..<3, backlog: true), now: now)
        #expect(changed && f.lines.map(\.id) == [2, 1, 0] && f.started)
        changed = f.receive(update(3..<7), now: now)
        #expect(changed && f.lines.map(\.id) == [6, 5, 4, 3, 2], "newest first, the oldest falls off past the capacity")
        f.pause()
        changed = f.receive(update(7..<15, dropped: 4), now: now)
        #expect(!changed, "paused: nothing moves on screen")
        #expect(f.lines.first?.id == 6 && f.heldCount == 8 && f.dropped == 4 + 3, "held beyond the capacity are dropped")
        changed = f.resume()
        #expect(changed && f.lines.map(\.id) == [14, 13, 12, 11, 10] && f.heldCount == 0 && !f.paused)
        changed = f.receive(LogTailUpdate(request: LogTailRequest(host: "web-2", query: ""), lines: [line(99)], dropped: 0, backlog: false, pushed: true), now: now)
        #expect(!changed, "another tail's lines are not this one's")
    }

    @Test func ratesArePerSourceOverTenSeconds() {
        var r = SourceRates()
        for i in 0..<50 { r.count(source: "/var/log/nginx/error.log", host: "web-3", at: now + Int64(i * 100)) }
        for i in 0..<10 { r.count(source: "/var/log/app.log", host: "web-1", at: now + Int64(i * 500)) }
        let top = r.top(2, now: now + 5_000)
        #expect(top.map(\.source) == ["web-3 error.log", "web-1 app.log"])
        #expect(top.map(\.perSecond) == [5, 1])
        #expect(r.total(now: now + 5_000) == 6)
        #expect(r.total(now: now + 20_000) == 0, "the window has moved past them")
    }

    @Test func thePaneFollowsPausesOnScrollAndResumesAtTheTop() throws {
        let pane = LogsPane()
        _ = pane.toggleFollow(now: now)
        #expect(pane.isFollowing && pane.focus == .lines)
        #expect(pane.pollInterest.logs?.follow == request && pane.pollInterest.logs?.lines == nil, "followed lines are pushed, not polled")
        #expect(pane.receive(.logs(.tail(update(0..<20, backlog: true))), now: now))
        #expect(pane.lines.rows.count == 20 && pane.lines.selected?.id == 19)
        _ = pane.receive(.logs(.tail(update(20..<30, source: "/var/log/nginx/error.log"))), now: now)
        #expect(pane.lines.selected?.id == 29, "at the top the view follows the newest line")
        var title = Fixtures.render(pane, height: 40).text
        #expect(title.contains("Following · 1.0 lines/s (web-1 error.log 1.0/s)"), "\(title)")
        // j: off the newest line, the view pauses and counts what arrives.
        let keys = pane.keyMap
        _ = keys.action(for: .char("j"))?.handler()
        _ = pane.receive(.logs(.tail(update(30..<35))), now: now)
        #expect(pane.lines.rows.count == 30 && pane.follow?.paused == true)
        title = Fixtures.render(pane, height: 40).text
        #expect(title.contains("paused: 5 new (g: newest)"), "\(title)")
        // g: back to the newest, what was held is shown.
        _ = pane.keyMap.action(for: .char("g"))?.handler()
        #expect(pane.lines.rows.count == 35 && pane.lines.selected?.id == 34 && pane.follow?.paused == false)
        // f again: stop following (no search: the box closes).
        _ = pane.keyMap.action(for: .char("f"))?.handler()
        #expect(!pane.isFollowing && pane.linesMode == nil && pane.pollInterest.logs?.follow == nil)
    }

    @Test func followingASearchMarksItsMatchesAndAMistakeChangesNothing() {
        let pane = LogsPane(host: "web-1")
        _ = pane.search("level>=warning", now: now)
        _ = pane.toggleFollow(now: now)
        #expect(pane.follow?.request == LogTailRequest(host: "web-1", query: "level>=warning"))
        guard case .message(let why, isError: true) = pane.search("level>=eror", now: now) else {
            Issue.record("a bad query while following is an error message")
            return
        }
        #expect(why.contains("at character 8") && pane.follow?.request.query == "level>=warning")
        _ = pane.search("timed", now: now)
        #expect(pane.isFollowing && pane.follow?.request.query == "timed", "s while following changes what is followed")
        _ = pane.toggleFollow(now: now)
        #expect(pane.linesMode == .search("timed"), "f again: back to the search's stored lines")
    }

    /// The worker on a real store: the newest stored lines first, then committed lines pushed within the flush
    /// delay, filtered by the query; stopping cancels the subscription.
    @Test func theWorkerPushesCommittedLinesFromTheStore() async throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.file("vigil.db"))
        let t = WallClock.nowMs()
        _ = try await store.ingest(IngestBatch(host: "web-1", logs: [LogEntry(ts: t - 1000, source: "app", level: .error, message: "old failure")]), receivedAt: t)
        let mailbox = Mailbox(pipe: try WakePipe())
        let worker = LogTailWorker(store: store, mailbox: mailbox, pushed: true)
        let request = LogTailRequest(host: nil, query: "level>=error")
        worker.want(request)
        func updates() -> [LogTailUpdate] { mailbox.drain().compactMap { if case .logs(.tail(let u)) = $0 { u } else { nil } } }
        var got: [LogTailUpdate] = []
        for _ in 0..<1500 where got.isEmpty { try await Task.sleep(for: .milliseconds(20)); got += updates() }
        #expect(got.first?.backlog == true && got.first?.lines.map(\.message) == ["old failure"])
        #expect(store.logBus.subscriberCount == 1)
        _ = try await store.ingest(IngestBatch(host: "web-2", logs: [LogEntry(ts: t, source: "app", level: .info, message: "fine"),
                                                                     LogEntry(ts: t, source: "app", level: .critical, message: "new failure")]), receivedAt: t)
        got = []
        for _ in 0..<1500 where got.isEmpty { try await Task.sleep(for: .milliseconds(20)); got += updates() }
        #expect(got.map { $0.lines.map(\.message) } == [["new failure"]] && got.first?.backlog == false && got.first?.pushed == true)
        worker.want(nil)
        #expect(store.logBus.subscriberCount == 0)
    }
}

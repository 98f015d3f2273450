import ArgumentParser
import Foundation
import Testing
@testable import VigilCore
@testable import VigilTUI
import VigilWire

/// `vigil report` and `vigil topology` parse and run against a temporary SQLite store (no AI key needed).
@Suite struct ReportTopologyCommandTests {
    /// The commands block on `Blocking.run` as they do in `vigil`: they run on a thread of their own, never on the
    /// cooperative pool (2 threads on 2 cores), which other tests' engines need. The thread reports what it saw;
    /// the expectations are checked here, in the test's task.
    @Test func reportAndTopologyCommandsRun() async throws {
        let seen = try await withCheckedThrowingContinuation { (c: CheckedContinuation<[(String, Bool)], any Error>) in
            Thread {
                do { c.resume(returning: try Self.runCommands()) } catch { c.resume(throwing: error) }
            }.start()
        }
        #expect(seen.count == 6)
        for (what, ok) in seen { #expect(ok, "\(what)") }
    }

    struct Missing: Error { let what: String }

    static func runCommands() throws -> [(String, Bool)] {
        var seen: [(String, Bool)] = []
        func fails(_ body: () throws -> Void) -> Bool {
            do { try body(); return false } catch { return true }
        }
        let dir = NSTemporaryDirectory() + "vigil-cmd-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = dir + "/v.db"
        let store = try SQLiteStore(path: db)
        let now = WallClock.nowMs()
        let checks = [CheckResult(name: "pg", kind: .tcp, target: "db-1:5432", ok: true, latencyMs: 1, ts: now)]
        try Blocking.run {
            _ = try await store.ingest(IngestBatch(host: "web-1", checks: checks), receivedAt: now)
            _ = try await store.ingest(IngestBatch(host: "db-1"), receivedAt: now)
        }

        guard let daily = try ReportCommand.parseAsRoot(["daily", "--no-ai", "--since", "2h", "--db", db]) as? ReportCommand.Daily else {
            throw Missing(what: "report daily")
        }
        try daily.run()
        let reports = try Blocking.run { try await store.reports(kind: "daily", limit: 5) }
        seen.append(("one daily report stored", reports.count == 1))
        seen.append(("it says the AI was not asked", reports.first?.text.contains("AI not asked (--no-ai)") == true))
        guard let first = reports.first,
              let show = try ReportCommand.parseAsRoot(["show", String(first.id), "--db", db]) as? ReportCommand.Show else {
            throw Missing(what: "report show")
        }
        try show.run()
        var list = try ReportCommand.parseAsRoot(["list", "--db", db])
        try list.run()
        seen.append(("a bad --since is refused", fails {
            var c = try ReportCommand.parseAsRoot(["daily", "--since", "soon", "--db", db])
            try c.run()
        }))

        var suggest = try TopologyCommand.parseAsRoot(["suggest", "--db", db])
        try suggest.run()
        let edges = try Blocking.run { try await store.topologyEdges(states: nil) }
        guard let edge = edges.first(where: { $0.fromHost == "web-1" && $0.toHost == "db-1" }) else { throw Missing(what: "edge web-1 → db-1") }
        var accept = try TopologyCommand.parseAsRoot(["accept", String(edge.id), "--db", db])
        try accept.run()  // the first user of a new store is its admin
        seen.append(("the edge is accepted", try Blocking.run { try await store.topologyEdges(states: [.accepted]) }.map(\.id) == [edge.id]))
        seen.append(("reject needs a reason", fails { _ = try TopologyCommand.parseAsRoot(["reject", String(edge.id), "--db", db]) }))
        var reject = try TopologyCommand.parseAsRoot(["reject", String(edge.id), "--reason", "not really", "--db", db])
        try reject.run()
        var listAll = try TopologyCommand.parseAsRoot(["list", "--all", "--evidence", "--db", db])
        try listAll.run()
        seen.append(("the rejection keeps its reason", try Blocking.run { try await store.topologyEdges(states: [.rejected]) }.first?.reason == "not really"))
        return seen
    }
}

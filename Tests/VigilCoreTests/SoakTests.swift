import Foundation
import GRDB
import Testing
@testable import VigilCore
import VigilHTTP
import VigilWire

/// A soak (issue 15): 1,000 simulated agents, each posting 100 samples every 10 s to a real `vigil serve` with the
/// default rules, for `VIGIL_SOAK_SECONDS` (`.ci/run` runs it for 600 s after the suite; unset, it is skipped with
/// this message). No acknowledged batch may be missing, the server's memory must stay flat, and the p50/p99
/// latency is printed (`VIGIL_SOAK_BINARY` names a release `vigil` for the figures in docs/BENCHMARKS.md).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["VIGIL_SOAK_SECONDS"] != nil,
                             "soak skipped: set VIGIL_SOAK_SECONDS (e.g. 600; .ci/run runs it for 600 s after the suite)"))
struct SoakTests {
    final class Ledger: Sendable {
        let state = Locked<(acked: Int, failed: Int, retries: Int, latencies: [Double])>((0, 0, 0, []))
    }

    static func rssMiB(_ pid: Int32) -> Double {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true)[1]) else { return 0 }
        return kb / 1024
    }

    @Test func athousandAgentsForTenMinutes() async throws {
        let env = ProcessInfo.processInfo.environment
        let seconds = Double(env["VIGIL_SOAK_SECONDS"] ?? "") ?? 600
        let agents = Int(env["VIGIL_SOAK_AGENTS"] ?? "") ?? 1000
        let binary = env["VIGIL_SOAK_BINARY"] ?? Binaries.path("vigil")
        let dir = TempDir()
        let db = dir.file("v.db")
        let store = try SQLiteStore(path: db)
        let (_, token) = try await store.createAgentToken(host: nil, expiresAt: nil, comment: "soak", now: WallClock.nowMs(), actor: "t")
        let port = freePort()
        let serve = try Child(binary, ["serve", "--db", db, "--listen", "127.0.0.1:\(port)"])
        defer { serve.stopInBackground() }
        #expect(await eventually(20) { serve.text.contains("Server started") }, "\(serve.text)")
        let pid = serve.process.processIdentifier

        let ledger = Ledger()
        let threads = 8
        let deadline = WallClock.monotonicNs() + UInt64(seconds * 1e9)
        let start = WallClock.monotonicNs()
        // Each thread drives agents t, t+8, t+16, …: agent i posts at i·10 ms into every 10 s cycle.
        let workers = (0..<threads).map { t in
            Task.detached {
                try await offPool {
                    let client = HTTPClient()
                    var cycle = 0
                    while WallClock.monotonicNs() < deadline {
                        for i in stride(from: t, to: agents, by: threads) {
                            let due = start + UInt64(cycle) * 10_000_000_000 + UInt64(i) * 10_000_000
                            let now = WallClock.monotonicNs()
                            if due > now { usleep(UInt32(min(10_000_000, (due - now) / 1000))) }
                            if WallClock.monotonicNs() >= deadline { return }
                            let ts = WallClock.nowMs()
                            var b = IngestBatch(host: "soak-\(i)", id: "c\(cycle)")
                            b.samples = (0..<100).map { k in Sample(name: "soak.m\(k % 20)", value: Double(k), ts: ts, labels: ["k": "\(k / 20)"]) }
                            let req = HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port)/api/v1/ingest",
                                                  headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                                                  body: Array(b.json().utf8), timeoutMs: 15_000)
                            // As an agent does: a batch without an answer is sent again, with the same id.
                            var delivered = false
                            for attempt in 0..<4 where !delivered {
                                let t0 = WallClock.monotonicNs()
                                let r = try? client.perform(req)
                                let ms = Double(WallClock.monotonicNs() - t0) / 1e6
                                delivered = r?.status == 200
                                ledger.state.withLock { s in
                                    s.latencies.append(ms)
                                    if attempt > 0 { s.retries += 1 }
                                }
                            }
                            ledger.state.withLock { s in if delivered { s.acked += 1 } else { s.failed += 1 } }
                        }
                        cycle += 1
                    }
                }
            }
        }
        // Memory over time: one reading a minute (and at the first minute's end as the baseline).
        var rss: [Double] = []
        while WallClock.monotonicNs() < deadline {
            try await Task.sleep(for: .seconds(min(60, max(1, Double(deadline - WallClock.monotonicNs()) / 1e9))))
            rss.append(Self.rssMiB(pid))
        }
        for w in workers { _ = try await w.value }
        let (acked, failed, retries, latencies) = ledger.state.withLock { ($0.acked, $0.failed, $0.retries, $0.latencies.sorted()) }
        let stored = try await DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM ingest_batches") ?? 0 }
        let p = { (q: Double) in latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(q * Double(latencies.count)))] }
        print("soak: \(agents) agents × 100 samples every 10 s for \(Int(seconds)) s: \(acked) batches acknowledged, \(failed) failed, \(retries) retries, "
              + "\(stored) stored; latency p50 \(String(format: "%.1f", p(0.5))) ms, p99 \(String(format: "%.1f", p(0.99))) ms, "
              + "max \(String(format: "%.1f", latencies.last ?? 0)) ms; RSS by minute (MiB): \(rss.map { String(format: "%.0f", $0) }.joined(separator: " "))")
        #expect(acked > 0 && failed == 0, "\(failed) batches were not acknowledged after four tries")
        #expect(stored == acked, "every batch is stored, once, retries included (\(stored) stored, \(acked) acknowledged)")
        if rss.count >= 4 {
            let early = rss[1]
            let late = rss.suffix(2).max()!
            #expect(late <= early * 1.5 + 32, "memory grew from \(early) MiB to \(late) MiB: \(rss)")
        }
    }
}

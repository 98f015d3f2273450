import Foundation
import Testing
@testable import VigilCore
import VigilWire
import VigilTestSupport

/// Real processes: `vigil serve` on a free loopback port with a temp SQLite file, and `vigil-agent` pushing to it.
@Suite(.serialized) struct AgentEndToEndTests {
    @Test func agentSamplesChecksAndLogsLandInTheStore() async throws {
        let dir = TempDir()
        let db = dir.file("vigil.db")
        let store = try SQLiteStore(path: db)
        let (_, secret) = try await store.createAgentToken(host: "e2e-1", expiresAt: nil, comment: "e2e", now: WallClock.nowMs(), actor: "test")
        let port = freePort()
        let serve = try await startServe(db: db, port: port)
        defer { serve.stopInBackground() }

        let logFile = dir.file("app.log")
        _ = FileManager.default.createFile(atPath: logFile, contents: Data("old line before the agent started\n".utf8))
        let config = dir.file("agent.yaml")
        try """
            url: http://127.0.0.1:\(port)
            host: e2e-1
            interval: 1s
            state_dir: \(dir.file("state"))
            labels:
              role: test
            logs:
              - path: \(logFile)
            checks:
              - name: listener
                kind: tcp
                target: 127.0.0.1:\(port)
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let agent = try Child(Binaries.path("vigil-agent"), ["--config", config], environment: ["VIGIL_TOKEN": secret])
        defer { agent.stopInBackground() }

        // The agent follows the file from its end: append once its offsets name the file (it has opened it).
        let following = await eventually(30) {
            ((try? String(contentsOfFile: dir.file("state") + "/tail-offsets", encoding: .utf8)) ?? "").contains(logFile)
        }
        #expect(following, "agent output: \(agent.text)")
        let handle = try #require(FileHandle(forWritingAtPath: logFile))
        handle.seekToEndOfFile()
        handle.write(Data("2026-11-29 10:00:00 ERROR payment failed for order 42\n".utf8))
        try handle.close()

        let landed = await eventually(20) {
            let logs = (try? await store.logs(host: "e2e-1", query: "payment", minLevel: nil, limit: 10)) ?? []
            let cpu = (try? await store.points(SeriesKey(host: "e2e-1", name: "cpu.usage_percent"), from: 0, to: WallClock.nowMs() + 60_000)) ?? []
            return !logs.isEmpty && !cpu.isEmpty
        }
        #expect(landed, "agent output: \(agent.text)")
        let snap = try await store.fleetSnapshot(now: WallClock.nowMs())
        let host = try #require(snap.hosts.first { $0.name == "e2e-1" })
        #expect(host.labels["role"] == "test")
        #expect(host.agent?.version == VigilVersion.current)
        #expect(host.memory != nil && host.load1 != nil)
        #expect(host.checksTotal == 1 && host.checksFailing == 0)
        let logs = try await store.logs(host: "e2e-1", query: nil, minLevel: nil, limit: 10)
        #expect(logs.contains { $0.message.contains("payment failed") && $0.level == .error })
        #expect(!logs.contains { $0.message.contains("old line") }, "the agent starts at the end of an existing file")
    }

    @Test func noSampleIsLostAcrossAListenerOutage() async throws {
        let dir = TempDir()
        let db = dir.file("vigil.db")
        let store = try SQLiteStore(path: db)
        let (_, secret) = try await store.createAgentToken(host: nil, expiresAt: nil, comment: "fleet", now: WallClock.nowMs(), actor: "test")
        let port = freePort()
        var serve = try await startServe(db: db, port: port)
        let state = dir.file("state")
        let agent = try Child(Binaries.path("vigil-agent"),
                              ["--url", "http://127.0.0.1:\(port)", "--token", secret, "--host", "spool-1", "--interval", "1s", "--state-dir", state])
        defer { agent.stopInBackground() }
        let key = SeriesKey(host: "spool-1", name: "uptime.seconds")
        func timestamps() async -> [Int64] {
            ((try? await store.points(key, from: 0, to: WallClock.nowMs() + 60_000)) ?? []).map(\.ts)
        }
        #expect(await eventually(20) { await timestamps().count >= 2 }, "agent output: \(agent.text)")

        // Outage: the listener goes away for ~4 s; the agent spools.
        await serve.stopped()
        let outageStart = WallClock.nowMs()
        try await Task.sleep(for: .seconds(4))
        func spooled() -> Int {
            (try? FileManager.default.contentsOfDirectory(atPath: state + "/spool"))?.filter { !$0.hasPrefix(".") }.count ?? 0
        }
        #expect(await eventually(30) { spooled() >= 2 }, "spool should hold the batches of the outage; agent output: \(agent.text)")
        #expect(await timestamps().allSatisfy { $0 < outageStart + 1500 })

        serve = try await startServe(db: db, port: port)
        defer { serve.stopInBackground() }
        let outageEnd = WallClock.nowMs()
        #expect(await eventually(20) { await timestamps().contains { $0 > outageEnd + 1000 } }, "agent output: \(agent.text)")

        // The outage's cycles are all there: one sample a second while the listener was away, give or take a cycle
        // a loaded machine starts late (the sanitizer's runs saw gaps of 2,241 and 3,068 ms). Had the spool lost
        // the outage's batches, there would be none.
        let ts = await timestamps()
        let gaps = zip(ts.dropFirst(), ts).map { $0 - $1 }
        #expect(ts.count >= 8)
        let during = ts.filter { $0 > outageStart && $0 < outageEnd }.count
        #expect(Double(during) >= Double(outageEnd - outageStart) / 1000 * 0.6, "\(during) samples in a \(outageEnd - outageStart) ms outage; gaps: \(gaps)")
        #expect(gaps.allSatisfy { $0 <= (TestTime.underThreadSanitizer ? 6_000 : 3_000) }, "gaps: \(gaps)")
        #expect(ts.contains { $0 > outageStart + 1000 && $0 < outageEnd }, "samples collected during the outage arrived")
        let remaining = (try? FileManager.default.contentsOfDirectory(atPath: state + "/spool"))?.filter { !$0.hasPrefix(".") }.count ?? 0
        #expect(await eventually(5) { ((try? FileManager.default.contentsOfDirectory(atPath: state + "/spool"))?.filter { !$0.hasPrefix(".") }.count ?? 0) <= 1 },
                "spool drained (had \(remaining))")
    }
}

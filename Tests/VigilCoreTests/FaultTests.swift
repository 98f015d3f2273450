import Foundation
import GRDB
import Testing
@testable import VigilCore
import VigilHTTP
import VigilWire
import VigilTestSupport

/// Faults with real processes on loopback (issue 15): `vigil serve` killed mid-ingest, its disk filling up, and
/// stores it cannot use. Bounded in time; each cleans up after itself.
@Suite(.serialized)
struct FaultTests {
    /// One writer's batch `k`: a sample, a log line and the batch id that makes a replay harmless.
    static func batch(writer: Int, _ k: Int, base: Int64, samples: Int = 1) -> IngestBatch {
        var b = IngestBatch(host: "fault-1", id: "w\(writer)-\(k)")
        for i in 0..<samples {
            b.samples.append(Sample(name: "fault.seq", value: Double(k), ts: base + Int64(k), labels: ["w": "\(writer)", "i": "\(i % 50)"]))
        }
        b.logs = [LogEntry(ts: base + Int64(k), source: "/fault", level: .info, message: "batch w\(writer)-\(k)")]
        return b
    }

    static func post(_ b: IngestBatch, port: Int, token: String) async -> HTTPResponse? {
        let req = HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port)/api/v1/ingest",
                              headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                              body: Array(b.json().utf8), timeoutMs: 30_000, connectTimeoutMs: 1000)
        return try? await offPool { try HTTPClient().perform(req) }
    }

    @Test func killedMidIngestNothingAcknowledgedIsLostAndAReplayIsStoredOnce() async throws {
        let dir = TempDir()
        let db = dir.file("v.db")
        let store = try SQLiteStore(path: db)
        let (_, token) = try await store.createAgentToken(host: nil, expiresAt: nil, comment: "", now: WallClock.nowMs(), actor: "t")
        let port = freePort()
        let serve = try await startServe(db: db, port: port)
        let base = WallClock.nowMs() - 600_000
        final class Ledger: Sendable {
            let state = Locked<(attempted: Set<String>, acked: Set<String>)>(([], []))
        }
        let ledger = Ledger()
        let writers = (0..<4).map { w in
            Task {
                var k = 0
                while k < 5000 {
                    let b = Self.batch(writer: w, k, base: base, samples: 200)
                    ledger.state.withLock { _ = $0.attempted.insert(b.id!) }
                    guard let r = await Self.post(b, port: port, token: token) else { break }
                    if r.status == 200 { ledger.state.withLock { _ = $0.acked.insert(b.id!) } }
                    k += 1
                }
            }
        }
        // Killed once the writers are well under way (a fixed sleep was too short when the parallel suite loads both cores).
        _ = await eventually(30) { ledger.state.withLock { $0.acked.count } > 40 }
        kill(serve.process.processIdentifier, SIGKILL)
        for w in writers { await w.value }
        await serve.finished()
        let (attempted, acked) = ledger.state.withLock { ($0.attempted, $0.acked) }
        #expect(acked.count > 20, "the writers got going before the kill (\(acked.count) acknowledged)")

        let again = try await startServe(db: db, port: port)
        defer { again.stopInBackground() }
        // The agents replay everything they had not seen acknowledged, and a few acknowledged ones whose answer
        // they might have lost.
        let replay = attempted.subtracting(acked).union(acked.prefix(10))
        for id in replay.sorted() {
            let parts = id.dropFirst().split(separator: "-")
            let r = await Self.post(Self.batch(writer: Int(parts[0])!, Int(parts[1])!, base: base, samples: 200), port: port, token: token)
            #expect(r?.status == 200, "replay of \(id): \(r?.text ?? "no answer")")
        }
        let lines = try await store.logs(host: "fault-1", query: nil, minLevel: nil, limit: 1_000_000)
        var seen: [String: Int] = [:]
        for l in lines { seen[l.message, default: 0] += 1 }
        for id in attempted {
            #expect(seen["batch \(id)"] == 1, "batch \(id) stored \(seen["batch \(id)"] ?? 0) times")
        }
        #expect(lines.count == attempted.count)
    }

    @Test(.enabled(if: getuid() == 0, "the full-disk test mounts a small tmpfs and needs root (CI runs as root)"))
    func aFullDiskAnswers503AndIngestRecoversByItself() async throws {
        let dir = TempDir()
        let fs = dir.file("fs")
        try FileManager.default.createDirectory(atPath: fs, withIntermediateDirectories: true)
        let mount = try await InstallTests.run("/bin/mount", ["-t", "tmpfs", "-o", "size=24m", "tmpfs", fs])
        guard mount.status == 0 else {
            Issue.record("cannot mount a small tmpfs to fill, even as root: \(mount.text.trimmingCharacters(in: .whitespacesAndNewlines))")
            return
        }
        defer { _ = try? spawnAndWait(["/bin/umount", "-l", fs]) }
        let db = fs + "/v.db"
        let store = try SQLiteStore(path: db)
        let (_, token) = try await store.createAgentToken(host: nil, expiresAt: nil, comment: "", now: WallClock.nowMs(), actor: "t")
        let port = freePort()
        let serve = try await startServe(db: db, port: port)
        defer { serve.stopInBackground() }
        // Leave about 2 MB free.
        var st = statvfs()
        statvfs(fs, &st)
        let ballast = fs + "/ballast"
        let free = Int(st.f_bavail) * Int(st.f_frsize)
        try Data(count: max(0, free - 2_000_000)).write(to: URL(fileURLWithPath: ballast))
        let base = WallClock.nowMs() - 600_000
        var acked: [String] = []
        var refusal: HTTPResponse?
        for k in 0..<400 {
            let b = Self.batch(writer: 0, k, base: base, samples: 2000)
            guard let r = await Self.post(b, port: port, token: token) else { Issue.record("no answer at batch \(k)"); break }
            if r.status == 200 { acked.append(b.id!) } else { refusal = r; break }
        }
        let answer = try #require(refusal, "the disk never filled")
        #expect(answer.status == 503, "\(answer.text)")
        #expect(answer.text.contains("store_disk") && answer.text.contains("disk"), "\(answer.text)")
        // Space comes back: ingest resumes without a restart.
        try FileManager.default.removeItem(atPath: ballast)
        let resumed = await eventually(15) {
            await Self.post(Self.batch(writer: 1, 0, base: base), port: port, token: token)?.status == 200
        }
        #expect(resumed, "ingest did not recover once space was free")
        await serve.stopped()
        let q = try DatabaseQueue(path: db)
        let check = try await q.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
        #expect(check == "ok")
        let stored = try await q.read { try Set(String.fetchAll($0, sql: "SELECT batch FROM ingest_batches WHERE host = 'fault-1'")) }
        #expect(Set(acked).isSubset(of: stored), "every acknowledged batch survived the full disk")
    }

    @Test func aStoreVigilCannotUseIsAClearErrorAndIsLeftAlone() async throws {
        let dir = TempDir()
        let foreign = dir.file("notes.txt")
        let text = "shopping list: milk, eggs\n"
        try text.write(toFile: foreign, atomically: true, encoding: .utf8)
        let r = try await InstallTests.run(Binaries.path("vigil"), ["serve", "--db", foreign, "--listen", "127.0.0.1:0"])
        #expect(r.status != 0)
        #expect(r.text.contains("cannot open the store \(foreign)") && r.text.contains("not a database"), "\(r.text)")
        #expect(try String(contentsOfFile: foreign, encoding: .utf8) == text, "a foreign file is never overwritten")

        // Held by another process with an exclusive lock: a clear error after the busy timeout, not a hang.
        let db = dir.file("v.db")
        _ = try SQLiteStore(path: db)
        let holder = try Child("/usr/bin/python3", ["-c", """
            import sqlite3, time
            c = sqlite3.connect('\(db)', isolation_level=None)
            c.execute('BEGIN EXCLUSIVE')
            print('locked', flush=True)
            time.sleep(60)
            """])
        #expect(await eventually(10) { holder.text.contains("locked") })
        let locked = try await InstallTests.run(Binaries.path("vigil"), ["token", "create", "--fleet", "--db", db])
        #expect(locked.status != 0, "\(locked.text)")
        #expect(locked.text.contains("locked"), "names the lock: \(locked.text)")
        await holder.stopped(seconds: 1)

        // A config that cannot be read names its path.
        let config = dir.file("config-dir")
        try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
        let bad = try await InstallTests.run(Binaries.path("vigil"), ["--config", config, "--db", dir.file("c.db")])
        #expect(bad.status != 0 && bad.text.contains(config), "\(bad.text)")
    }
}

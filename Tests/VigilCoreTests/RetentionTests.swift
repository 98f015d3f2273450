import Foundation
import Testing
import VigilTestSupport
import VigilWire
@testable import VigilCore

@Suite struct RollupTests {
    @Test func bucketsKeepMinMaxSumCountAndLast() {
        let points = [(0, 3.0), (60_000, 1.0), (299_999, 5.0), (300_000, 2.0), (-1, 7.0)].sorted { $0.0 < $1.0 }
            .map { SeriesPoint(ts: Int64($0.0), value: $0.1) }
        let b = Rollup.buckets(points, step: 300_000)
        #expect(b.map(\.ts) == [-300_000, 0, 300_000])
        #expect(b[1] == Rollup(ts: 0, min: 1, max: 5, sum: 9, count: 3, last: 5))
        #expect(b[1].avg == 3)
        // Merging 5-minute buckets into an hour gives what bucketing the raw points by the hour gives.
        let hourly = Rollup.merge(b, step: 3_600_000)
        #expect(hourly == Rollup.buckets(points, step: 3_600_000))
    }

    @Test func theCodecRoundTripsRollups() throws {
        var rollups: [Rollup] = []
        for i in 0..<288 {
            let low = Double(i % 7)
            rollups.append(Rollup(ts: Int64(i) * 300_000, min: low, max: low + 12.25, sum: Double(i) * 3.3, count: 30, last: 1.0 / 3))
        }
        #expect(try RollupCodec.decode(RollupCodec.encode(rollups)) == rollups)
        #expect(throws: ChunkCodec.DecodeError.self) { try RollupCodec.decode(Array(RollupCodec.encode(rollups).dropLast(3))) }
    }

    @Test func thePolicyNamesWhatIsWrong() throws {
        var p = RetentionPolicy()
        try p.set("raw", "30d")
        #expect(p.raw == 30 * 86_400_000)
        try p.set("log_bytes", "500MB")
        #expect(p.logBytes == 500 << 20)
        #expect(throws: RetentionError.self) { try p.set("raw", "soon") }
        #expect(throws: RetentionError.self) { try p.set("row", "1d") }
        do {
            try p.set("rollup_5m", "7d")
            Issue.record("rollups shorter than raw were accepted")
        } catch {
            #expect(error.message.contains("rollup_5m (7d) must be at least raw (30d)"))
        }
        #expect(p.fiveMinute == 90 * 86_400_000, "a refused change leaves the policy as it was")
        try p.reset("raw")
        #expect(p.raw == RetentionPolicy().raw)
    }

    @Test func theRangePicksTheResolution() {
        let now: Int64 = 1_800_000_000_000
        let p = RetentionPolicy()
        let hour: Int64 = 3_600_000, day: Int64 = 86_400_000
        #expect(RangeQuery.step(from: now - hour, to: now, maxPoints: 600, now: now, policy: p) == 0)
        #expect(RangeQuery.step(from: now - day, to: now, maxPoints: 600, now: now, policy: p) == 0)
        #expect(RangeQuery.step(from: now - 7 * day, to: now, maxPoints: 600, now: now, policy: p) == 300_000)
        #expect(RangeQuery.step(from: now - 20 * day, to: now - 19 * day, maxPoints: 600, now: now, policy: p) == 300_000, "raw is gone that far back")
        #expect(RangeQuery.step(from: now - 90 * day, to: now, maxPoints: 600, now: now, policy: p) == hour)
    }
}

@Suite struct RetentionStoreTests {
    let now: Int64 = 1_800_000_000_000  // 2027-01-15T08:00:00Z
    static let day: Int64 = 86_400_000

    /// One sample a minute for 20 days: value = minute index % 97 (so every bucket's figures are known).
    func seed(_ store: any Store) async throws {
        let start = now - 20 * Self.day
        var batch: [Sample] = []
        for i in 0..<(20 * 1440) {
            let ts = start + Int64(i) * 60_000
            batch.append(Sample(name: "cpu.usage_percent", value: Double(i % 97), ts: ts))
            if i % 10 == 0 { batch.append(Sample(name: AnomalyScanner.scoreMetric, value: 0.5, ts: ts, labels: ["metric": "cpu.usage_percent"])) }
            if batch.count >= 2000 {
                _ = try await store.ingest(IngestBatch(host: "web-1", samples: batch), receivedAt: now - 600_000)
                batch = []
            }
        }
        let old = now - 40 * Self.day, recent = now - Self.day
        batch += [Sample(name: "cpu.usage_percent", value: 1, ts: now - 1000)]
        _ = try await store.ingest(IngestBatch(host: "web-1", samples: batch, logs: [
            LogEntry(ts: old, source: "app", level: .error, message: "ancient disk failure zebra"),
            LogEntry(ts: recent, source: "app", level: .error, message: "recent disk failure yak"),
        ], checks: [
            CheckResult(name: "http", kind: .http, target: "http://x", ok: true, latencyMs: 3, ts: now - 100 * Self.day),
            CheckResult(name: "http", kind: .http, target: "http://x", ok: true, latencyMs: 3, ts: recent),
        ]), receivedAt: now - 600_000)
        _ = try await store.compact(olderThan: now)
        _ = try await store.appendChatMessages([ChatRecord(conversation: "old", ts: now - 100 * Self.day, role: "user", content: "hi"),
                                                ChatRecord(conversation: "new", ts: now - 100 * Self.day, role: "user", content: "hi"),
                                                ChatRecord(conversation: "new", ts: recent, role: "user", content: "again")])
        _ = try await store.recordAICall(AICallRecord(ts: now - 100 * Self.day, feature: "chat", model: "m", promptTokens: 1, completionTokens: 1,
                                                      latencyMs: 5, outcome: .ok, detail: ""))
        _ = try await store.recordAICall(AICallRecord(ts: recent, feature: "chat", model: "m", promptTokens: 1, completionTokens: 1,
                                                      latencyMs: 5, outcome: .ok, detail: ""))
        _ = try await store.saveReport(StoredReport(kind: "daily", from: 0, to: 1, createdAt: now - 400 * Self.day, text: "old", json: "{}"))
        _ = try await store.saveReport(StoredReport(kind: "daily", from: 0, to: 1, createdAt: recent, text: "new", json: "{}"))
    }

    @Test(arguments: Backend.available) func rollsUpThenDeletesWhatThePolicyNoLongerKeeps(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        try await seed(store)
        let key = SeriesKey(host: "web-1", name: "cpu.usage_percent")
        let start = now - 20 * Self.day

        let report = try await Retention.run(store, policy: RetentionPolicy(), now: now, seriesPerStep: 1)
        #expect(report.finished)
        let fiveUntil = Rollup.bucketStart(now - Retention.lateness, step: 300_000)
        #expect(report.watermarks[300_000] == fiveUntil)
        #expect(report.watermarks[3_600_000] == Rollup.bucketStart(fiveUntil, step: 3_600_000))
        #expect(report.buckets[300_000] == Int((fiveUntil - start) / 300_000) + Int((fiveUntil - start) / 600_000), "cpu every 5 minutes, the score every 10")

        // Raw older than 15 days is gone (whole chunks only), newer raw is all there.
        let oldRaw = try await store.points(key, from: start, to: now - 15 * Self.day - 3 * 3_600_000)
        #expect(oldRaw.isEmpty)
        #expect(try await store.points(key, from: now - 14 * Self.day, to: now - 13 * Self.day).count == 1441)
        // The 5-minute rollups of a day 18 days back: each bucket holds the five minutes' exact figures.
        let r = try await RangeQuery.run(store, keys: [key], from: now - 18 * Self.day, to: now - 17 * Self.day - 1, maxPoints: 288, now: now,
                                         policy: RetentionPolicy())
        #expect(r.tier == 300_000 && r.step == 300_000)
        let buckets = try #require(r.series[key])
        #expect(buckets.count == 288)
        for b in buckets {
            let minutes = (0..<5).map { Int((b.ts - start) / 60_000) + $0 }
            let values = minutes.map { Double($0 % 97) }
            #expect(b.count == 5 && b.min == values.min() && b.max == values.max() && b.sum == values.reduce(0, +) && b.last == values.last)
        }
        // Ninety days at 1-hour resolution, from rollups and raw together, every minute counted once.
        let long = try await RangeQuery.run(store, keys: [key], from: now - 90 * Self.day, to: now, maxPoints: 2160, now: now, policy: RetentionPolicy())
        #expect(long.tier == 3_600_000)
        #expect(long.series[key]?.reduce(0) { $0 + $1.count } == 20 * 1440 + 1)
        // A recent hour reads raw samples.
        let recent = try await RangeQuery.run(store, keys: [key], from: now - 3_600_000, to: now, maxPoints: 600, now: now, policy: RetentionPolicy())
        #expect(recent.tier == 0 && recent.series[key]?.count == 61)

        // Logs, checks, chat, AI calls and reports by age; the full-text index forgets the deleted line too.
        #expect(try await store.logs(host: nil, query: "zebra", minLevel: nil, limit: 10).isEmpty)
        #expect(try await store.logs(host: nil, query: "yak", minLevel: nil, limit: 10).count == 1)
        #expect(try await store.stats().checkResults == 1)
        #expect(try await store.chatMessages(conversation: "old", limit: 10).isEmpty)
        #expect(try await store.chatMessages(conversation: "new", limit: 10).count == 2, "a conversation still going keeps its first message")
        #expect(try await store.aiCalls(limit: 10).count == 1)
        #expect(try await store.reports(kind: nil, limit: 10).map(\.text) == ["new"])
        #expect(report.rowsDeleted[.logs] == 1 && report.rowsDeleted[.checkResults] == 1 && report.rowsDeleted[.reports] == 1)

        // A second run finds nothing to do, and the rollups are unchanged.
        let again = try await Retention.run(store, policy: RetentionPolicy(), now: now)
        #expect(again.buckets.values.reduce(0, +) == 0 && again.chunksDeleted == 0)
        let r2 = try await RangeQuery.run(store, keys: [key], from: now - 18 * Self.day, to: now - 17 * Self.day - 1, maxPoints: 288, now: now,
                                          policy: RetentionPolicy())
        #expect(r2 == r)

        // Anomaly scores go after their own age (30 days by default; 16 here), rollups included.
        var short = RetentionPolicy()
        try short.set("anomaly_scores", "16d")
        _ = try await Retention.run(store, policy: short, now: now)
        let score = SeriesKey(host: "web-1", name: AnomalyScanner.scoreMetric, labels: ["metric": "cpu.usage_percent"])
        let scores = try await RangeQuery.run(store, keys: [score], from: start, to: now, maxPoints: 600, now: now, policy: short)
        #expect((scores.series[score]?.first?.ts ?? 0) >= now - 17 * Self.day)
        #expect(try await RangeQuery.run(store, keys: [key], from: start, to: now, maxPoints: 600, now: now, policy: short).series[key]?.first?.ts == start)
    }

    @Test(arguments: Backend.available) func logsAreKeptUnderTheirSizeOldestFirst(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        for i in 0..<100 {
            let message = "line \(String(format: "%03d", i)) " + String(repeating: "x", count: 91)  // 100 bytes
            _ = try await store.ingest(IngestBatch(host: "h", logs: [LogEntry(ts: now - Int64(100 - i) * 1000, source: "s", level: .info, message: message)]),
                                       receivedAt: now)
        }
        var policy = RetentionPolicy()
        try policy.set("log_bytes", "5000B")
        let report = try await Retention.run(store, policy: policy, now: now)
        #expect(report.logsDeletedForSize == 55, "down to 90 % of the limit")
        let footprint = try await store.logFootprint()
        #expect(footprint.lines == 45 && footprint.bytes == 4500)
        let left = try await store.logs(host: "h", query: nil, minLevel: nil, limit: 100)
        #expect(left.last?.message.hasPrefix("line 055") == true, "the oldest went first")
    }
}

@Suite struct RetentionCommandTests {
    @Test func theCommandsShowChangeApplyAndQuery() async throws {
        let dir = TempDir()
        let db = dir.file("v.db")
        let now = WallClock.nowMs()
        do {
            let store = try SQLiteStore(path: db)
            let samples = (0..<(3 * 1440)).map { Sample(name: "cpu.usage_percent", value: Double($0 % 50), ts: now - 3 * 86_400_000 + Int64($0) * 60_000) }
            _ = try await store.ingest(IngestBatch(host: "web-1", samples: samples), receivedAt: now)
            _ = try await store.compact(olderThan: now + 1)
        }
        let vigil = Binaries.path("vigil")
        let bad = try spawnAndWait([vigil, "db", "retention", "set", "raw=1h", "--db", db])
        #expect(bad.status != 0)
        #expect(bad.output.contains("raw must be at least 2h"), "\(bad.output)")
        let set = try spawnAndWait([vigil, "db", "retention", "set", "raw=30d", "logs=7d", "--db", db])
        #expect(set.status == 0, "\(set.output)")
        let show = try spawnAndWait([vigil, "db", "retention", "--db", db])
        #expect(show.output.contains("raw            30d     raw samples (set)"), "\(show.output)")
        #expect(show.output.contains("nothing rolled up yet"))
        let run = try spawnAndWait([vigil, "db", "retention", "run", "--db", db])
        #expect(run.status == 0 && run.output.contains("5m buckets"), "\(run.output)")
        let query = try spawnAndWait([vigil, "db", "query", "cpu.usage_percent", "--host", "web-1", "--since", "3d", "--points", "72", "--db", db])
        #expect(query.output.contains("72 points at 1-hour rollups") || query.output.contains("73 points at 1-hour rollups"), "\(query.output)")
        let missing = try spawnAndWait([vigil, "db", "query", "mem.used_percent", "--host", "web-1", "--db", db])
        #expect(missing.status != 0 && missing.output.contains("no samples of mem.used_percent on web-1 in the last 1h"), "\(missing.output)")
        let every = try spawnAndWait([vigil, "db", "query", "cpu.usage_percent", "--host", "*", "--since", "2h", "--db", db])
        #expect(every.output.contains("cpu.usage_percent, last 2h: 1 series"), "\(every.output)")
        // The change is in the audit log, with who made it.
        let audit = try SQLiteStore(path: db)
        #expect(try await audit.auditEntries(AuditFilter(action: "retention.set")).first?.detail == "raw=30d logs=7d")
    }
}

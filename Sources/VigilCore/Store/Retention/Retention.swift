/// Rolls raw samples up into 5-minute and 1-hour buckets and deletes what the policy no longer keeps, in short
/// steps over a `RetentionStorage` (both backends). Run by the lease holder every few minutes (`RetentionService`)
/// and by `vigil db retention run`.
///
/// Each tier has a watermark in the settings (`rollup.300000.until`): everything before it is rolled up. Raw
/// samples younger than an hour are not rolled up yet (agents that were cut off send late); a sample arriving later
/// than that still counts in raw but not in its rollup. Raw data is never deleted before it is rolled up, whatever
/// the policy says, nor 5-minute rollups before they are in the 1-hour tier.
public enum Retention {
    /// The tiers: bucket size, and how much time one stored block of a series holds.
    public static let tiers: [(step: Int64, blockSpan: Int64)] = [(300_000, 86_400_000), (3_600_000, 30 * 86_400_000)]
    /// Raw samples this recent are not rolled up yet.
    public static let lateness: Int64 = 3_600_000

    static func watermarkKey(_ step: Int64) -> String { "rollup.\(step).until" }

    /// Everything before the returned time is rolled up at `step` (nil: nothing yet).
    public static func watermark(_ store: any Store, step: Int64) async throws -> Int64? {
        try await store.setting(watermarkKey(step)).flatMap { Int64($0) }
    }

    public struct Report: Sendable, Equatable {
        public var buckets: [Int64: Int] = [:]
        public var chunksDeleted = 0
        public var rollupBlocksDeleted = 0
        public var rowsDeleted: [AgedTable: Int] = [:]
        public var logsDeletedForSize = 0
        public var watermarks: [Int64: Int64] = [:]
        /// False when `shouldStop` cut the run short (the next run carries on).
        public var finished = true

        public var summary: String {
            var parts: [String] = []
            for (step, _) in Retention.tiers { parts.append("\(buckets[step] ?? 0) \(step / 60_000)m buckets") }
            parts.append("\(chunksDeleted) raw chunks and \(rollupBlocksDeleted) rollup blocks deleted")
            let rows = AgedTable.allCases.compactMap { t in rowsDeleted[t].flatMap { $0 > 0 ? "\($0) \(t.rawValue)" : nil } }
            if !rows.isEmpty { parts.append(rows.joined(separator: ", ") + " deleted by age") }
            if logsDeletedForSize > 0 { parts.append("\(logsDeletedForSize) log lines deleted for size") }
            return parts.joined(separator: "; ") + (finished ? "" : " (stopped early; the next run carries on)")
        }
    }

    /// One pass: roll up what is due, then delete what is too old. `seriesPerStep` series are read and written per
    /// transaction; `shouldStop` is asked between steps (a shutdown, or the lease lost).
    public static func run(_ store: any Store, policy: RetentionPolicy, now: Int64, seriesPerStep: Int = 1000,
                           shouldStop: @Sendable () -> Bool = { false }) async throws -> Report {
        var report = Report()
        let catalog = try await store.seriesCatalog()
        let ids = catalog.map(\.id)
        // Roll up: raw into 5 m, then 5 m into 1 h.
        var sourceUntil = Rollup.bucketStart(now - lateness, step: tiers[0].step)
        for (k, tier) in tiers.enumerated() {
            let target = Rollup.bucketStart(sourceUntil, step: tier.step)
            var from: Int64
            if let w = try await watermark(store, step: tier.step) {
                from = w
            } else if let oldest = try await store.oldestChunkTime() {
                from = Rollup.bucketStart(oldest, step: tier.step)
            } else {
                from = target
            }
            // One pass per stored block (a day of 5-minute buckets, 30 days of hourly ones), so catching up writes
            // each block once; fewer series per step when a pass reads raw days, to bound memory.
            let perStep = k == 0 ? max(1, seriesPerStep / 4) : seriesPerStep
            while from < target {
                if shouldStop() { report.finished = false; break }
                let to = min(target, Rollup.bucketStart(from, step: tier.blockSpan) + tier.blockSpan)
                for slice in stride(from: 0, to: ids.count, by: perStep) {
                    let part = Array(ids[slice..<min(slice + perStep, ids.count)])
                    var rolled: [Int64: [Rollup]] = [:]
                    if k == 0 {
                        for (sid, points) in try await store.rawPoints(series: part, from: from, to: to - 1) where !points.isEmpty {
                            rolled[sid] = Rollup.buckets(points, step: tier.step)
                        }
                    } else {
                        for (sid, finer) in try await store.rollups(series: part, step: tiers[k - 1].step, from: from, to: to - 1) where !finer.isEmpty {
                            rolled[sid] = Rollup.merge(finer, step: tier.step)
                        }
                    }
                    if !rolled.isEmpty {
                        try await store.writeRollups(rolled, step: tier.step, blockSpan: tier.blockSpan)
                        report.buckets[tier.step, default: 0] += rolled.values.reduce(0) { $0 + $1.count }
                    }
                }
                try await store.setSetting(watermarkKey(tier.step), to: String(to), now: now)
                from = to
            }
            report.watermarks[tier.step] = from
            sourceUntil = from
        }
        if !report.finished { return report }

        // Delete: never what the next tier has not taken in yet.
        let scoreIDs = Set(catalog.filter { $0.name == AnomalyScanner.scoreMetric }.map(\.id))
        let fiveUntil = report.watermarks[tiers[0].step] ?? .min
        let hourUntil = report.watermarks[tiers[1].step] ?? .min
        let cuts: [(step: Int64?, cutoff: Int64)] = [
            (nil, min(now - policy.raw, fiveUntil)),
            (tiers[0].step, min(now - policy.fiveMinute, hourUntil)),
            (tiers[1].step, now - policy.hourly),
        ]
        for slice in stride(from: 0, to: ids.count, by: seriesPerStep) {
            if shouldStop() { report.finished = false; return report }
            let part = Array(ids[slice..<min(slice + seriesPerStep, ids.count)])
            let scores = part.filter { scoreIDs.contains($0) }
            let others = scores.isEmpty ? part : part.filter { !scoreIDs.contains($0) }
            for (step, cutoff) in cuts {
                // Scores are kept for their own age, in every tier (they are not needed for a coarser tier after it).
                for (group, cut) in [(others, cutoff), (scores, max(cutoff, now - policy.anomalyScores))] where !group.isEmpty {
                    if let step {
                        report.rollupBlocksDeleted += try await store.deleteRollups(series: group, step: step, endingBefore: cut)
                    } else {
                        report.chunksDeleted += try await store.deleteChunks(series: group, endingBefore: cut)
                    }
                }
            }
        }
        let ages: [(AgedTable, Int64)] = [(.logs, policy.logs), (.checkResults, policy.checks), (.chat, policy.chat),
                                          (.aiCalls, policy.aiCalls), (.reports, policy.reports), (.processes, policy.processes),
                                          (.dbQueries, policy.dbQueries), (.connections, policy.connections),
                                          (.sla, policy.sla)]
        for (table, age) in ages {
            while true {
                if shouldStop() { report.finished = false; return report }
                let n = try await store.deleteAged(table, before: now - age, limit: 5000)
                report.rowsDeleted[table, default: 0] += n
                if n < 5000 { break }
            }
        }
        // Logs by size: drop the oldest until 90 % of the limit, so the next run does not start at the edge.
        let footprint = try await store.logFootprint()
        if footprint.bytes > policy.logBytes, footprint.lines > 0 {
            let perLine = Double(footprint.bytes) / Double(footprint.lines)
            var excess = Int((Double(footprint.bytes - policy.logBytes * 9 / 10) / perLine).rounded(.up))
            while excess > 0 {
                if shouldStop() { report.finished = false; return report }
                let n = try await store.deleteOldestLogs(count: min(excess, 5000))
                report.logsDeletedForSize += n
                if n == 0 { break }
                excess -= n
            }
        }
        return report
    }
}

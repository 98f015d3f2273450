/// A range query for charts and the API: the resolution is picked for the span (raw, 5-minute or 1-hour
/// buckets), so one series over 90 days costs about what it costs over an hour.
public enum RangeQuery {
    /// The bucket size for a span drawn in `maxPoints` points: raw while buckets would be under 5 minutes and raw
    /// is still kept that far back, then 5-minute rollups while they are kept, then 1-hour ones. 0 means raw.
    public static func step(from: Int64, to: Int64, maxPoints: Int, now: Int64, policy: RetentionPolicy) -> Int64 {
        let wanted = max(1, (to - from) / Int64(max(1, maxPoints)))
        let five = Retention.tiers[0].step, hour = Retention.tiers[1].step
        if wanted < five && from >= now - policy.raw { return 0 }
        if wanted < hour && from >= now - policy.fiveMinute { return five }
        return hour
    }

    public struct Result: Sendable, Equatable {
        /// Bucket size in ms; 0 when the points are raw samples (or raw buckets finer than 5 minutes).
        public var step: Int64
        /// The stored resolution read: 0 (raw), 5 or 60 minutes.
        public var tier: Int64
        public var series: [SeriesKey: [Rollup]]
    }

    /// The series of `keys` over `[from, to]` in at most about `maxPoints` points each.
    public static func run(_ store: any Store, keys: [SeriesKey], from: Int64, to: Int64, maxPoints: Int, now: Int64,
                           policy: RetentionPolicy) async throws -> Result {
        let ids = try await store.seriesIDs(keys)
        let sids = Array(Set(ids.values)).sorted()
        let step = step(from: from, to: to, maxPoints: maxPoints, now: now, policy: policy)
        var bySeries: [Int64: [Rollup]] = [:]
        var bucket = step
        if step == 0 {
            let fine = max(1, (to - from) / Int64(max(1, maxPoints)))
            for (sid, points) in try await store.rawPoints(series: sids, from: from, to: to) {
                bySeries[sid] = points.count > maxPoints ? Rollup.buckets(points, step: fine) : points.map(Rollup.init(point:))
            }
        } else {
            // The chosen tier up to its watermark, each finer tier after it, raw after the finest watermark.
            var pieces: [Int64: [Rollup]] = [:]
            var cursor = from
            let chosen = Retention.tiers.firstIndex { $0.step == step } ?? 0
            for k in stride(from: chosen, through: 0, by: -1) {
                let tierStep = Retention.tiers[k].step
                let until = min(to + 1, try await Retention.watermark(store, step: tierStep) ?? .min)
                guard until > cursor else { continue }
                for (sid, rollups) in try await store.rollups(series: sids, step: tierStep, from: cursor, to: until - 1) {
                    pieces[sid, default: []] += rollups
                }
                cursor = until
            }
            if cursor <= to {
                for (sid, points) in try await store.rawPoints(series: sids, from: cursor, to: to) {
                    pieces[sid, default: []] += points.map(Rollup.init(point:))
                }
            }
            // Buckets of the tier, or of a multiple of it when the tier alone would give more than maxPoints.
            let wanted = max(1, (to - from) / Int64(max(1, maxPoints)))
            bucket = max(step, (wanted + step - 1) / step * step)
            for (sid, rollups) in pieces { bySeries[sid] = Rollup.merge(rollups.sorted { $0.ts < $1.ts }, step: bucket) }
        }
        var out: [SeriesKey: [Rollup]] = [:]
        for (key, sid) in ids { if let r = bySeries[sid], !r.isEmpty { out[key] = r } }
        return Result(step: bucket, tier: step, series: out)
    }
}

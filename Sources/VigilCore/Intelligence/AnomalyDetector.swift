import Foundation  // log10, log1p (libm); nothing else

/// A streaming, causal anomaly detector for one metric series: feed samples in time order, get a score in
/// [0, 1] for each, computed only from that sample and the ones before it (appending data never changes an
/// earlier score). Deterministic, one configuration for every series, O(window) memory, a few microseconds
/// per sample.
///
/// ## Algorithm: "new extremes, not seen at this time of day, alert once"
///
/// 1. **Two views of the signal**: the value `x` itself (spikes, drops) and `m`, the mean of the last 6
///    values (level shifts and sustained excursions that single samples don't show).
/// 2. **Conformal tail surprise, with magnitude**: for each view and each trailing window of W = 500 and
///    W = 8640 past samples (about 1.7 and 30 days at 5-minute sampling), the rank p-values
///    `p_up = (#{h ≥ v} + 1) / (n + 1)` and `p_down = (#{h ≤ v} + 1) / (n + 1)` of the new value v among
///    the n values h of the window, exactly as in conformal prediction: distribution-free, scale-free, and
///    calibrated the same way for every series. Ranks saturate at `1/(n+1)` for a new extreme, so the
///    surprise also counts how far beyond the window's extreme the value lies, in units of the window's
///    robust spread (q95 − q5): `surprise = (−log10 p + 2·ln(1 + excess)) / log10(W + 1)`. The two windows'
///    surprises are averaged (short memory gives sensitivity, long memory vetoes what happened before
///    within a month); once both are full, a new extreme of both scores at least 1 (a short history caps
///    the rank term lower, so early samples need a larger excess). Fewer than 20 past samples give no
///    surprise, so the detector warms up by itself.
/// 3. **Daily seasonality veto**: a side (up or down) scores 0 when the view's value is within the range
///    of what that view did at the same time of day (the hour around it, in half-hour slots) on any of the
///    previous 7 days, widened by a quarter of the long window's q5–q95 spread — daily cron jobs and backups
///    are not anomalies. Uses timestamps, so gaps and any sampling rate work.
/// 4. **Score** = the largest side surprise over both views, clamped to [0, 1].
/// 5. **Alert once**: a score that does not exceed every raw score of the previous 150 samples is reported
///    as 0: an incident is reported when it starts or escalates, not again on each of its samples (NAB and
///    operators reward the earliest detection and penalise repeats).
///
/// State: about 10 KB per series. The short windows are kept whole: the inputs once, in arrival order, the means
/// computed again from them when needed, each view's sorted order as 16-bit positions (`ShortWindows`); the long
/// windows as order statistics of blocks of 360 values (`BlockWindow`: exact near the extremes up to two-byte
/// rounding outward, interpolated between), the block being filled read from the short windows, which hold it; the
/// seasonal ranges as half-hour slots of 7 days (`SeasonalSlots`, two-byte ends rounded outward).
/// docs/BENCHMARKS.md has the measured size and cost per sample.
///
/// Inputs: non-finite values (NaN, ±inf) score 0 and leave the state untouched; finite values are clamped
/// to ±3.4e38 and rounded to single precision (about 7 significant digits), as are the means: the short windows
/// keep the inputs as `Float`s, which then hold them exactly. Timestamps should ascend (out-of-order timestamps only
/// weaken the seasonality veto).
///
/// NAB v1.1 (realAWSCloudwatch + realKnownCause subset, 19 files): bench/nab.sh measures it; bench/NAB.md has the numbers.
public struct AnomalyDetector: Sendable {
    /// The constants one may vary (for the benchmarks' cross-validation; every series uses the defaults).
    public struct Parameters: Sendable, Equatable {
        /// Past samples a window needs before it contributes.
        public var minHistory = 20
        /// Weight of the log-excess beyond the window's extreme.
        public var tailWeight = 2.0
        /// Samples in the smoothed view.
        public var meanLength = 6
        /// After a score, smaller-or-equal scores within this many samples are reported as 0.
        public var holdSamples = 150
        /// Seasonality veto: the hour around the same time of day, on each of the previous `seasonDays` days.
        public var seasonDays = 7
        /// The seasonal range is widened by this fraction of the long window's q5–q95 spread.
        public var seasonSlack = 0.25

        public init() {}

        /// The names `set` takes.
        public static let names = ["min_history", "tail_weight", "mean_length", "hold_samples", "season_days", "season_slack"]

        /// Sets one constant from `name=value`; the error names what is wrong.
        public mutating func set(_ assignment: String) throws(KnobError) {
            let a = try KnobAssignment(assignment)
            switch a.name {
            case "min_history": minHistory = try a.int(2...500)
            case "tail_weight": tailWeight = try a.number(0...100)
            case "mean_length": meanLength = try a.int(1...100)
            case "hold_samples": holdSamples = try a.int(1...10_000)
            case "season_days": seasonDays = try a.int(0...7)
            case "season_slack": seasonSlack = try a.number(0...100)
            default: throw a.unknown(Self.names)
            }
        }
    }

    /// The trailing windows, in samples.
    static let windows = (short: 500, long: 8640)
    /// The long window is kept as `windows.long / longBlock` blocks of this many values.
    static let longBlock = 360
    static let seasonSlotMs: Int64 = 30 * 60_000
    static let dayMs: Int64 = 86_400_000
    /// Finite inputs are clamped to ±valueLimit (the largest `Float`).
    static let valueLimit = Double(Float.greatestFiniteMagnitude)

    /// Per view (0 = value, 1 = mean of the last 6): the short window, whole (the means computed from the inputs).
    private var short: ShortWindows
    /// Per view: the long window's completed blocks.
    private var longWindows = (BlockWindow(blockSize: longBlock, maxBlocks: windows.long / longBlock, ranks: longRanks),
                               BlockWindow(blockSize: longBlock, maxBlocks: windows.long / longBlock, ranks: longRanks))
    /// One rank list for every detector's long windows.
    private static let longRanks = BlockWindow.ranks(blockSize: longBlock)
    /// Values since the last completed block: the newest `partial` values of each short window.
    private var partial = 0
    private var seasons = SeasonalSlots(slotMs: seasonSlotMs, capacity: 7 * Int(dayMs / seasonSlotMs) + 2)
    /// Raw scores, at single precision (`raw` is rounded to it).
    private var recentScores: RingBuffer<Float>
    private let p: Parameters
    /// The score of the latest sample before the alert-once rule (`score` may report it as 0).
    public private(set) var lastRawScore = 0.0

    public init(parameters: Parameters = Parameters()) {
        p = parameters
        short = ShortWindows(capacity: Self.windows.short, meanLength: parameters.meanLength)
        recentScores = RingBuffer(capacity: parameters.holdSamples)
    }

    /// Bytes this detector holds: its own size and its buffers' capacity (reserved in full at the start, so the
    /// figure does not grow as the windows fill).
    public var stateBytes: Int {
        MemoryLayout<AnomalyDetector>.size + short.heapBytes + longWindows.0.heapBytes + longWindows.1.heapBytes
            + seasons.heapBytes + recentScores.heapBytes
    }

    /// Scores the next sample (Unix milliseconds, value): 0 = normal, 1 = most anomalous.
    public mutating func score(timestampMs: Int64, value: Double) -> Double {
        guard value.isFinite else { return 0 }
        let x = Double(Float(min(Self.valueLimit, max(-Self.valueLimit, value))))
        let mean = short.meanIncluding(x)

        let envelope = seasonalEnvelope(at: timestampMs)
        let long0 = longView(x, view: 0, longWindows.0)
        let long1 = longView(mean, view: 1, longWindows.1)
        let s0 = sideScores(x, view: 0, long0)
        let s1 = sideScores(mean, view: 1, long1)
        let slack0 = long0.n >= p.minHistory ? p.seasonSlack * (long0.q95 - long0.q5) : 0
        let slack1 = long1.n >= p.minHistory ? p.seasonSlack * (long1.q95 - long1.q5) : 0
        var raw = 0.0
        raw = max(raw, x <= envelope.hi.0 + slack0 ? 0 : s0.up, x >= envelope.lo.0 - slack0 ? 0 : s0.down)
        raw = max(raw, mean <= envelope.hi.1 + slack1 ? 0 : s1.up, mean >= envelope.lo.1 - slack1 ? 0 : s1.down)
        raw = Double(Float(min(1, max(0, raw))))
        lastRawScore = raw

        var out = raw
        if !recentScores.isEmpty {
            var peak = -Double.infinity
            for i in 0..<recentScores.count { peak = max(peak, Double(recentScores[i])) }
            if raw <= peak { out = 0 }
        }
        recentScores.append(Float(raw))

        short.insert(x)
        partial += 1
        if partial == Self.longBlock {
            longWindows.0.append(block: short.newest(0, Self.longBlock))
            longWindows.1.append(block: short.newest(1, Self.longBlock))
            partial = 0
        }
        seasons.record(ts: timestampMs, x, mean)
        return out
    }

    /// What the long window says about `v`: its size, the counts of values at least and at most `v`, its
    /// extremes and quantiles (of the completed blocks; of the values so far before the first block completes).
    struct LongView {
        var n: Int
        var atLeast: Double
        var atMost: Double
        var min: Double
        var max: Double
        var q5: Double
        var q50: Double
        var q95: Double
    }

    private func longView(_ v: Double, view: Int, _ long: BlockWindow) -> LongView {
        if long.blockCount == 0 {
            // Everything so far is in the short window (fewer than a block's values).
            let n = short.count
            guard n > 0 else { return LongView(n: 0, atLeast: 0, atMost: 0, min: 0, max: 0, q5: 0, q50: 0, q95: 0) }
            return LongView(n: n, atLeast: Double(n - short.lowerBound(view, v)), atMost: Double(short.upperBound(view, v)),
                            min: short.smallest(view, 0), max: short.smallest(view, n - 1),
                            q5: short.quantile(view, 0.05), q50: short.quantile(view, 0.5), q95: short.quantile(view, 0.95))
        }
        var below = 0
        var atMost = 0
        var lo = long.completedMin
        var hi = long.completedMax
        for i in 0..<partial {
            let h = short.newestValue(view, i)
            if h < v { below += 1 }
            if h <= v { atMost += 1 }
            lo = Swift.min(lo, h)
            hi = Swift.max(hi, h)
        }
        let n = long.completedCount + partial
        let q = long.cachedQuantiles
        return LongView(n: n, atLeast: Double(n) - long.count(v, inclusive: false) - Double(below),
                        atMost: long.count(v, inclusive: true) + Double(atMost), min: lo, max: hi, q5: q.q5, q50: q.q50, q95: q.q95)
    }

    /// Up and down surprise of `v` against one view's windows (mean over the two windows).
    private func sideScores(_ v: Double, view: Int, _ long: LongView) -> (up: Double, down: Double) {
        let n = short.count
        let a = n > 0
            ? surprise(v, n: n, atLeast: Double(n - short.lowerBound(view, v)), atMost: Double(short.upperBound(view, v)),
                       min: short.smallest(view, 0), max: short.smallest(view, n - 1),
                       q5: short.quantile(view, 0.05), q50: short.quantile(view, 0.5), q95: short.quantile(view, 0.95),
                       windowLength: Self.windows.short)
            : (up: 0, down: 0)
        let b = surprise(v, n: long.n, atLeast: long.atLeast, atMost: long.atMost, min: long.min, max: long.max,
                         q5: long.q5, q50: long.q50, q95: long.q95, windowLength: Self.windows.long)
        return ((a.up + b.up) / 2, (a.down + b.down) / 2)
    }

    private func surprise(_ v: Double, n: Int, atLeast: Double, atMost: Double, min: Double, max: Double,
                                 q5: Double, q50: Double, q95: Double, windowLength: Int) -> (up: Double, down: Double) {
        guard n >= p.minHistory else { return (0, 0) }
        let pUp = (Swift.max(0, atLeast) + 1) / Double(n + 1)
        let pDown = (Swift.max(0, atMost) + 1) / Double(n + 1)
        let spread = Swift.max(q95 - q5, 1e-9 * Swift.max(1.0, abs(q50)))
        let excessUp = Swift.max(0.0, (v - max) / spread)
        let excessDown = Swift.max(0.0, (min - v) / spread)
        let norm = log10(Double(windowLength + 1))
        return ((-log10(pUp) + p.tailWeight * log1p(excessUp)) / norm,
                (-log10(pDown) + p.tailWeight * log1p(excessDown)) / norm)
    }

    /// Range of each view in the hour around the same time of day on the previous `seasonDays` days (the two
    /// half-hour slots nearest that time); empty (hi = −inf, lo = +inf) when none was seen.
    private func seasonalEnvelope(at ts: Int64) -> (hi: (Double, Double), lo: (Double, Double)) {
        var hi = (-Double.infinity, -Double.infinity)
        var lo = (Double.infinity, Double.infinity)
        let slotMs = Self.seasonSlotMs
        for k in stride(from: 1, through: p.seasonDays, by: 1) {
            let (c, overflow) = ts.subtractingReportingOverflow(Int64(k) * Self.dayMs)
            if overflow { break }
            let s = SeasonalSlots.slot(c, slotMs)
            let first = SeasonalSlots.offset(c, slotMs) < slotMs / 2 ? s - 1 : s
            seasons.widen(from: first, to: first + 1, hi: &hi, lo: &lo)
        }
        return (hi, lo)
    }
}

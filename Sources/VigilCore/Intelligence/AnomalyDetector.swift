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
///    of what that view did at the same time of day (±30 minutes) on any of the previous 7 days, widened
///    by a quarter of the long window's q5–q95 spread — daily cron jobs and backups are not anomalies.
///    Uses timestamps, so gaps and any sampling rate work.
/// 4. **Score** = the largest side surprise over both views, clamped to [0, 1].
/// 5. **Alert once**: a score that does not exceed every raw score of the previous 150 samples is reported
///    as 0: an incident is reported when it starts or escalates, not again on each of its samples (NAB and
///    operators reward the earliest detection and penalise repeats).
///
/// State: about 0.5 MB per series (per view, both windows sorted and in arrival order, plus the last 8640
/// timestamps); about 2 µs per sample on a 2-core x86_64 Linux box in a release build.
///
/// Inputs: non-finite values (NaN, ±inf) score 0 and leave the state untouched; finite values are clamped
/// to ±1e300 so no intermediate overflows into NaN. Timestamps should ascend (out-of-order timestamps only
/// weaken the seasonality veto).
///
/// NAB v1.1 (realAWSCloudwatch + realKnownCause subset, 19 files): bench/nab.sh measures it; bench/NAB.md has the numbers.
public struct AnomalyDetector: Sendable {
    /// The trailing windows, in samples.
    static let windows = (short: 500, long: 8640)
    /// Past samples a window needs before it contributes.
    static let minHistory = 20
    /// Weight of the log-excess beyond the window's extreme.
    static let tailWeight = 2.0
    /// Samples in the smoothed view.
    static let meanLength = 6
    /// After a score, smaller-or-equal scores within this many samples are reported as 0.
    static let holdSamples = 150
    /// Seasonality veto: same time of day ± tolerance, on each of the previous `seasonDays` days.
    static let seasonDays = 7
    static let seasonToleranceMs: Int64 = 30 * 60_000
    /// The seasonal range is widened by this fraction of the long window's q5–q95 spread.
    static let seasonSlack = 0.25
    static let dayMs: Int64 = 86_400_000
    /// Finite inputs are clamped to ±valueLimit.
    static let valueLimit = 1e300

    struct Sample: Sendable {
        var ts: Int64
        var views: (Double, Double)
    }

    /// Per view (0 = value, 1 = mean of the last 6): the short and long windows.
    private var shortWindows = (SortedWindow(capacity: windows.short), SortedWindow(capacity: windows.short))
    private var longWindows = (SortedWindow(capacity: windows.long), SortedWindow(capacity: windows.long))
    /// The last `windows.long` samples, oldest first (timestamps for the seasonality veto).
    private var history = RingBuffer<Sample>(capacity: windows.long)
    private var recentValues = RingBuffer<Double>(capacity: meanLength)
    private var recentScores = RingBuffer<Double>(capacity: holdSamples)

    public init() {}

    /// Scores the next sample (Unix milliseconds, value): 0 = normal, 1 = most anomalous.
    public mutating func score(timestampMs: Int64, value: Double) -> Double {
        guard value.isFinite else { return 0 }
        let x = min(Self.valueLimit, max(-Self.valueLimit, value))
        recentValues.append(x)
        var sum = 0.0
        for i in 0..<recentValues.count { sum += recentValues[i] }
        let mean = sum / Double(recentValues.count)

        let envelope = seasonalEnvelope(at: timestampMs)
        let s0 = Self.sideScores(x, shortWindows.0, longWindows.0)
        let s1 = Self.sideScores(mean, shortWindows.1, longWindows.1)
        let slack0 = Self.seasonalSlack(longWindows.0)
        let slack1 = Self.seasonalSlack(longWindows.1)
        var raw = 0.0
        raw = max(raw, x <= envelope.hi.0 + slack0 ? 0 : s0.up, x >= envelope.lo.0 - slack0 ? 0 : s0.down)
        raw = max(raw, mean <= envelope.hi.1 + slack1 ? 0 : s1.up, mean >= envelope.lo.1 - slack1 ? 0 : s1.down)
        raw = min(1, max(0, raw))

        var out = raw
        if !recentScores.isEmpty {
            var peak = -Double.infinity
            for i in 0..<recentScores.count { peak = max(peak, recentScores[i]) }
            if raw <= peak { out = 0 }
        }
        recentScores.append(raw)

        shortWindows.0.insert(x)
        longWindows.0.insert(x)
        shortWindows.1.insert(mean)
        longWindows.1.insert(mean)
        history.append(Sample(ts: timestampMs, views: (x, mean)))
        return out
    }

    /// Up and down surprise of `v` against one view's windows (mean over the two windows).
    private static func sideScores(_ v: Double, _ short: SortedWindow, _ long: SortedWindow) -> (up: Double, down: Double) {
        let a = windowSurprise(v, short, windowLength: windows.short)
        let b = windowSurprise(v, long, windowLength: windows.long)
        return ((a.up + b.up) / 2, (a.down + b.down) / 2)
    }

    private static func windowSurprise(_ v: Double, _ w: SortedWindow, windowLength: Int) -> (up: Double, down: Double) {
        let n = w.count
        guard n >= minHistory else { return (0, 0) }
        let atLeast = n - w.lowerBound(v)
        let atMost = w.upperBound(v)
        let pUp = Double(atLeast + 1) / Double(n + 1)
        let pDown = Double(atMost + 1) / Double(n + 1)
        let q5 = w.quantile(0.05)
        let q50 = w.quantile(0.5)
        let q95 = w.quantile(0.95)
        let spread = max(q95 - q5, 1e-9 * max(1.0, abs(q50)))
        let excessUp = max(0.0, (v - w.sorted[n - 1]) / spread)
        let excessDown = max(0.0, (w.sorted[0] - v) / spread)
        let norm = log10(Double(windowLength + 1))
        return ((-log10(pUp) + tailWeight * log1p(excessUp)) / norm,
                (-log10(pDown) + tailWeight * log1p(excessDown)) / norm)
    }

    /// How far beyond the seasonal range a value must be to count: `seasonSlack` × the window's q5–q95 spread.
    private static func seasonalSlack(_ w: SortedWindow) -> Double {
        w.count >= minHistory ? seasonSlack * (w.quantile(0.95) - w.quantile(0.05)) : 0
    }

    /// Range of each view at the same time of day (± tolerance) on the previous `seasonDays` days; empty
    /// (hi = −inf, lo = +inf) when none of those times is in the history.
    private func seasonalEnvelope(at ts: Int64) -> (hi: (Double, Double), lo: (Double, Double)) {
        var hi = (-Double.infinity, -Double.infinity)
        var lo = (Double.infinity, Double.infinity)
        for k in 1...Self.seasonDays {
            let (c, overflow) = ts.subtractingReportingOverflow(Int64(k) * Self.dayMs)
            if overflow { break }
            var i = firstIndex(atOrAfter: c &- Self.seasonToleranceMs)
            while i < history.count {
                let s = history[i]
                if s.ts > c &+ Self.seasonToleranceMs { break }
                hi = (max(hi.0, s.views.0), max(hi.1, s.views.1))
                lo = (min(lo.0, s.views.0), min(lo.1, s.views.1))
                i += 1
            }
        }
        return (hi, lo)
    }

    /// First history index whose timestamp is ≥ `ts` (binary search; history is in arrival order).
    private func firstIndex(atOrAfter ts: Int64) -> Int {
        var lo = 0
        var hi = history.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if history[mid].ts < ts { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

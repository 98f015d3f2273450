/// Per-second rates from cumulative counters.
public enum CounterRate {
    /// `(current - previous) / seconds`, or nil when the counter went backwards (wrap, reset, device
    /// replaced) or no time passed: a rate is skipped for that cycle rather than reported negative.
    public static func perSecond(previous: UInt64, current: UInt64, seconds: Double) -> Double? {
        guard current >= previous, seconds > 0 else { return nil }
        return Double(current - previous) / seconds
    }
}

/// Parser for /proc/uptime.
public enum Uptime {
    /// Seconds since boot (the first field), or nil when malformed.
    public static func parse(_ text: String) -> Double? {
        guard let first = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).first else { return nil }
        return Double(first)
    }
}

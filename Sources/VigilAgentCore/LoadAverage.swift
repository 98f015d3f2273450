/// The run-queue load averages from /proc/loadavg.
public struct LoadAverage: Sendable, Equatable {
    public var one: Double
    public var five: Double
    public var fifteen: Double

    public init(one: Double, five: Double, fifteen: Double) {
        self.one = one
        self.five = five
        self.fifteen = fifteen
    }

    /// Parses `0.43 0.69 0.33 3/84 9735`; nil when malformed.
    public static func parse(_ text: String) -> LoadAverage? {
        let f = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard f.count >= 3, let a = Double(f[0]), let b = Double(f[1]), let c = Double(f[2]) else { return nil }
        return LoadAverage(one: a, five: b, fifteen: c)
    }
}

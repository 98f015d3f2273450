/// Durations as people write them in configs and flags: `500ms`, `10s`, `5m`, `2h`, `90d`, `1w`,
/// or combined (`1h30m`). A bare number means seconds.
public enum DurationText {
    /// Milliseconds, or nil when `text` is not a duration.
    public static func milliseconds(_ text: String) -> Int64? {
        let t = text.trimmingSpaces()
        guard !t.isEmpty else { return nil }
        if let n = Int64(t), n >= 0 {
            let (ms, overflow) = n.multipliedReportingOverflow(by: 1000)
            return overflow ? nil : ms
        }
        var total: Int64 = 0
        var number: Int64 = 0
        var haveNumber = false
        var chars = Array(t.utf8)[...]
        while let c = chars.first {
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                let (m, o1) = number.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int64(c - UInt8(ascii: "0")))
                if o1 || o2 { return nil }
                number = s
                haveNumber = true
                chars = chars.dropFirst()
                continue
            }
            guard haveNumber else { return nil }
            var unit: [UInt8] = []
            while let u = chars.first, !(u >= UInt8(ascii: "0") && u <= UInt8(ascii: "9")) {
                unit.append(u)
                chars = chars.dropFirst()
            }
            let scale: Int64
            switch String(decoding: unit, as: UTF8.self) {
            case "ms": scale = 1
            case "s": scale = 1000
            case "m": scale = 60_000
            case "h": scale = 3_600_000
            case "d": scale = 86_400_000
            case "w": scale = 604_800_000
            default: return nil
            }
            let (p, o) = number.multipliedReportingOverflow(by: scale)
            if o { return nil }
            let (sum, o2) = total.addingReportingOverflow(p)
            if o2 { return nil }
            total = sum
            number = 0
            haveNumber = false
        }
        return haveNumber ? nil : total
    }

    /// A compact rendering: `45s`, `4m`, `2h`, `3d`.
    public static func short(ms: Int64) -> String {
        let s = max(0, ms) / 1000
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86_400 { return "\(s / 3600)h" }
        return "\(s / 86_400)d"
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" { s = s.dropLast() }
        return String(s)
    }
}

import VigilTheme
import Foundation

/// Compact, unit-aware formatting of values for narrow table cells.
enum Format {
    /// An age in ms as on-call engineers read it: `3s`, `4m`, `2h`, `5d` (`0s` for the future).
    static func age(_ ms: Int64) -> String {
        let s = max(0, ms / 1000)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86_400 { return "\(s / 3600)h" }
        return "\(s / 86_400)d"
    }

    /// An age at the resolution an on-call engineer needs, which changes rarely so an idle screen stays still:
    /// "now" under `fresh` (a host reporting on time), "<1m" up to a minute, then minutes, hours, days.
    static func coarseAge(_ ms: Int64, fresh: Int64 = 30_000) -> String {
        if ms < fresh { return "now" }
        if ms < 60_000 { return "<1m" }
        return age(ms)
    }

    /// A percentage without the sign: `42.1`, `100`, `-` for nil.
    static func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        if value >= 99.95 { return String(format: "%.0f", value) }
        return String(format: "%.1f", value)
    }

    /// Checks passing of the total, as every CHECKS column writes them (`2/2`), as k9s counts READY.
    static func passing(failing: Int, of total: Int) -> String { "\(total - failing)/\(total)" }

    /// A load average: `0.42`, `12.3`, `123`.
    static func load(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        if value < 10 { return String(format: "%.2f", value) }
        if value < 100 { return String(format: "%.1f", value) }
        return String(format: "%.0f", value)
    }

    /// Bytes in IEC units: `512 B`, `1.5 KiB`, `7.8 GiB`.
    static func bytes(_ value: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var v = abs(value)
        var i = 0
        while v >= 1024 && i < units.count - 1 {
            v /= 1024
            i += 1
        }
        let sign = value < 0 ? "-" : ""
        if i == 0 { return "\(sign)\(Int(v)) B" }
        return sign + (v < 10 ? String(format: "%.1f", v) : String(format: "%.0f", v)) + " " + units[i]
    }

    /// A duration in seconds: `340ms`, `42s`, `12m 3s`, `4h 12m`, `3d 4h`.
    static func duration(seconds: Double) -> String {
        guard seconds.isFinite else { return "-" }
        if seconds < 1 { return String(format: "%.0fms", seconds * 1000) }
        let s = Int64(seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m \(s % 60)s" }
        if s < 86_400 { return "\(s / 3600)h \((s % 3600) / 60)m" }
        return "\(s / 86_400)d \((s % 86_400) / 3600)h"
    }

    /// A latency in ms: `0.4 ms`, `12 ms`, `1.2 s`.
    static func milliseconds(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        if value < 10 { return String(format: "%.1f ms", value) }
        if value < 1000 { return String(format: "%.0f ms", value) }
        return String(format: "%.1f s", value / 1000)
    }

    /// A plain number: integers as is up to 99,999, then `123k`, `1.2M`; fractions with up to 2 decimals.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        let a = abs(value)
        if a >= 1e9 { return String(format: "%.1fG", value / 1e9) }
        if a >= 1e6 { return String(format: "%.1fM", value / 1e6) }
        if a >= 1e5 { return String(format: "%.0fk", value / 1e3) }
        if value == value.rounded() { return String(Int64(value)) }
        if a >= 100 { return String(format: "%.0f", value) }
        return String(format: "%.2f", value)
    }

    /// What a series' value means, judged from its name (`cpu.usage_percent`, `net.rx_bytes_per_s`,
    /// `mem.available_bytes`, `uptime.seconds`, `latency_ms`, …).
    enum Unit: Equatable, Sendable {
        case percent, bytesPerSecond, bytes, seconds, milliseconds, perSecond, plain
    }

    /// The unit of series `name`.
    static func unit(ofSeries name: String) -> Unit {
        let n = name.lowercased()
        if n.hasSuffix("percent") || n.hasSuffix("_pct") || n.hasSuffix("ratio_percent") { return .percent }
        if n.hasSuffix("bytes_per_s") || n.hasSuffix("bytes_per_second") || n.hasSuffix("bytes_per_sec") { return .bytesPerSecond }
        if n.hasSuffix("bytes") || n == "agent.memory" { return .bytes }
        if n.hasSuffix("_ms") || n.hasSuffix(".ms") || n.hasSuffix("latency_ms") { return .milliseconds }
        if n.hasSuffix("seconds") || n.hasSuffix("_secs") { return .seconds }
        if n.hasSuffix("_per_s") || n.hasSuffix("_per_second") { return .perSecond }
        return .plain
    }

    /// A series value formatted for its unit: `42.1%`, `1.2 MiB/s`, `7.8 GiB`, `3d 4h`, `12 ms`, `3.5/s`, `0.42`.
    static func seriesValue(_ value: Double?, name: String) -> String {
        guard let value, value.isFinite else { return "-" }
        switch unit(ofSeries: name) {
        case .percent: return String(format: "%.1f%%", value)
        case .bytesPerSecond: return bytes(value) + "/s"
        case .bytes: return bytes(value)
        case .seconds: return duration(seconds: value)
        case .milliseconds: return milliseconds(value)
        case .perSecond: return number(value) + "/s"
        case .plain: return number(value)
        }
    }

    /// The role health is drawn in: ≥80 ok, 50-79 warning, <50 critical.
    static func healthRole(_ health: Int) -> Role {
        if health >= 80 { return .ok }
        if health >= 50 { return .warning }
        return .critical
    }

    /// Labels as `k=v` sorted by key, space separated.
    static func labels(_ labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    /// A local wall-clock time `HH:MM` of Unix ms (the console's top bar: it changes once a minute).
    static func clockMinutes(_ ms: Int64) -> String {
        String(clock(ms).prefix(5))
    }

    /// A local wall-clock time `HH:MM:SS` of Unix ms.
    static func clock(_ ms: Int64) -> String {
        var t = time_t(ms / 1000)
        var parts = tm()
        localtime_r(&t, &parts)
        return String(format: "%02d:%02d:%02d", parts.tm_hour, parts.tm_min, parts.tm_sec)
    }
}

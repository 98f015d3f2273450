import Foundation

/// The daily or weekly report, delivered to a channel at a time of day (`reports:` in notify.yaml).
public struct ReportSchedule: Sendable, Equatable {
    public enum Kind: String, Sendable { case daily, weekly }
    public var kind: Kind
    /// Minutes after midnight.
    public var minute: Int
    /// Weekly: 1 = Sunday … 7 = Saturday.
    public var weekday: Int
    public var timeZone: TimeZone
    public var channel: String

    public init(kind: Kind, minute: Int, weekday: Int = 2, timeZone: TimeZone, channel: String) {
        self.kind = kind
        self.minute = minute
        self.weekday = weekday
        self.timeZone = timeZone
        self.channel = channel
    }

    /// The setting that remembers the last delivery.
    public var settingKey: String { "notify.report.\(kind.rawValue).\(channel)" }

    /// The latest scheduled moment at or before `ms`.
    public func lastDue(atOrBefore ms: Int64) -> Int64 {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        var d = cal.date(bySettingHour: minute / 60, minute: minute % 60, second: 0, of: Date(timeIntervalSince1970: Double(ms) / 1000)) ?? Date()
        func at(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        while at(d) > ms || (kind == .weekly && cal.component(.weekday, from: d) != weekday) {
            d = cal.date(byAdding: .day, value: -1, to: d) ?? d
        }
        return at(d)
    }

    /// The period the report covers when sent at `due`.
    public func period(endingAt due: Int64) -> (from: Int64, to: Int64) {
        (due - (kind == .daily ? 86_400_000 : 7 * 86_400_000), due)
    }
}

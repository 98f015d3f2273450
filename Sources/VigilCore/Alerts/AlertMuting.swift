import Foundation

/// Alertmanager-style inhibition: while an alert matching `source` fires, alerts matching `target` that carry the
/// same values for every label in `equal` are muted (e.g. HostStale mutes every other alert of that host).
public struct InhibitRule: Sendable, Equatable {
    public var source: [LabelMatcher]
    public var target: [LabelMatcher]
    public var equal: [String]
    /// 1-based line in its rule file, for messages.
    public var line: Int

    public init(source: [LabelMatcher], target: [LabelMatcher], equal: [String], line: Int = 0) {
        self.source = source
        self.target = target
        self.equal = equal
        self.line = line
    }

    static func matches(_ matchers: [LabelMatcher], name: String, labels: [String: String]) -> Bool {
        matchers.allMatch { $0 == "alertname" ? name : labels[$0] }
    }
}

/// A recurring maintenance window: alerts matching `matchers` are muted on the given weekdays from `startMinute`
/// (minutes after midnight UTC) for `durationMs`. Windows may cross midnight.
public struct MaintenanceWindow: Sendable, Equatable {
    public var name: String
    public var matchers: [LabelMatcher]
    /// 0 = Sunday … 6 = Saturday.
    public var weekdays: Set<Int>
    public var startMinute: Int
    public var durationMs: Int64
    public var line: Int

    public init(name: String, matchers: [LabelMatcher], weekdays: Set<Int>, startMinute: Int, durationMs: Int64, line: Int = 0) {
        self.name = name
        self.matchers = matchers
        self.weekdays = weekdays
        self.startMinute = startMinute
        self.durationMs = durationMs
        self.line = line
    }

    /// Whether the window is open at `now` (Unix ms), checking the occurrences that started today and the days
    /// before (a window may last longer than a day).
    public func isOpen(at now: Int64) -> Bool {
        let dayMs: Int64 = 86_400_000
        let today = now - ((now % dayMs) + dayMs) % dayMs
        let daysBack = Int(durationMs / dayMs) + 1
        for back in 0...daysBack {
            let dayStart = today - Int64(back) * dayMs
            // 1970-01-01 was a Thursday (4).
            let weekday = Int(((dayStart / dayMs) % 7 + 7 + 4) % 7)
            guard weekdays.contains(weekday) else { continue }
            let start = dayStart + Int64(startMinute) * 60_000
            if now >= start && now < start + durationMs { return true }
        }
        return false
    }

    public static let weekdayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
}

/// Why an alert is muted, if it is: a silence, an open maintenance window, or a firing alert that inhibits it.
public enum AlertMuting {
    public static func mutedBy(alertName: String, labels: [String: String], at now: Int64, silences: [Silence],
                               windows: [MaintenanceWindow], inhibitions: [InhibitRule],
                               firing: [(name: String, labels: [String: String], fingerprint: String)], fingerprint: String) -> String? {
        mutedBy(alertName: alertName, labels: labels, at: now, silences: silences, windows: windows,
                inhibitors: Inhibitors(rules: inhibitions, firing: firing), fingerprint: fingerprint)
    }

    /// The same with the firing alerts indexed once for every alert of an evaluation.
    public static func mutedBy(alertName: String, labels: [String: String], at now: Int64, silences: [Silence],
                               windows: [MaintenanceWindow], inhibitors: Inhibitors, fingerprint: String) -> String? {
        if let s = silences.first(where: { $0.mutes(alertName: alertName, labels: labels, at: now) }) {
            return "silence \(s.id)"
        }
        if let w = windows.first(where: { $0.isOpen(at: now) && !$0.matchers.isEmpty && InhibitRule.matches($0.matchers, name: alertName, labels: labels) }) {
            return "maintenance \(w.name)"
        }
        return inhibitors.inhibitor(of: fingerprint, alertName: alertName, labels: labels)
    }
}

/// The firing alerts that can inhibit others, indexed per inhibit rule by the values of the rule's `equal` labels,
/// so muting an alert is a lookup per rule. Comparing every alert with every firing alert was quadratic: at 10,000
/// firing alerts an evaluation's muting took a whole core.
public struct Inhibitors: Sendable {
    struct Source: Sendable {
        var name: String
        var host: String?
        var fingerprint: String
    }

    let rules: [InhibitRule]
    /// Per rule: equal-label values → the first two firing sources with them, in the order given (two, so an alert
    /// that is its own source still finds another).
    let sources: [[[String?]: [Source]]]

    public init(rules: [InhibitRule], firing: [(name: String, labels: [String: String], fingerprint: String)]) {
        self.rules = rules
        sources = rules.map { rule in
            var bySignature: [[String?]: [Source]] = [:]
            for f in firing where InhibitRule.matches(rule.source, name: f.name, labels: f.labels) {
                let key = rule.equal.map { f.labels[$0] }
                if bySignature[key, default: []].count < 2 {
                    bySignature[key, default: []].append(Source(name: f.name, host: f.labels["host"], fingerprint: f.fingerprint))
                }
            }
            return bySignature
        }
    }

    /// "inhibited by NAME on HOST" when a firing alert other than `fingerprint` inhibits it.
    public func inhibitor(of fingerprint: String, alertName: String, labels: [String: String]) -> String? {
        for (i, rule) in rules.enumerated() where InhibitRule.matches(rule.target, name: alertName, labels: labels) {
            let key = rule.equal.map { labels[$0] }
            if let source = sources[i][key]?.first(where: { $0.fingerprint != fingerprint }) {
                return "inhibited by \(source.name)" + (source.host.map { " on \($0)" } ?? "")
            }
        }
        return nil
    }
}

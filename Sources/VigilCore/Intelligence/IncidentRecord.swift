import Foundation

/// A resolved alert remembered: what it was, what was thought and done, how it ended. Written when an alert
/// resolves; found again by full-text similarity when a like alert fires ("seen 3 times, fixed by
/// service_restart twice") and handed to the AI as context.
public struct IncidentRecord: Sendable, Equatable, Identifiable {
    public var id: String
    public var fingerprint: String
    public var rule: String
    public var host: String?
    public var severity: String
    public var labels: [String: String]
    public var startedAt: Int64
    public var resolvedAt: Int64
    /// The diagnosis' cause (of the alert's latest remediation run), or "".
    public var diagnosis: String
    /// The latest runbook run on it and its end state (`succeeded`, `failed`, …).
    public var runbook: String?
    public var outcome: String?
    /// Acknowledgement notes and notes, in order.
    public var notes: String
    /// The host's most frequent warning-and-above log patterns while it was active.
    public var patterns: [String]

    public init(id: String, fingerprint: String, rule: String, host: String?, severity: String, labels: [String: String],
                startedAt: Int64, resolvedAt: Int64, diagnosis: String = "", runbook: String? = nil, outcome: String? = nil,
                notes: String = "", patterns: [String] = []) {
        self.id = id
        self.fingerprint = fingerprint
        self.rule = rule
        self.host = host
        self.severity = severity
        self.labels = labels
        self.startedAt = startedAt
        self.resolvedAt = resolvedAt
        self.diagnosis = diagnosis
        self.runbook = runbook
        self.outcome = outcome
        self.notes = notes
        self.patterns = patterns
    }

    public var durationMs: Int64 { max(0, resolvedAt - startedAt) }
}

/// Pure helpers of the incident memory: the search query for an alert and the one-line summary of what was found.
public enum IncidentMemory {
    /// An FTS5 query matching incidents like `alert`: its name, host and label values, any of them (bm25 ranks
    /// the ones sharing more, and the rule column weighs most). Tokens are quoted, so nothing in a label can
    /// change the query's syntax.
    public static func query(for alert: StoredAlert) -> String? {
        var words: [String] = [alert.rule]
        if let host = alert.host { words.append(host) }
        for (k, v) in alert.labels.sorted(by: { $0.key < $1.key }) where k != "host" && k != "alertname" { words.append(v) }
        if let m = alert.metric { words.append(m) }
        var seen = Set<String>()
        var tokens: [String] = []
        for w in words {
            for t in w.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }) where t.count >= 2 {
                let token = String(t).lowercased()
                if seen.insert(token).inserted { tokens.append("\"\(token)\"") }
            }
        }
        return tokens.isEmpty ? nil : tokens.prefix(24).joined(separator: " OR ")
    }

    /// "seen 3 times before (last 2d ago), fixed by service_restart twice" — or nil when nothing was found.
    public static func summary(_ similar: [IncidentRecord], now: Int64) -> String? {
        guard !similar.isEmpty else { return nil }
        var text = "seen \(times(similar.count)) before"
        if let last = similar.map(\.resolvedAt).max() { text += " (last \(ago(now - last)) ago)" }
        var fixes: [String: Int] = [:]
        for i in similar where i.outcome == "succeeded" { if let r = i.runbook { fixes[r, default: 0] += 1 } }
        let top = fixes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(2)
        if !top.isEmpty {
            text += ", fixed by " + top.map { "\($0.key) \(times($0.value))" }.joined(separator: " and ")
        }
        return text
    }

    /// The runbook that most often ended an incident like this one successfully.
    public static func bestFix(_ similar: [IncidentRecord]) -> String? {
        var fixes: [String: Int] = [:]
        for i in similar where i.outcome == "succeeded" { if let r = i.runbook { fixes[r, default: 0] += 1 } }
        return fixes.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
    }

    static func times(_ n: Int) -> String {
        switch n {
        case 1: "once"
        case 2: "twice"
        default: "\(n) times"
        }
    }

    static func ago(_ ms: Int64) -> String {
        let s = max(0, ms / 1000)
        if s < 3600 { return "\(max(1, s / 60))m" }
        if s < 86_400 { return "\(s / 3600)h" }
        return "\(s / 86_400)d"
    }
}

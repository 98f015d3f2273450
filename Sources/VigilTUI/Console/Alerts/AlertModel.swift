import VigilTheme
import Foundation
import VigilCore

/// What the poller read about alerts in one round: immutable, posted to the mailbox.
struct AlertsSnapshot: Sendable {
    /// Unix ms of the read.
    var takenAt: Int64
    /// Firing and pending alerts, most severe and oldest first.
    var active: [StoredAlert]
    /// Recently resolved alerts, when a pane asked for history (nil: not fetched this round).
    var resolved: [StoredAlert]?
    /// Active and future silences, when a pane asked for them (nil: not fetched this round).
    var silences: [Silence]?
    /// Which read of the store produced `active` (the poller numbers its reads; nil: unknown). A round with nothing
    /// new hands on the last read, so the same number means the same alerts.
    var read: Int?
    /// More alerts are active than one round reads (`active` holds the first `active.count`).
    var capped: Bool
    /// Counted once here, not at every frame: at 10,000 alerts a filter per frame is what a frame costs.
    let counts: Counts

    struct Counts: Sendable, Equatable {
        var firing = 0
        var pending = 0
        var acked = 0
        var bySeverity: [AlertSeverity: Int] = [:]
        /// The worst severity among firing alerts.
        var worstFiring: AlertSeverity?
    }

    init(takenAt: Int64, active: [StoredAlert], resolved: [StoredAlert]? = nil, silences: [Silence]? = nil, read: Int? = nil,
         capped: Bool = false) {
        self.takenAt = takenAt
        self.active = active
        self.resolved = resolved
        self.silences = silences
        self.read = read
        self.capped = capped
        var c = Counts()
        for a in active {
            if a.state == "firing" {
                c.firing += 1
                if c.worstFiring.map({ a.severity > $0 }) ?? true { c.worstFiring = a.severity }
            } else if a.state == "pending" {
                c.pending += 1
            }
            if a.ackedBy != nil { c.acked += 1 }
            c.bySeverity[a.severity, default: 0] += 1
        }
        counts = c
    }

    /// Whether `other` holds the same active alerts (the same read of the store).
    func sameActive(as other: AlertsSnapshot) -> Bool {
        read != nil && read == other.read
    }

    /// The worst severity firing on each host (pending alerts do not count).
    var worstFiringByHost: [String: AlertSeverity] {
        var worst: [String: AlertSeverity] = [:]
        for alert in active where alert.state == "firing" {
            guard let host = alert.host else { continue }
            if let current = worst[host], current >= alert.severity { continue }
            worst[host] = alert.severity
        }
        return worst
    }
}

/// What the visible panes want the poller to fetch besides the fleet and the active alerts.
struct PollInterest: Equatable, Sendable {
    /// The host whose detail to fetch.
    var host: String?
    /// Also fetch resolved alerts (the alerts pane's history).
    var resolvedAlerts = false
    /// Also fetch silences.
    var silences = false
    /// Fetch the timeline of this alert (fingerprint).
    var timeline: String?
    /// Also read the rule status and rules (the rules pane), when this console runs the engine.
    var rules = false
    /// Also read recent remediation runs and the approvals queue (the runbooks pane).
    var runs = false
    /// Log patterns of a host (or the fleet) over a time range, and raw lines (the logs pane).
    var logs: LogsInterest?
    /// The top processes of this host over the last hour (the host detail).
    var processes: String?
    /// With `processes`: the last hour of them (a process's history), not only the newest look.
    var processHistory = false
    /// A metric over a range (the metric view).
    var metric: MetricInterest?
    /// Stored reports (the reports pane).
    var reports = false
    /// Audit entries and the chain's state (the audit pane).
    var audit: AuditInterest?
    /// The lines around this one, from its host and source (the log context pane).
    var logContext: StoredLog?
    /// The outbox and escalations (the notifications pane).
    var notifications = false
    /// The `pg.*` series of every database probe (the databases pane).
    var databases = false
    /// One database's long-running and slow queries (its queries view).
    var databaseQueries: DatabaseQueriesInterest?
    /// Availability of every check over this window (the SLA pane).
    var sla: SLAWindow?
    /// Configured, discovered and accepted links (the topology pane; at most every 10 s).
    var topology = false
    /// The services (the services pane; at most every 30 s).
    var services = false

    init(host: String? = nil, resolvedAlerts: Bool = false, silences: Bool = false, timeline: String? = nil, rules: Bool = false,
         runs: Bool = false) {
        self.host = host
        self.resolvedAlerts = resolvedAlerts
        self.silences = silences
        self.timeline = timeline
        self.rules = rules
        self.runs = runs
    }
}

/// A change the console asks the store to make, carried out off the UI thread by the poller (which knows the
/// store and the user) and reported back as a status message.
enum StoreRequest: Equatable, Sendable {
    /// An operator action on an alert; `subject` names it in messages (`HighCPU on web-1`).
    case alert(AlertAction, fingerprint: String, detail: String, subject: String)
    /// A silence starting now.
    case createSilence(matchers: [LabelMatcher], durationMs: Int64, comment: String)
    case expireSilence(id: String)
    /// A notification (a dead letter) sent again.
    case retryNotification(id: Int64)

    var permission: Permission {
        switch self {
        case .alert(let action, _, _, _): action.permission
        case .createSilence, .expireSilence: .silence
        case .retryNotification: .acknowledge
        }
    }

    /// The past-tense message for a success (`acknowledged HighCPU on web-1`).
    var doneMessage: String {
        switch self {
        case .alert(let action, _, _, let subject):
            switch action {
            case .ack: "acknowledged \(subject)"
            case .unack: "unacknowledged \(subject)"
            case .note: "note added to \(subject)"
            case .assign: "assigned \(subject)"
            case .manualResolve: "resolved \(subject)"
            }
        case .createSilence(let matchers, let duration, _):
            "silenced \(matchers.map(\.description).joined(separator: " ")) for \(AlertFormat.duration(ms: duration))"
        case .expireSilence(let id): "expired silence \(id)"
        case .retryNotification(let id): "notification \(id) queued again"
        }
    }
}

/// Severity and state wording and colours shared by the alert panes and the dashboard marker.
enum AlertFormat {
    static func role(_ severity: AlertSeverity) -> Role {
        switch severity {
        case .critical: .critical
        case .warning: .warning
        case .info: .info
        }
    }

    /// `CRIT`, `WARN`, `INFO`.
    static func short(_ severity: AlertSeverity) -> String {
        switch severity {
        case .critical: "CRIT"
        case .warning: "WARN"
        case .info: "INFO"
        }
    }

    /// 0 for firing, 1 pending, 2 resolved: the order rows are listed in within a severity.
    static func stateRank(_ state: String) -> Int {
        switch state {
        case "firing": 0
        case "pending": 1
        default: 2
        }
    }

    static func stateRole(_ state: String) -> Role {
        switch state {
        case "firing": .critical
        case "pending": .warning
        default: .ok
        }
    }

    /// When the age of an alert counts from: firing time, else the start of pending.
    static func since(_ alert: StoredAlert) -> Int64 {
        alert.firedAt ?? alert.activeSince
    }

    /// Table order: active before resolved, most severe first, firing before pending, oldest first;
    /// resolved ones newest first.
    static func precedes(_ a: StoredAlert, _ b: StoredAlert) -> Bool {
        if a.isActive != b.isActive { return a.isActive }
        if !a.isActive { return (a.resolvedAt ?? 0) > (b.resolvedAt ?? 0) }
        if a.severity != b.severity { return a.severity > b.severity }
        if stateRank(a.state) != stateRank(b.state) { return stateRank(a.state) < stateRank(b.state) }
        if since(a) != since(b) { return since(a) < since(b) }
        return a.rule < b.rule
    }

    /// `HighCPU on web-1`.
    static func subject(_ alert: StoredAlert) -> String {
        alert.host.map { "\(alert.rule) on \($0)" } ?? alert.rule
    }

    /// The summary annotation, else the description, else "".
    static func summary(_ alert: StoredAlert) -> String {
        alert.annotations["summary"] ?? alert.annotations["description"] ?? ""
    }

    /// The matchers a silence for `alert` starts with: `alertname=…` and `host=…`.
    static func silenceMatchers(for alert: StoredAlert) -> [String] {
        var out = ["alertname=\(alert.rule)"]
        if let host = alert.host { out.append("host=\(host)") }
        return out
    }

    /// `2h`, `1d 4h`, `30m`, `45s`.
    static func duration(ms: Int64) -> String {
        let s = max(0, ms / 1000)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return s % 60 == 0 ? "\(s / 60)m" : "\(s / 60)m \(s % 60)s" }
        if s < 86_400 { return s % 3600 == 0 ? "\(s / 3600)h" : "\(s / 3600)h \((s % 3600) / 60)m" }
        return s % 86_400 == 0 ? "\(s / 86_400)d" : "\(s / 86_400)d \((s % 86_400) / 3600)h"
    }

    /// Parses `90s`, `30m`, `2h`, `1d`, `1h30m`, `1w` (a bare number is minutes). Nil when malformed or zero.
    static func parseDuration(_ text: String) -> Int64? {
        let t = text.replacingOccurrences(of: " ", with: "").lowercased()
        guard !t.isEmpty else { return nil }
        if let minutes = Int64(t) { return minutes > 0 ? minutes * 60_000 : nil }
        var total: Int64 = 0
        var number = ""
        for c in t {
            if c.isASCII && c.isNumber {
                number.append(c)
                continue
            }
            guard let n = Int64(number) else { return nil }
            let unit: Int64
            switch c {
            case "s": unit = 1000
            case "m": unit = 60_000
            case "h": unit = 3_600_000
            case "d": unit = 86_400_000
            case "w": unit = 7 * 86_400_000
            default: return nil
            }
            total += n * unit
            number = ""
        }
        guard number.isEmpty, total > 0 else { return nil }
        return total
    }

    /// Parses silence matchers separated by spaces or commas; the error names the bad one.
    static func parseMatchers(_ text: String) -> Result<[LabelMatcher], CommandError> {
        let words = text.split { $0 == " " || $0 == "," }.map(String.init)
        guard !words.isEmpty else { return .failure(CommandError(message: "a silence needs at least one matcher (e.g. host=web-1)")) }
        var out: [LabelMatcher] = []
        for word in words {
            switch LabelMatcher.parse(word) {
            case .success(let m): out.append(m)
            case .failure(let e): return .failure(CommandError(message: e.message))
            }
        }
        return .success(out)
    }
}

extension VigilUser {
    /// The console's user when there is no store to ask (tests, demos): a viewer named after `$USER`.
    static var consoleDefault: VigilUser {
        let env = ProcessInfo.processInfo.environment
        let name = env["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? env["LOGNAME"] ?? "you"
        return VigilUser(name: name, role: .viewer, createdAt: 0)
    }

    /// `alice (operator)`.
    var consoleLabel: String { "\(name) (\(role.rawValue))" }
}

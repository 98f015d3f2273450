import Foundation

/// What one notification says: a group of alerts for one receiver, in the shape of Alertmanager's webhook
/// payload (version 4), which is also the data every template reads.
public struct NotificationMessage: Sendable, Equatable {
    public struct Alert: Sendable, Equatable {
        /// `firing` or `resolved`.
        public var status: String
        public var labels: [String: String]
        public var annotations: [String: String]
        public var startsAt: Int64
        /// When it resolved; nil while firing.
        public var endsAt: Int64?
        public var generatorURL: String
        public var fingerprint: String
        public var value: Double?
        public var flapping: Bool
        public var severity: AlertSeverity
        /// Who acknowledged it, if anyone.
        public var ackedBy: String?
        /// The latest remediation run for it ("disk_cleanup succeeded", "zombie_killer awaiting approval: vigil
        /// runbook approve ID").
        public var remediation: String?

        public init(status: String, labels: [String: String], annotations: [String: String], startsAt: Int64, endsAt: Int64?,
                    generatorURL: String, fingerprint: String, value: Double?, flapping: Bool, severity: AlertSeverity, ackedBy: String? = nil) {
            self.status = status
            self.labels = labels
            self.annotations = annotations
            self.startsAt = startsAt
            self.endsAt = endsAt
            self.generatorURL = generatorURL
            self.fingerprint = fingerprint
            self.value = value
            self.flapping = flapping
            self.severity = severity
            self.ackedBy = ackedBy
        }
    }

    public var receiver: String
    /// `firing` when any alert fires, else `resolved`.
    public var status: String { alerts.contains { $0.status == "firing" } ? "firing" : "resolved" }
    public var groupKey: String
    public var groupLabels: [String: String]
    public var alerts: [Alert]
    public var externalURL: String
    /// True for `vigil notify test`.
    public var isTest = false
    /// For an escalation: which step ("escalation critical, step 2: not acknowledged for 10m").
    public var escalation: String?
    /// Handles to mention (the person on call).
    public var mentions: [String] = []

    public init(receiver: String, groupKey: String, groupLabels: [String: String], alerts: [Alert], externalURL: String, isTest: Bool = false) {
        self.receiver = receiver
        self.groupKey = groupKey
        self.groupLabels = groupLabels
        self.alerts = alerts
        self.externalURL = externalURL
        self.isTest = isTest
    }

    /// Labels every alert shares.
    public var commonLabels: [String: String] { Self.common(alerts.map(\.labels)) }
    public var commonAnnotations: [String: String] { Self.common(alerts.map(\.annotations)) }
    public var firing: [Alert] { alerts.filter { $0.status == "firing" } }
    public var resolved: [Alert] { alerts.filter { $0.status == "resolved" } }

    static func common(_ maps: [[String: String]]) -> [String: String] {
        guard var out = maps.first else { return [:] }
        for m in maps.dropFirst() { out = out.filter { m[$0.key] == $0.value } }
        return out
    }

    static func rfc3339(_ ms: Int64?) -> String {
        guard let ms else { return "0001-01-01T00:00:00Z" }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    /// The data templates read: Alertmanager's names (`.Status`, `.Alerts`, `.Alerts.Firing` as `.Firing`,
    /// `.CommonLabels`, …) plus Vigil's (`.Value`, `.Severity`, `.Flapping`, `.Console`, `.Since`).
    public func templateData(now: Int64) -> TemplateValue {
        func alert(_ a: Alert) -> TemplateValue {
            .map([
                "Status": .string(a.status), "Labels": .strings(a.labels), "Annotations": .strings(a.annotations),
                "StartsAt": .string(Self.rfc3339(a.startsAt)), "EndsAt": .string(a.endsAt.map { Self.rfc3339($0) } ?? ""),
                "GeneratorURL": .string(a.generatorURL), "Fingerprint": .string(a.fingerprint),
                "Value": a.value.map { .number($0) } ?? .null, "Severity": .string(a.severity.rawValue), "Flapping": .bool(a.flapping),
                "Since": .string(TemplateFunctions.humanizeDuration(Double(max(0, (a.endsAt ?? now) - a.startsAt) / 1000))),
                "Host": .string(a.labels["host"] ?? ""), "AckedBy": .string(a.ackedBy ?? ""),
                "Remediation": a.remediation.map { .string($0) } ?? .null,
                "Console": .string(":alerts /\(a.fingerprint)"),
            ])
        }
        return .map([
            "Receiver": .string(receiver), "Status": .string(status), "GroupKey": .string(groupKey),
            "GroupLabels": .strings(groupLabels), "CommonLabels": .strings(commonLabels), "CommonAnnotations": .strings(commonAnnotations),
            "ExternalURL": .string(externalURL), "Alerts": .list(alerts.map(alert)), "Firing": .list(firing.map(alert)),
            "Resolved": .list(resolved.map(alert)), "Test": .bool(isTest), "Escalation": escalation.map { .string($0) } ?? .null,
            "Mentions": .list(mentions.map { .string($0) }),
        ])
    }
}

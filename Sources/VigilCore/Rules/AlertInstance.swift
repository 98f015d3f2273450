import VigilWire

/// One breaching instance of a rule: a host, series or check for which the condition holds now.
/// Its identity is the fingerprint (rule name plus labels), stable across evaluations and restarts.
public struct AlertInstance: Sendable, Hashable {
    /// The rule's alert name.
    public var alertName: String
    public var severity: AlertSeverity
    /// Series labels, then `host`, then the rule's labels (which win over series labels of the same name).
    public var labels: [String: String]
    /// The value that breached; its meaning depends on the kind (see docs/rules.md).
    public var value: Double
    /// `AlertFingerprint.make(alertName:labels:)`.
    public var fingerprint: String

    public init(alertName: String, severity: AlertSeverity, labels: [String: String], value: Double) {
        self.alertName = alertName
        self.severity = severity
        self.labels = labels
        self.value = value
        self.fingerprint = AlertFingerprint.make(alertName: alertName, labels: labels)
    }
}

/// The identity of an alert: a stable hash of its rule's name and its labels.
public enum AlertFingerprint {
    /// Hex characters kept of the SHA-256 (64 bits).
    public static let length = 16

    /// SHA-256 over the alert name and the labels sorted by name (each part followed by a 0 byte, names
    /// and values separated by a 1 byte, so no two different inputs share a hash input), as lower-case hex,
    /// first `length` characters.
    public static func make(alertName: String, labels: [String: String]) -> String {
        var h = SHA256()
        h.update(alertName)
        h.update([0])
        for key in labels.keys.sorted() {
            h.update(key)
            h.update([1])
            h.update(labels[key] ?? "")
            h.update([0])
        }
        return String(h.finalize().hexString.prefix(length))
    }
}

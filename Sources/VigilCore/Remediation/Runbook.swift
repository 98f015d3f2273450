import VigilWire

/// How much a runbook can hurt when it goes wrong. High-risk runbooks never run automatically.
public enum RunbookRisk: String, Sendable, CaseIterable, Comparable {
    case low, medium, high

    public static func < (a: RunbookRisk, b: RunbookRisk) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A runbook: a named, typed, argv-only procedure that an agent runs on one host. Loaded from YAML
/// (`runbooks/*.yaml`, docs/runbooks.md); a plain value.
public struct Runbook: Sendable, Equatable {
    public var name: String
    public var description: String
    public var risk: RunbookRisk
    /// The least role that may run it.
    public var role: UserRole
    public var parameters: [RunbookParameter]
    /// Which alerts it fits; empty means it is only run by name.
    public var matches: [RunbookMatch]
    public var steps: [RunbookStep]
    /// The file it came from and whether it ships with Vigil.
    public var file: String
    public var builtIn: Bool
    /// SHA-256 (hex) of the definition's text: what the listener signs into every job.
    public var hash: String

    public init(name: String, description: String, risk: RunbookRisk, role: UserRole, parameters: [RunbookParameter],
                matches: [RunbookMatch], steps: [RunbookStep], file: String, builtIn: Bool, hash: String) {
        self.name = name
        self.description = description
        self.risk = risk
        self.role = role
        self.parameters = parameters
        self.matches = matches
        self.steps = steps
        self.file = file
        self.builtIn = builtIn
        self.hash = hash
    }

    public func parameter(_ name: String) -> RunbookParameter? { parameters.first { $0.name == name } }

    /// True when an alert with `alertName` and `labels` fits one of `matches`.
    public func matches(alertName: String, labels: [String: String]) -> Bool {
        matches.contains { $0.matches(alertName: alertName, labels: labels) }
    }
}

/// An alert a runbook fits: its name and, optionally, label matchers.
public struct RunbookMatch: Sendable, Equatable {
    public var alert: StringMatcher?
    public var labels: [LabelMatcher]

    public init(alert: StringMatcher?, labels: [LabelMatcher]) {
        self.alert = alert
        self.labels = labels
    }

    public func matches(alertName: String, labels l: [String: String]) -> Bool {
        if let alert, !alert.matches(alertName) { return false }
        return labels.allMatch { l[$0] }
    }
}

/// One step: an argument vector (never a shell string), a kind and a timeout.
public struct RunbookStep: Sendable, Equatable {
    public var name: String
    public var kind: JobStepKind
    public var argv: [RunbookArgument]
    public var timeoutMs: Int

    public init(name: String, kind: JobStepKind, argv: [RunbookArgument], timeoutMs: Int) {
        self.name = name
        self.kind = kind
        self.argv = argv
        self.timeoutMs = timeoutMs
    }
}

/// One element of a step's argv template.
public enum RunbookArgument: Sendable, Equatable {
    /// A single argument; `{{name}}` inside it is replaced by a validated parameter value (or `{{host}}`). The
    /// result is always exactly one argument, whatever the value holds.
    case text(String)
    /// `{flag: --dir, value: dirs}`: the flag followed by the value, once per item of a list parameter;
    /// nothing when the value is empty. For a bool parameter, the flag alone when true.
    case flag(String, parameter: String)
}

/// A typed runbook parameter.
public struct RunbookParameter: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Free text limited to `pattern` (default: letters, digits and `._:@/-`).
        case string
        case int
        case bool
        /// An absolute path without `..`.
        case path
        /// A comma-separated list of absolute paths.
        case paths
        /// A systemd unit name.
        case unit
        case port
        /// A size such as 500M or 2G.
        case size
    }

    public var name: String
    public var kind: Kind
    public var description: String
    /// Used when nothing else gives a value; may be empty (then optional flags are left out).
    public var defaultValue: String?
    /// Take the value from this alert label when the run comes from an alert.
    public var fromLabel: String?
    public var pattern: RegexPattern?
    public var min: Int?
    public var max: Int?
    public var required: Bool

    public init(name: String, kind: Kind, description: String = "", defaultValue: String? = nil, fromLabel: String? = nil,
                pattern: RegexPattern? = nil, min: Int? = nil, max: Int? = nil, required: Bool = false) {
        self.name = name
        self.kind = kind
        self.description = description
        self.defaultValue = defaultValue
        self.fromLabel = fromLabel
        self.pattern = pattern
        self.min = min
        self.max = max
        self.required = required
    }
}

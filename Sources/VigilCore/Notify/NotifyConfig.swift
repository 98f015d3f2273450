import Foundation

/// `notify.yaml` (or the `notify:` section of the config): channels, the routing tree and escalation-free
/// delivery settings. See docs/notifications.md.
public struct NotifyConfig: Sendable, Equatable {
    public var channels: [NotifyChannel]
    public var route: NotifyRoute
    /// The address notifications link to (`vigil serve`'s listener as users reach it), for `generatorURL`s.
    public var externalURL: String?
    /// Where the config came from, for messages.
    public var source: String
    /// On-call schedules, how to reach each person, and escalation policies.
    public var schedules: [OnCallSchedule] = []
    public var contacts: [String: OnCallContact] = [:]
    public var escalations: [EscalationPolicy] = []
    /// Reports delivered on a schedule.
    public var reports: [ReportSchedule] = []

    public init(channels: [NotifyChannel], route: NotifyRoute, externalURL: String? = nil, source: String = "") {
        self.channels = channels
        self.route = route
        self.externalURL = externalURL
        self.source = source
    }

    public func channel(named name: String) -> NotifyChannel? { channels.first { $0.name == name } }

    public func schedule(named name: String) -> OnCallSchedule? { schedules.first { $0.name == name } }

    /// Where an escalation target leads at `ms`: a channel with, for a person, who and their mention.
    public struct Recipient: Sendable, Equatable {
        public var channel: String
        public var person: String?
        public var mention: String?
    }

    /// Resolves `target` (a channel, `oncall:SCHEDULE`, `oncall:SCHEDULE:next`, `user:NAME`) at `ms`; nil when it
    /// leads nowhere now (nobody on call, a person without a contact).
    public func recipient(_ target: String, at ms: Int64) -> Recipient? {
        let parts = target.split(separator: ":").map(String.init)
        var person: String?
        switch parts.first {
        case "oncall" where parts.count >= 2:
            guard let s = schedule(named: parts[1]) else { return nil }
            person = parts.count == 3 ? s.next(after: ms) : s.onCall(at: ms)
        case "user" where parts.count == 2:
            person = parts[1]
        default:
            return channel(named: target) == nil ? nil : Recipient(channel: target)
        }
        guard let person, let contact = contacts[person] else { return nil }
        return Recipient(channel: contact.channel, person: person, mention: contact.mention)
    }

    /// Parses and validates the YAML. Throws every problem with its line and column.
    public static func parse(yaml: String, path: String) throws(RuleFileErrors) -> NotifyConfig {
        var parser = NotifyConfigParser(path: path)
        let config = parser.parse(yaml)
        guard parser.errors.isEmpty, var config else { throw RuleFileErrors(path: path, errors: parser.errors) }
        config.source = path
        return config
    }

    public static func load(path: String) throws(RuleFileErrors) -> NotifyConfig {
        try parse(yaml: try ConfigFiles.text(path: path), path: path)
    }

    /// The default places, first found wins: `$VIGIL_NOTIFY`, `~/.config/vigil/notify.yaml`, `/etc/vigil/notify.yaml`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        ConfigFiles.firstPath(variable: "VIGIL_NOTIFY", name: "notify.yaml", environment: environment)
    }
}

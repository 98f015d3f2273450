/// A silence: alerts matching all its matchers are muted (not notified, shown muted) between its start and end.
public struct Silence: Sendable, Equatable, Identifiable {
    public var id: String
    public var matchers: [LabelMatcher]
    public var startsAt: Int64
    public var endsAt: Int64
    public var createdBy: String
    public var comment: String
    public var createdAt: Int64
    /// Set when someone expired it early.
    public var expiredAt: Int64?

    public init(id: String, matchers: [LabelMatcher], startsAt: Int64, endsAt: Int64, createdBy: String, comment: String,
                createdAt: Int64, expiredAt: Int64? = nil) {
        self.id = id
        self.matchers = matchers
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.createdBy = createdBy
        self.comment = comment
        self.createdAt = createdAt
        self.expiredAt = expiredAt
    }

    public func isActive(at now: Int64) -> Bool {
        startsAt <= now && now < (expiredAt.map { min($0, endsAt) } ?? endsAt)
    }

    /// Whether an alert with `labels` (and `alertname`) is muted by this silence at `now`.
    public func mutes(alertName: String, labels: [String: String], at now: Int64) -> Bool {
        guard isActive(at: now), !matchers.isEmpty else { return false }
        return matchers.allMatch { name in name == "alertname" ? alertName : labels[name] }
    }
}

extension LabelMatcher {
    /// Parses `name=value`, `name!=value`, `name=~regex`, `name!~regex` (the form silences are written in).
    public static func parse(_ text: String) -> Result<LabelMatcher, RuleSyntaxError> {
        var name = ""
        var rest = Substring(text)
        while let c = rest.first, c.isLetter || c.isNumber || c == "_" {
            name.append(c)
            rest = rest.dropFirst()
        }
        guard let first = name.first, !first.isNumber, rest.hasPrefix("=") || rest.hasPrefix("!") else {
            return .failure(RuleSyntaxError("'\(text)': a matcher is label=value, label!=value, label=~regex or label!~regex"))
        }
        switch StringMatcher.parse(String(rest)) {
        case .success(let m): return .success(LabelMatcher(label: name, matcher: m))
        case .failure(let e): return .failure(RuleSyntaxError("'\(text)': \(e.message)"))
        }
    }
}

import Foundation

/// Who is on call, from rotations, layers and overrides, as in PagerDuty or Grafana OnCall. Pure.
///
/// A layer rotates through its users, handing over daily or weekly at a time in the schedule's zone; a layer may be
/// restricted to hours and days (a business-hours layer above a 24/7 one). The highest layer that covers a moment
/// wins; an override ("Alice covers Bob Tuesday 18:00–22:00") beats every layer.
public struct OnCallSchedule: Sendable, Equatable {
    public struct Layer: Sendable, Equatable {
        public enum Rotation: String, Sendable { case daily, weekly }
        public var rotation: Rotation
        /// Minutes after midnight of the hand-over.
        public var handoffMinute: Int
        /// Weekly: the hand-over weekday (1 = Sunday … 7 = Saturday, as `Calendar`).
        public var handoffWeekday: Int
        /// The rotation's first hand-over is at `handoff` on or after this day (Unix ms of its midnight in the zone).
        public var startDay: Int64
        public var users: [String]
        /// Restriction: the hours of the day it covers; nil: all day.
        public var hours: DayMinutes?
        /// Restriction: weekdays (1 = Sunday); empty: every day.
        public var days: Set<Int> = []

        public init(rotation: Rotation, handoffMinute: Int, handoffWeekday: Int = 2, startDay: Int64, users: [String]) {
            self.rotation = rotation
            self.handoffMinute = handoffMinute
            self.handoffWeekday = handoffWeekday
            self.startDay = startDay
            self.users = users
        }
    }

    public struct Override: Sendable, Equatable {
        public var user: String
        public var from: Int64
        public var to: Int64
        public init(user: String, from: Int64, to: Int64) {
            self.user = user
            self.from = from
            self.to = to
        }
    }

    public var name: String
    public var timeZone: TimeZone
    /// Lowest first; later layers win where they apply.
    public var layers: [Layer]
    public var overrides: [Override] = []

    public init(name: String, timeZone: TimeZone, layers: [Layer], overrides: [Override] = []) {
        self.name = name
        self.timeZone = timeZone
        self.layers = layers
        self.overrides = overrides
    }

    var calendar: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = timeZone
        return c
    }

    /// Who is on call at `ms`, or nil when no layer covers it.
    public func onCall(at ms: Int64) -> String? {
        if let o = overrides.last(where: { $0.from <= ms && ms < $0.to }) { return o.user }
        for layer in layers.reversed() where covers(layer, ms) {
            if let u = user(layer, at: ms, offset: 0) { return u }
        }
        return nil
    }

    /// Who takes over from the person on call at `ms` (the next in the top covering layer's rotation).
    public func next(after ms: Int64) -> String? {
        for layer in layers.reversed() where covers(layer, ms) {
            if let u = user(layer, at: ms, offset: 1) { return u }
        }
        return nil
    }

    /// The next hand-over after `ms` in the top covering layer.
    public func nextHandoff(after ms: Int64) -> Int64? {
        guard let layer = layers.reversed().first(where: { covers($0, ms) }), let shift = shiftIndex(layer, ms) else { return nil }
        return handoff(layer, index: shift + 1)
    }

    func covers(_ layer: Layer, _ ms: Int64) -> Bool {
        guard !layer.users.isEmpty, shiftIndex(layer, ms) != nil else { return false }
        let c = calendar.dateComponents([.weekday, .hour, .minute], from: Date(timeIntervalSince1970: Double(ms) / 1000))
        if !layer.days.isEmpty && !layer.days.contains(c.weekday ?? 0) { return false }
        return layer.hours?.contains((c.hour ?? 0) * 60 + (c.minute ?? 0)) ?? true
    }

    func user(_ layer: Layer, at ms: Int64, offset: Int) -> String? {
        guard let i = shiftIndex(layer, ms) else { return nil }
        return layer.users[(i + offset) % layer.users.count]
    }

    /// The start of shift `index` (0: the first hand-over on or after the start day).
    func handoff(_ layer: Layer, index: Int) -> Int64 {
        let first = firstHandoff(layer)
        let cal = calendar
        let step: DateComponents = layer.rotation == .daily ? DateComponents(day: index) : DateComponents(day: 7 * index)
        // Calendar arithmetic, so a shift stays at its wall-clock time across daylight-saving changes.
        let d = cal.date(byAdding: step, to: Date(timeIntervalSince1970: Double(first) / 1000)) ?? Date()
        return Int64((d.timeIntervalSince1970 * 1000).rounded())
    }

    func firstHandoff(_ layer: Layer) -> Int64 {
        let cal = calendar
        var d = Date(timeIntervalSince1970: Double(layer.startDay) / 1000)
        d = cal.date(bySettingHour: layer.handoffMinute / 60, minute: layer.handoffMinute % 60, second: 0, of: d) ?? d
        if layer.rotation == .weekly {
            while cal.component(.weekday, from: d) != layer.handoffWeekday { d = cal.date(byAdding: .day, value: 1, to: d) ?? d }
        }
        return Int64((d.timeIntervalSince1970 * 1000).rounded())
    }

    func shiftIndex(_ layer: Layer, _ ms: Int64) -> Int? {
        let first = firstHandoff(layer)
        guard ms >= first else { return nil }
        let period: Int64 = layer.rotation == .daily ? 86_400_000 : 7 * 86_400_000
        var i = Int((ms - first) / period)
        // Correct for daylight-saving shifts of an hour either way.
        while i > 0 && handoff(layer, index: i) > ms { i -= 1 }
        while handoff(layer, index: i + 1) <= ms { i += 1 }
        return i
    }
}

/// Part of a day, `[from, to)` in minutes after midnight; `to` before `from` wraps past midnight (22:00-07:00).
public struct DayMinutes: Sendable, Equatable {
    public var from: Int
    public var to: Int

    public init(from: Int, to: Int) {
        self.from = from
        self.to = to
    }

    public func contains(_ minute: Int) -> Bool {
        from <= to ? (minute >= from && minute < to) : (minute >= from || minute < to)
    }
}

/// How to reach a person: a channel, and the handle that mentions them there.
public struct OnCallContact: Sendable, Equatable {
    public var channel: String
    /// A phone number (DingTalk), an open id (Feishu), a user id (WeCom, Slack): mentioned in the message.
    public var mention: String?
    public init(channel: String, mention: String? = nil) {
        self.channel = channel
        self.mention = mention
    }
}

/// If an alert is not acknowledged within each step's delay, the step's targets are told. Acknowledging stops it.
public struct EscalationPolicy: Sendable, Equatable {
    public struct Step: Sendable, Equatable {
        /// After how long firing without an acknowledgement.
        public var after: Int64
        /// Channel names, `oncall:SCHEDULE`, `oncall:SCHEDULE:next`, or `user:NAME`.
        public var notify: [String]
        public init(after: Int64, notify: [String]) {
            self.after = after
            self.notify = notify
        }
    }

    public var name: String
    public var matchers: [LabelMatcher]
    public var steps: [Step]

    public init(name: String, matchers: [LabelMatcher], steps: [Step]) {
        self.name = name
        self.matchers = matchers
        self.steps = steps
    }

    /// How a step is named on the alert's timeline (`critical step 2`), which is how a taken step is recognised.
    public static func stepName(_ policy: String, _ index: Int) -> String { "\(policy) step \(index + 1)" }

    /// Steps due for an alert firing since `firedAt`, not acknowledged, with `done` steps already taken.
    public func due(firedAt: Int64, now: Int64, done: Set<Int>) -> [Int] {
        steps.indices.filter { !done.contains($0) && now - firedAt >= steps[$0].after }
    }
}

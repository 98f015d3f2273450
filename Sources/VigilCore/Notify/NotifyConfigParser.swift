import Foundation
import Yams

/// Turns `notify.yaml` into a `NotifyConfig`, collecting every error with its line and column. Pure: no I/O
/// (secrets are read only when a notification is sent).
struct NotifyConfigParser: YAMLFieldParsing {
    let path: String
    var errors: [RuleFileError] = []

    init(path: String) { self.path = path }

    static let channelKeys = ["name", "kind", "url", "url_env", "url_file", "secret", "secret_env", "secret_file", "send_resolved",
                              "timeout", "max_attempts", "quiet_hours", "format", "from", "to", "username", "password", "password_env",
                              "password_file", "tls_ca_file", "templates"]
    static let routeKeys = ["receiver", "match", "continue", "group_by", "group_wait", "group_interval", "repeat_interval", "routes"]

    mutating func parse(_ yaml: String) -> NotifyConfig? {
        defer { sortErrorsByPosition() }
        guard let root = root(yaml, empty: "'channels:' and 'route:'") else { return nil }
        guard var top = mapping(root, "a mapping with 'channels:' and 'route:'") else { return nil }
        // The config file's `notify:` section has the same shape.
        if let inner = top["notify"], let m = inner.mapping { top = m }
        let f = fields(top, allowed: ["channels", "route", "external_url", "oncall", "escalations", "reports"], context: "the top level")
        var channels: [NotifyChannel] = []
        var seen: [String: Node] = [:]
        if let c = require(f, "channels", in: root, context: "the top level", hint: "a list of channels"),
           let list = sequence(c, "a list of channels under 'channels'") {
            for item in list {
                guard let ch = channel(item) else { continue }
                if let first = seen[ch.name] {
                    fail(item, "a second channel named '\(ch.name)' (the first is at \(position(first)))")
                    continue
                }
                seen[ch.name] = item
                channels.append(ch)
            }
        }
        var route = NotifyRoute(receiver: channels.first?.name)
        if let r = f["route"] {
            route = self.route(r, isRoot: true) ?? route
            // Every receiver must be a channel.
            checkReceivers(r, known: Set(channels.map(\.name)))
        }
        let external = f["external_url"].flatMap { string($0, "a URL for 'external_url'") }
        var config = NotifyConfig(channels: channels, route: route, externalURL: external)
        if let o = f["oncall"] { oncall(o, into: &config) }
        if let e = f["escalations"], let list = sequence(e, "a list of escalation policies under 'escalations'") {
            config.escalations = list.compactMap { escalation($0, config: config) }
        }
        if let r = f["reports"], let list = sequence(r, "a list of report schedules under 'reports'") {
            config.reports = list.compactMap { report($0, config: config) }
        }
        return config
    }

    private mutating func report(_ node: Node, config: NotifyConfig) -> ReportSchedule? {
        guard let map = mapping(node, "a report schedule {kind, at, channel, time_zone}") else { return nil }
        let f = fields(map, allowed: ["kind", "at", "channel", "time_zone"], context: "a report schedule")
        let before = errors.count
        var kind = ReportSchedule.Kind.daily
        if let n = f["kind"], let s = string(n, "daily or weekly") {
            if let k = ReportSchedule.Kind(rawValue: s) { kind = k } else { fail(n, "expected daily or weekly for 'kind', found '\(s)'") }
        }
        let (minute, weekday) = f["at"].map { when($0, weekly: kind == .weekly, what: "a weekly report") } ?? (9 * 60, 2)
        let zone = f["time_zone"].flatMap { timeZone($0) } ?? TimeZone(identifier: "UTC")!
        guard let cNode = require(f, "channel", in: node, context: "a report schedule", hint: "the channel that gets it"),
              let channel = string(cNode, "a channel name") else { return nil }
        if config.channel(named: channel) == nil {
            fail(cNode, "no channel named '\(channel)' (channels: \(config.channels.map(\.name).sorted().joined(separator: ", ")))")
        }
        return errors.count == before ? ReportSchedule(kind: kind, minute: minute, weekday: weekday, timeZone: zone, channel: channel) : nil
    }

    static let weekdays = ["sun": 1, "mon": 2, "tue": 3, "wed": 4, "thu": 5, "fri": 6, "sat": 7]

    /// `09:00`, or for a weekly schedule `mon 09:00`: (minutes after midnight, weekday with 1 = Sunday). Defaults
    /// (09:00, Monday) stand in for what is wrong, which is recorded.
    private mutating func when(_ n: Node, weekly: Bool, what: String) -> (Int, Int) {
        guard let s = string(n, weekly ? "a day and time such as 'mon 09:00'" : "a time such as 09:00") else { return (9 * 60, 2) }
        guard weekly else { return (clock(n, s) ?? 9 * 60, 2) }
        let parts = s.split(separator: " ").map(String.init)
        guard parts.count == 2, let d = Self.weekdays[parts[0].lowercased()] else {
            fail(n, "expected a day and time such as 'mon 09:00' for \(what), found '\(s)'")
            return (9 * 60, 2)
        }
        return (clock(n, parts[1]) ?? 9 * 60, d)
    }

    /// `2026-12-08` or `2026-12-08 18:00` in `zone`, as Unix ms.
    private mutating func dateTime(_ node: Node, zone: TimeZone) -> Int64? {
        guard let text = string(node, "a date (2026-12-08) or a date and time (2026-12-08 18:00)") else { return nil }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        for format in ["yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd"] {
            f.dateFormat = format
            if let d = f.date(from: text) { return Int64(d.timeIntervalSince1970 * 1000) }
        }
        fail(node, "expected a date (2026-12-08) or a date and time (2026-12-08 18:00), found '\(text)'")
        return nil
    }

    private mutating func oncall(_ node: Node, into config: inout NotifyConfig) {
        guard let map = mapping(node, "a mapping with schedules and contacts under 'oncall'") else { return }
        let f = fields(map, allowed: ["time_zone", "schedules", "contacts"], context: "oncall")
        let zone = f["time_zone"].flatMap { timeZone($0) } ?? TimeZone(identifier: "UTC")!
        if let c = f["contacts"], let cmap = mapping(c, "a mapping of people to {channel, mention} under 'contacts'") {
            for (k, v) in cmap {
                guard let person = string(k, "a person's name"), let vmap = mapping(v, "{channel: NAME, mention: HANDLE} for \(person)") else { continue }
                let vf = fields(vmap, allowed: ["channel", "mention"], context: "the contact of \(person)")
                guard let chNode = require(vf, "channel", in: v, context: "the contact of \(person)", hint: "the channel that reaches them"),
                      let ch = string(chNode, "a channel name") else { continue }
                if config.channel(named: ch) == nil {
                    fail(chNode, "no channel named '\(ch)' (channels: \(config.channels.map(\.name).sorted().joined(separator: ", ")))")
                    continue
                }
                config.contacts[person] = OnCallContact(channel: ch, mention: vf["mention"].flatMap { string($0, "a handle for 'mention'") })
            }
        }
        guard let sNode = f["schedules"], let list = sequence(sNode, "a list of schedules under 'schedules'") else { return }
        for item in list {
            guard let smap = mapping(item, "a schedule (name, layers, overrides)") else { continue }
            let sf = fields(smap, allowed: ["name", "time_zone", "layers", "overrides"], context: "a schedule")
            guard let nNode = require(sf, "name", in: item, context: "a schedule", hint: "what escalations call it"),
                  let name = string(nNode, "a schedule name") else { continue }
            let szone = sf["time_zone"].flatMap { timeZone($0) } ?? zone
            var layers: [OnCallSchedule.Layer] = []
            if let lNode = require(sf, "layers", in: item, context: "schedule '\(name)'", hint: "a list of rotations"),
               let llist = sequence(lNode, "a list of layers under 'layers'") {
                for l in llist { if let layer = self.layer(l, zone: szone, schedule: name) { layers.append(layer) } }
            }
            var overrides: [OnCallSchedule.Override] = []
            if let oNode = sf["overrides"], let olist = sequence(oNode, "a list of overrides under 'overrides'") {
                for o in olist {
                    guard let omap = mapping(o, "an override {user, from, to}") else { continue }
                    let of = fields(omap, allowed: ["user", "from", "to"], context: "an override")
                    guard let u = require(of, "user", in: o, context: "an override", hint: "who covers").flatMap({ string($0, "a name") }),
                          let fromNode = require(of, "from", in: o, context: "an override", hint: "a date and time"),
                          let toNode = require(of, "to", in: o, context: "an override", hint: "a date and time"),
                          let from = dateTime(fromNode, zone: szone), let to = dateTime(toNode, zone: szone) else { continue }
                    if to <= from { fail(toNode, "the override ends before it starts"); continue }
                    overrides.append(.init(user: u, from: from, to: to))
                }
            }
            if config.schedules.contains(where: { $0.name == name }) { fail(nNode, "a second schedule named '\(name)'"); continue }
            config.schedules.append(OnCallSchedule(name: name, timeZone: szone, layers: layers, overrides: overrides))
        }
    }

    private mutating func layer(_ node: Node, zone: TimeZone, schedule: String) -> OnCallSchedule.Layer? {
        guard let map = mapping(node, "a layer (rotation, handoff, start, users)") else { return nil }
        let f = fields(map, allowed: ["rotation", "handoff", "start", "users", "hours", "days"], context: "a layer of schedule '\(schedule)'")
        let before = errors.count
        var rotation = OnCallSchedule.Layer.Rotation.weekly
        if let n = f["rotation"], let s = string(n, "daily or weekly") {
            if let r = OnCallSchedule.Layer.Rotation(rawValue: s) { rotation = r } else { fail(n, "expected daily or weekly for 'rotation', found '\(s)'") }
        }
        let (minute, weekday) = f["handoff"].map { when($0, weekly: rotation == .weekly, what: "a weekly hand-over") } ?? (9 * 60, 2)
        guard let startNode = require(f, "start", in: node, context: "a layer of schedule '\(schedule)'", hint: "the rotation's first day, e.g. 2026-11-30"),
              let start = dateTime(startNode, zone: zone) else { return nil }
        var users: [String] = []
        if let n = require(f, "users", in: node, context: "a layer of schedule '\(schedule)'", hint: "the people who rotate, in order"),
           let list = sequence(n, "a list of people under 'users'") {
            users = list.compactMap { string($0, "a person's name") }
            if users.isEmpty { fail(n, "'users' names nobody") }
        }
        var layer = OnCallSchedule.Layer(rotation: rotation, handoffMinute: minute, handoffWeekday: weekday, startDay: start, users: users)
        if let n = f["hours"], let s = string(n, "hours as 09:00-18:00") {
            let p = s.split(separator: "-").map { String($0).trimmingCharacters(in: .whitespaces) }
            if p.count == 2, let a = clock(n, p[0]), let b = clock(n, p[1]) { layer.hours = DayMinutes(from: a, to: b) }
            else if p.count != 2 { fail(n, "expected hours as 09:00-18:00, found '\(s)'") }
        }
        if let n = f["days"], let list = sequence(n, "a list of days (mon, tue, …)") {
            for d in list {
                guard let s = string(d, "a day (mon, tue, …)") else { continue }
                if let w = Self.weekdays[s.lowercased()] { layer.days.insert(w) } else { fail(d, "unknown day '\(s)' (mon, tue, wed, thu, fri, sat, sun)") }
            }
        }
        return errors.count == before ? layer : nil
    }

    private mutating func escalation(_ node: Node, config: NotifyConfig) -> EscalationPolicy? {
        guard let map = mapping(node, "an escalation policy (name, match, steps)") else { return nil }
        let f = fields(map, allowed: ["name", "match", "steps"], context: "an escalation policy")
        guard let name = require(f, "name", in: node, context: "an escalation policy", hint: "a name for the timeline").flatMap({ string($0, "a name") }) else { return nil }
        let match = f["match"].map { matchers($0) } ?? []
        var steps: [EscalationPolicy.Step] = []
        if let sNode = require(f, "steps", in: node, context: "escalation '\(name)'", hint: "a list of {after, notify}"),
           let list = sequence(sNode, "a list of steps under 'steps'") {
            for item in list {
                guard let smap = mapping(item, "a step {after, notify}") else { continue }
                let sf = fields(smap, allowed: ["after", "notify"], context: "a step of escalation '\(name)'")
                let after = sf["after"].flatMap { duration($0, key: "after", positive: false) } ?? 0
                var targets: [String] = []
                if let n = require(sf, "notify", in: item, context: "a step of escalation '\(name)'", hint: "channels, oncall:SCHEDULE, oncall:SCHEDULE:next or user:NAME") {
                    let items = n.sequence.map(Array.init) ?? [n]
                    for t in items {
                        guard let target = string(t, "a channel, oncall:SCHEDULE, oncall:SCHEDULE:next or user:NAME") else { continue }
                        if !validTarget(target, config) {
                            fail(t, "'\(target)' is not a channel, a schedule (oncall:NAME, oncall:NAME:next) or a person with a contact (user:NAME)")
                            continue
                        }
                        targets.append(target)
                    }
                }
                if let last = steps.last, after < last.after, let n = sf["after"] { fail(n, "steps must come in the order of their 'after'") }
                steps.append(.init(after: after, notify: targets))
            }
        }
        return EscalationPolicy(name: name, matchers: match, steps: steps)
    }

    private func validTarget(_ t: String, _ c: NotifyConfig) -> Bool {
        let parts = t.split(separator: ":").map(String.init)
        switch parts.first {
        case "oncall": return (parts.count == 2 || (parts.count == 3 && parts[2] == "next")) && c.schedule(named: parts[1]) != nil
        case "user": return parts.count == 2 && c.contacts[parts[1]] != nil
        default: return c.channel(named: t) != nil
        }
    }

    private mutating func checkReceivers(_ node: Node, known: Set<String>) {
        guard let map = node.mapping else { return }
        if let r = map["receiver"], let name = r.scalar?.string, !known.contains(name) {
            fail(r, "no channel named '\(name)' (channels: \(known.sorted().joined(separator: ", ")))")
        }
        if let routes = map["routes"]?.sequence { for child in routes { checkReceivers(child, known: known) } }
    }

    private mutating func secret(_ f: [String: Node], _ key: String, required: Bool, in node: Node, context: String) -> SecretValue? {
        let given = [key, key + "_env", key + "_file"].filter { f[$0] != nil }
        if given.count > 1 {
            fail(f[given[1]]!, "give one of '\(key)', '\(key)_env' and '\(key)_file', not several")
            return nil
        }
        if let n = f[key], let s = string(n, "a string for '\(key)'") { return .literal(s) }
        if let n = f[key + "_env"], let s = string(n, "an environment variable name for '\(key)_env'") { return .env(s) }
        if let n = f[key + "_file"], let s = string(n, "a file path for '\(key)_file'") { return .file(s) }
        if required { fail(node, "\(context) has no '\(key)' (or '\(key)_env', '\(key)_file')") }
        return nil
    }

    private mutating func channel(_ node: Node) -> NotifyChannel? {
        guard let map = mapping(node, "a channel (name, kind, url, …)") else { return nil }
        let f = fields(map, allowed: Self.channelKeys, context: "a channel")
        let before = errors.count
        guard let nameNode = require(f, "name", in: node, context: "a channel", hint: "a name routes refer to"),
              let name = string(nameNode, "a channel name") else { return nil }
        let context = "channel '\(name)'"
        var kind: NotifyChannel.Kind?
        if let k = require(f, "kind", in: node, context: context, hint: NotifyChannel.Kind.allCases.map(\.rawValue).joined(separator: ", ")),
           let s = string(k, "a channel kind") {
            kind = NotifyChannel.Kind(rawValue: s)
            if kind == nil { fail(k, "unknown kind '\(s)' (expected one of \(NotifyChannel.Kind.allCases.map(\.rawValue).joined(separator: ", ")))") }
        }
        let url = secret(f, "url", required: true, in: node, context: context)
        if case .literal(let u)? = url, let kind {
            let schemes = kind == .email ? ["smtp", "smtps"] : ["http", "https"]
            if !schemes.contains(where: { u.hasPrefix($0 + "://") }), let n = f["url"] {
                fail(n, "expected a \(schemes.joined(separator: " or ")) URL for \(context)")
            }
        }
        guard let kind, let url else { return nil }
        var ch = NotifyChannel(name: name, kind: kind, url: url)
        ch.secret = secret(f, "secret", required: false, in: node, context: context)
        if ch.secret != nil && kind != .dingtalk && kind != .feishu, let n = f["secret"] ?? f["secret_env"] ?? f["secret_file"] {
            fail(n, "'secret' signs DingTalk and Feishu messages; \(kind.rawValue) has no signing")
        }
        if let n = f["send_resolved"], let b = bool(n, key: "send_resolved") { ch.sendResolved = b }
        if let n = f["timeout"], let d = duration(n, key: "timeout", positive: true) { ch.timeoutMs = Int(d) }
        if let n = f["max_attempts"], let i = int(n, key: "max_attempts", min: 1) { ch.maxAttempts = i }
        if let n = f["format"], let s = string(n, "card or text for 'format'") {
            if kind != .feishu { fail(n, "'format' is for Feishu channels (card or text)") }
            else if s == "text" { ch.feishuCard = false }
            else if s != "card" { fail(n, "expected card or text for 'format'") }
        }
        if let n = f["quiet_hours"] { ch.quietHours = quietHours(n) }
        if kind == .email {
            if let n = require(f, "from", in: node, context: context, hint: "the sender address") { ch.from = string(n, "an address for 'from'") }
            if let n = require(f, "to", in: node, context: context, hint: "one address or a list") {
                if let list = n.sequence { ch.to = list.compactMap { string($0, "an address in 'to'") } }
                else if let s = string(n, "an address or a list of addresses for 'to'") { ch.to = [s] }
                if ch.to.isEmpty { fail(n, "'to' lists no address") }
            }
            ch.username = f["username"].flatMap { string($0, "a string for 'username'") }
            ch.password = secret(f, "password", required: false, in: node, context: context)
            ch.tlsCAFile = f["tls_ca_file"].flatMap { string($0, "a PEM file for 'tls_ca_file'") }
        } else {
            for key in ["from", "to", "username", "password", "password_env", "password_file", "tls_ca_file"] {
                if let n = f[key] { fail(n, "'\(key)' is for email channels") }
            }
        }
        if let t = f["templates"], let m = mapping(t, "a mapping of title, text, html, body templates") {
            let tf = fields(m, allowed: ["title", "text", "html", "body"], context: "the templates of \(context)")
            for (k, n) in tf { if let s = template(n, "a template for '\(k)'") { ch.templates[k] = s } }
        }
        return errors.count == before ? ch : nil
    }

    private mutating func quietHours(_ node: Node) -> QuietHours? {
        guard let map = mapping(node, "a mapping with from, to, time_zone, pages_through") else { return nil }
        let f = fields(map, allowed: ["from", "to", "time_zone", "pages_through"], context: "quiet_hours")
        func at(_ key: String) -> Int? {
            guard let n = require(f, key, in: node, context: "quiet_hours", hint: "a time as HH:MM"), let s = string(n, "a time as HH:MM") else { return nil }
            return clock(n, s)
        }
        let start = at("from"), end = at("to")
        let zone = f["time_zone"].flatMap { timeZone($0) } ?? TimeZone(identifier: "UTC")!
        var pages = AlertSeverity.critical
        if let n = f["pages_through"], let s = string(n, "a severity") {
            if let sev = AlertSeverity(rawValue: s) { pages = sev } else { fail(n, "unknown severity '\(s)' (expected info, warning, critical)") }
        }
        guard let start, let end else { return nil }
        return QuietHours(start: start, end: end, timeZone: zone, pagesThrough: pages)
    }

    private mutating func route(_ node: Node, isRoot: Bool) -> NotifyRoute? {
        guard let map = mapping(node, "a route (receiver, match, group_by, routes, …)") else { return nil }
        let f = fields(map, allowed: Self.routeKeys, context: "a route")
        var r = NotifyRoute()
        r.receiver = f["receiver"].flatMap { string($0, "a channel name for 'receiver'") }
        if isRoot && r.receiver == nil { fail(node, "the top route has no 'receiver' (where alerts no other route takes go)") }
        if let m = f["match"] {
            if isRoot { fail(m, "the top route matches every alert; put 'match' on the routes under it") }
            r.matchers = matchers(m)
        }
        if let c = f["continue"] { r.continueMatching = bool(c, key: "continue") ?? false }
        if let g = f["group_by"], let list = sequence(g, "a list of label names for 'group_by'") {
            r.groupBy = list.compactMap { item in
                if item.scalar?.string == "..." { return "..." }
                return labelName(item)
            }
        }
        if let n = f["group_wait"] { r.groupWait = duration(n, key: "group_wait", positive: false) }
        if let n = f["group_interval"] { r.groupInterval = duration(n, key: "group_interval", positive: true) }
        if let n = f["repeat_interval"] { r.repeatInterval = duration(n, key: "repeat_interval", positive: true) }
        if let n = f["routes"], let list = sequence(n, "a list of routes under 'routes'") {
            r.routes = list.compactMap { route($0, isRoot: false) }
        }
        return r
    }
}

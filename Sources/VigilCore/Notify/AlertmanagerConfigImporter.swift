import Foundation
import Yams

/// Converts an Alertmanager config into a Vigil notification config (`vigil notify import-alertmanager`).
///
/// Converted: the route tree (`receiver`, `group_by`, the three timers, `continue`, `match`, `match_re` and
/// `matchers`), and the `webhook_configs`, `email_configs` and `slack_configs` of receivers, with the global SMTP and
/// Slack settings. Secrets in the file are carried over as they are (move them to `*_env` or `*_file`); everything
/// else is listed with the reason it was left out. The output is checked by Vigil's own parser before it is
/// returned.
public enum AlertmanagerConfigImporter {
    public struct Result: Sendable {
        public var yaml: String
        public var channels: Int
        public var routes: Int
        /// What was not converted, and why.
        public var skipped: [String]
    }

    public static func convert(yaml text: String, file: String) throws(ConfigError) -> Result {
        guard let root = try YAMLDocument.compose(text, file: file), let top = root.mapping else {
            throw ConfigError(file: file, line: 1, message: "not an Alertmanager config: expected a mapping with 'route:' and 'receivers:'")
        }
        guard let routeNode = top["route"]?.mapping else {
            throw ConfigError(file: file, line: 1, message: "not an Alertmanager config: no 'route:'")
        }
        var skipped: [String] = []
        let global = top["global"]?.mapping
        func g(_ key: String) -> String? { global?[key]?.string }
        for key in (global?.keys.compactMap(\.string) ?? []) where !["smtp_smarthost", "smtp_from", "smtp_auth_username", "smtp_auth_password",
                                                                      "smtp_require_tls", "slack_api_url", "resolve_timeout"].contains(key) {
            skipped.append("global.\(key): no Vigil equivalent")
        }
        for key in ["inhibit_rules", "time_intervals", "mute_time_intervals", "templates"] where top[key] != nil {
            skipped.append("\(key): not converted (inhibition and maintenance windows live in Vigil's rule files; templates use Vigil's fields, docs/notifications.md)")
        }

        // Receivers → channels. A receiver with several integrations becomes several channels; routes to it are
        // repeated for each (all but the last with continue).
        var channels: [String] = []
        var channelsOf: [String: [String]] = [:]
        for r in top["receivers"]?.sequence ?? [] {
            guard let m = r.mapping, let name = m["name"]?.string else { continue }
            var names: [String] = []
            func add(_ suffix: String, _ lines: [String]) {
                let channel = names.isEmpty ? name : "\(name)-\(suffix)"
                names.append(channel)
                channels.append("  - name: \(q(channel))\n" + lines.map { "    \($0)" }.joined(separator: "\n"))
            }
            for (i, w) in (m["webhook_configs"]?.sequence ?? []).enumerated() {
                guard let wm = w.mapping, let url = wm["url"]?.string else { skipped.append("receiver \(name): a webhook without 'url'"); continue }
                add("webhook\(i + 1)", ["kind: webhook", "url: \(q(url))"] + sendResolved(wm, default: true))
            }
            for (i, e) in (m["email_configs"]?.sequence ?? []).enumerated() {
                guard let em = e.mapping, let to = em["to"]?.string else { skipped.append("receiver \(name): an email without 'to'"); continue }
                guard let host = em["smarthost"]?.string ?? g("smtp_smarthost") else { skipped.append("receiver \(name): email without a smarthost"); continue }
                let requireTLS = (em["require_tls"]?.string ?? g("smtp_require_tls") ?? "true") != "false"
                let port = host.split(separator: ":").last.flatMap { Int($0) } ?? 25
                let scheme = port == 465 ? "smtps" : "smtp"
                var lines = ["kind: email", "url: \(q("\(scheme)://\(host)" + (requireTLS || scheme == "smtps" ? "" : "?tls=none")))",
                             "from: \(q(em["from"]?.string ?? g("smtp_from") ?? "alertmanager@localhost"))",
                             "to: [\(to.split(separator: ",").map { q($0.trimmingCharacters(in: .whitespaces)) }.joined(separator: ", "))]"]
                if let u = em["auth_username"]?.string ?? g("smtp_auth_username") { lines.append("username: \(q(u))") }
                if let p = em["auth_password"]?.string ?? g("smtp_auth_password") { lines.append("password: \(q(p))  # move to password_env or password_file") }
                add("email\(i + 1)", lines + sendResolved(em, default: false))
            }
            for (i, s) in (m["slack_configs"]?.sequence ?? []).enumerated() {
                guard let sm = s.mapping, let url = sm["api_url"]?.string ?? g("slack_api_url") else {
                    skipped.append("receiver \(name): a Slack config without api_url"); continue
                }
                if sm["channel"] != nil { skipped.append("receiver \(name): Slack 'channel' (an incoming webhook posts to its own channel)") }
                add("slack\(i + 1)", ["kind: slack", "url: \(q(url))"] + sendResolved(sm, default: false))
            }
            for key in (m.keys.compactMap(\.string)) where key.hasSuffix("_configs") && !["webhook_configs", "email_configs", "slack_configs"].contains(key) {
                skipped.append("receiver \(name): \(key) (no such channel kind; a webhook may reach it through a bridge)")
            }
            channelsOf[name] = names
            if names.isEmpty { skipped.append("receiver \(name): no integration Vigil can send to; routes to it are left out") }
        }

        var routeCount = 0
        var out = "# Converted from \((file as NSString).lastPathComponent) by vigil notify import-alertmanager.\n"
        out += "# Check with: vigil notify check --notify FILE\nchannels:\n" + channels.joined(separator: "\n") + "\n"
        out += "route:\n"
        let rootReceiver = routeNode["receiver"]?.string ?? ""
        if let first = channelsOf[rootReceiver]?.first {
            out += "  receiver: \(q(first))\n"
            if (channelsOf[rootReceiver]?.count ?? 0) > 1 {
                skipped.append("route: the top receiver \(rootReceiver) has several integrations; only \(first) takes what no route matches")
            }
        } else {
            skipped.append("route: the top receiver '\(rootReceiver)' has no integration Vigil can send to")
        }
        out += settings(routeNode, indent: "  ")
        let children = (routeNode["routes"]?.sequence ?? []).flatMap { routes($0, indent: "    ", channelsOf: channelsOf, skipped: &skipped, count: &routeCount) }
        if !children.isEmpty { out += "  routes:\n" + children.joined() }
        // Vigil's parser is the judge of the output.
        do {
            _ = try NotifyConfig.parse(yaml: out, path: "converted")
        } catch {
            throw ConfigError(file: file, line: 0, message: "the conversion produced an invalid config (please report): \(error.description)")
        }
        return Result(yaml: out, channels: channels.count, routes: routeCount, skipped: skipped)
    }

    static func q(_ s: some StringProtocol) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }

    static func sendResolved(_ m: Node.Mapping, default d: Bool) -> [String] {
        let v = m["send_resolved"]?.string.map { $0 == "true" } ?? d
        return ["send_resolved: \(v)"]
    }

    static func settings(_ m: Node.Mapping, indent: String) -> String {
        var out = ""
        if let g = m["group_by"]?.sequence {
            out += "\(indent)group_by: [\(g.compactMap(\.string).map { q($0) }.joined(separator: ", "))]\n"
        }
        for key in ["group_wait", "group_interval", "repeat_interval"] {
            if let v = m[key]?.string { out += "\(indent)\(key): \(v)\n" }
        }
        return out
    }

    /// `match`, `match_re` and `matchers` as Vigil matchers (label → list of `v`, `!=v`, `=~re`, `!~re`).
    static func matchers(_ m: Node.Mapping, skipped: inout [String]) -> [(String, String)] {
        var out: [(String, String)] = []
        for (k, v) in m["match"]?.mapping ?? [:] { if let k = k.string, let v = v.string { out.append((k, v)) } }
        for (k, v) in m["match_re"]?.mapping ?? [:] { if let k = k.string, let v = v.string { out.append((k, "=~" + v)) } }
        for item in m["matchers"]?.sequence ?? [] {
            guard let s = item.string else { continue }
            var parsed: (String, String)?
            for op in ["=~", "!~", "!=", "="] {
                guard let r = s.range(of: op) else { continue }
                let name = s[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
                var value = s[r.upperBound...].trimmingCharacters(in: .whitespaces)
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                parsed = (name, op == "=" ? value : op + value)
                break
            }
            if let parsed { out.append(parsed) } else { skipped.append("matcher '\(s)': not understood") }
        }
        return out
    }

    static func routes(_ node: Node, indent: String, channelsOf: [String: [String]], skipped: inout [String], count: inout Int) -> [String] {
        guard let m = node.mapping else { return [] }
        let receiver = m["receiver"]?.string
        let targets: [String?] = receiver.map { r in (channelsOf[r] ?? []).map { Optional($0) } } ?? [nil]
        if let receiver, targets.isEmpty {
            skipped.append("a route to receiver \(receiver): the receiver has nothing Vigil can send to")
            return []
        }
        for key in ["active_time_intervals", "mute_time_intervals"] where m[key] != nil {
            skipped.append("a route's \(key): not converted (maintenance windows are in Vigil's rule files)")
        }
        let match = matchers(m, skipped: &skipped)
        let continues = m["continue"]?.string == "true"
        var out: [String] = []
        for (i, target) in targets.enumerated() {
            count += 1
            var s = "\(indent.dropLast(2))- "
            var first = true
            func line(_ text: String) {
                s += (first ? "" : indent) + text + "\n"
                first = false
            }
            if match.isEmpty {
                line("match: {}")
            } else {
                var byLabel: [String: [String]] = [:]
                var order: [String] = []
                for (k, v) in match { if byLabel[k] == nil { order.append(k) }; byLabel[k, default: []].append(v) }
                line("match: {" + order.map { k in
                    let vs = byLabel[k]!
                    return "\(q(k)): " + (vs.count == 1 ? q(vs[0]) : "[" + vs.map { q($0) }.joined(separator: ", ") + "]")
                }.joined(separator: ", ") + "}")
            }
            if let target { line("receiver: \(q(target))") }
            if i < targets.count - 1 || continues { line("continue: true") }
            let extra = settings(m, indent: indent)
            if !extra.isEmpty { s += extra }
            let children = (m["routes"]?.sequence ?? []).flatMap { routes($0, indent: indent + "    ", channelsOf: channelsOf, skipped: &skipped, count: &count) }
            if !children.isEmpty { s += "\(indent)routes:\n" + children.joined() }
            out.append(s)
        }
        return out
    }
}

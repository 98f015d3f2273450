import Foundation
import Yams

/// Converts Prometheus alerting rules into Vigil rules (`vigil rules import-prometheus`).
///
/// Converted: a vector selector compared with a number (`node_load1 > 4`), optionally inside `avg_over_time`,
/// `max_over_time`, `min_over_time`, `last_over_time` or `rate`/`irate`; `up == 0`; and the well-known
/// node_exporter shapes for CPU, memory and filesystem use. node_exporter names map to Vigil's where there is an
/// equivalent (docs/metrics.md); `instance` becomes `host` (port dropped). `for`, `keep_firing_for`, labels and
/// annotations are kept. Everything else is listed with the reason it could not be converted.
public enum PrometheusRuleImporter {
    public struct Result: Sendable {
        /// A Vigil rule file (YAML) with every converted rule.
        public var yaml: String
        public var converted: Int
        /// Rules not converted, with why.
        public var skipped: [(name: String, reason: String)]
        /// Conversions that changed meaning in a way worth reading (dropped matchers, renamed metrics).
        public var notes: [(name: String, note: String)]
    }

    /// node_exporter metric → Vigil metric, for plain selectors.
    static let metricNames: [String: String] = [
        "node_load1": "load.1", "node_load5": "load.5", "node_load15": "load.15",
        "node_memory_MemAvailable_bytes": "mem.available_bytes",
        "node_netstat_Tcp_CurrEstab": "tcp.established", "node_sockstat_TCP_tw": "tcp.time_wait",
        "node_procs_running": "proc.count",
    ]
    /// node_exporter label → Vigil label.
    static let labelNames: [String: String] = ["instance": "host", "mountpoint": "mount", "device": "device", "interface": "interface"]

    struct Converted {
        var kind: String
        var expr: [(String, String)]
        var match: [(String, String)] = []
    }

    public static func convert(yaml text: String, file: String) throws(ConfigError) -> Result {
        guard let root = try YAMLDocument.compose(text, file: file), let groups = root.mapping?["groups"]?.sequence else {
            throw ConfigError(file: file, line: 1, message: "not a Prometheus rule file: expected a top-level 'groups:' list")
        }
        var out = "# Converted from \((file as NSString).lastPathComponent) by vigil rules import-prometheus.\n# Check with: vigil rules check FILE\ngroups:\n"
        var converted = 0
        var skipped: [(String, String)] = []
        var notes: [(String, String)] = []
        for group in groups {
            let groupName = group.mapping?["name"]?.string ?? "imported"
            var body = ""
            for rule in group.mapping?["rules"]?.sequence ?? [] {
                guard let m = rule.mapping else { continue }
                if let record = m["record"]?.string { skipped.append((record, "a recording rule (Vigil records nothing; alert on the source metric)")); continue }
                guard let name = m["alert"]?.string, let expr = m["expr"]?.string else {
                    skipped.append(("(line \(rule.mark?.line ?? 0))", "no alert name or expr")); continue
                }
                var ruleNotes: [String] = []
                let result = translate(expr, notes: &ruleNotes)
                switch result {
                case .failure(let why):
                    skipped.append((name, why.reason))
                    continue
                case .success(let c):
                    converted += 1
                    for n in ruleNotes { notes.append((name, n)) }
                    body += "      - alert: \(quote(name))\n        kind: \(c.kind)\n        expr:\n"
                    for (k, v) in c.expr { body += "          \(k): \(v)\n" }
                    if !c.match.isEmpty {
                        body += "          match:\n"
                        for (k, v) in c.match { body += "            \(k): \(quote(v))\n" }
                    }
                    for key in ["for", "keep_firing_for"] {
                        if let d = m[Node(stringLiteral: key)]?.string { body += "        \(key): \(d)\n" }
                    }
                    var labels = m["labels"]?.mapping.map { Array($0) } ?? []
                    if let sev = labels.first(where: { $0.key.string == "severity" })?.value.string {
                        let mapped = ["critical": "critical", "page": "critical", "error": "critical", "warning": "warning", "warn": "warning"][sev.lowercased()] ?? "info"
                        body += "        severity: \(mapped)\n"
                        labels.removeAll { $0.key.string == "severity" }
                    }
                    let kept = labels.compactMap { pair -> (String, String)? in
                        guard let k = pair.key.string, let v = pair.value.string, k != "host" else { return nil }
                        return (k, v)
                    }
                    if !kept.isEmpty {
                        body += "        labels:\n"
                        for (k, v) in kept { body += "          \(k): \(quote(v))\n" }
                    }
                    var annotations: [(String, String)] = []
                    for (k, v) in m["annotations"]?.mapping.map({ Array($0) }) ?? [] {
                        guard let key = k.string, let value = v.string else { continue }
                        switch key {
                        case "summary", "description": annotations.append((key, value))
                        case "runbook_url", "runbook": annotations.append(("runbook", value))
                        default: notes.append((name, "annotation '\(key)' dropped (Vigil keeps summary, description, runbook)"))
                        }
                    }
                    if !annotations.isEmpty {
                        body += "        annotations:\n"
                        for (k, v) in annotations { body += "          \(k): \(quote(v))\n" }
                    }
                }
            }
            if !body.isEmpty { out += "  - name: \(quote(groupName))\n    rules:\n" + body }
        }
        if converted == 0 { out += "  []\n" }
        return Result(yaml: out, converted: converted, skipped: skipped, notes: notes)
    }

    /// Double-quoted YAML scalar.
    static func quote(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    static func translate(_ expr: String, notes: inout [String]) -> Swift.Result<Converted, Failure> {
        let compact = expr.filter { !$0.isWhitespace }
        if let c = knownShape(compact) { return .success(c) }
        // `up == 0`
        if let m = compact.wholeMatch(of: /up(\{[^}]*\})?==0/) {
            var c = Converted(kind: "host_stale", expr: [("after", "60s")])
            if let sel = m.1 { c.match = matchers(String(sel), notes: &notes) }
            notes.append("up == 0 became host_stale (no data from the host for 60 s)")
            return .success(c)
        }
        // [func(] selector [ [dur] ] [)] op number
        let pattern = /(?:(avg_over_time|max_over_time|min_over_time|last_over_time|rate|irate)\()?([A-Za-z_:][A-Za-z0-9_:]*)(\{[^}]*\})?(?:\[([0-9]+[smhdw])\])?(\))?(>=|<=|==|!=|>|<)(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)/
        guard let m = compact.wholeMatch(of: pattern) else {
            return .failure(Failure(reason: "expression '\(expr.trimmingCharacters(in: .whitespacesAndNewlines).prefix(120))' is not a selector compared with a number"))
        }
        let function = m.1.map(String.init)
        guard (function == nil) == (m.5 == nil) else { return .failure(Failure(reason: "unbalanced parentheses in '\(expr)'")) }
        let promName = String(m.2)
        if function != nil && m.4 == nil { return .failure(Failure(reason: "\(function!) needs a range like [5m]")) }
        let metric = metricNames[promName] ?? promName
        if metric != promName { notes.append("metric \(promName) → \(metric)") }
        else if promName.hasPrefix("node_") { notes.append("\(promName) has no Vigil equivalent; kept as is (the rule fires only if something pushes that metric)") }
        var c: Converted
        let op = "\"\(m.6)\""
        let threshold = String(m.7)
        switch function {
        case "rate", "irate":
            c = Converted(kind: "rate", expr: [("metric", metric), ("window", String(m.4!)), ("op", op), ("threshold", threshold)])
        case let f?:
            let agg = ["avg_over_time": "avg", "max_over_time": "max", "min_over_time": "min", "last_over_time": "last"][f]!
            c = Converted(kind: "threshold", expr: [("metric", metric), ("aggregate", agg), ("window", String(m.4!)), ("op", op), ("threshold", threshold)])
        case nil:
            c = Converted(kind: "threshold", expr: [("metric", metric), ("aggregate", "last"), ("window", "5m"), ("op", op), ("threshold", threshold)])
        }
        if let sel = m.3 { c.match = matchers(String(sel), notes: &notes) }
        return .success(c)
    }

    /// node_exporter's usual CPU, memory and filesystem expressions.
    static func knownShape(_ e: String) -> Converted? {
        // 100 - (avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])) * 100) > 80
        if let m = e.wholeMatch(of: /\(?100-\(?avgby\(instance\)\(i?rate\(node_cpu_seconds_total\{mode="idle"\}\[([0-9]+[smh])\]\)\)\*100\)?\)?(>=|>)([0-9.]+)/) {
            return Converted(kind: "threshold", expr: [("metric", "cpu.usage_percent"), ("aggregate", "avg"), ("window", String(m.1)), ("op", "\"\(m.2)\""), ("threshold", String(m.3))])
        }
        // node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes * 100 < 10
        if let m = e.wholeMatch(of: /\(?node_memory_MemAvailable_bytes\/node_memory_MemTotal_bytes\)?\*100(<=|<)([0-9.]+)/) {
            let used = 100 - (Double(m.2) ?? 0)
            return Converted(kind: "threshold", expr: [("metric", "mem.used_percent"), ("aggregate", "last"), ("window", "5m"), ("op", m.1 == "<" ? "\">\"" : "\">=\""), ("threshold", trim(used))])
        }
        // (node_filesystem_avail_bytes{…} / node_filesystem_size_bytes{…}) * 100 < 10
        if let m = e.wholeMatch(of: /\(?node_filesystem_avail_bytes(\{[^}]*\})?\/node_filesystem_size_bytes(\{[^}]*\})?\)?\*100(<=|<)([0-9.]+)/) {
            let used = 100 - (Double(m.4) ?? 0)
            var notes: [String] = []
            var c = Converted(kind: "threshold", expr: [("metric", "disk.used_percent"), ("aggregate", "last"), ("window", "5m"), ("op", m.3 == "<" ? "\">\"" : "\">=\""), ("threshold", trim(used))])
            if let sel = m.1 { c.match = matchers(String(sel), notes: &notes) }
            return c
        }
        return nil
    }

    static func trim(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(v)
    }

    /// `{instance="web-1:9100",mountpoint="/",fstype!="tmpfs"}` → Vigil matchers; unknown labels are dropped with a note.
    static func matchers(_ selector: String, notes: inout [String]) -> [(String, String)] {
        var out: [(String, String)] = []
        let inner = selector.dropFirst().dropLast()
        for part in inner.matches(of: /([A-Za-z_][A-Za-z0-9_]*)(=~|!~|!=|=)"((?:[^"\\]|\\.)*)"/) {
            let label = String(part.1)
            var value = String(part.3).replacingOccurrences(of: "\\\\", with: "\\")
            guard let mapped = labelNames[label] else {
                if ["job", "fstype", "mode"].contains(label) {
                    notes.append("matcher \(label)\(part.2)\"\(part.3)\" dropped (Vigil has no '\(label)' label\(label == "fstype" ? "; the agent already skips pseudo filesystems" : ""))")
                } else {
                    out.append((label, String(part.2) + value))   // a host label of the same name may exist
                }
                continue
            }
            if label == "instance", part.2 == "=", let colon = value.lastIndex(of: ":"), value[value.index(after: colon)...].allSatisfy(\.isNumber) {
                value = String(value[..<colon])
            }
            out.append((mapped, String(part.2) + value))
        }
        return out
    }

    public struct Failure: Error { public var reason: String }
}

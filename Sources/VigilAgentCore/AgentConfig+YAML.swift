import VigilWire

extension AgentConfig {
    /// Parses the YAML text of a configuration file. Errors read `FILE:LINE:COLUMN: what was expected`.
    public static func parse(_ text: String, file: String) throws(AgentError) -> AgentConfig {
        var config = AgentConfig()
        guard let root = try YAMLNode.parse(text, file: file), !root.isNull else { return config }
        let r = ConfigReader(file: file)
        for (key, value) in try r.mapping(root, "the configuration") {
            let k = key.scalar ?? ""
            switch k {
            case "url":
                config.url = try r.string(value, k)
                guard config.url.hasPrefix("http://") || config.url.hasPrefix("https://") else {
                    throw r.error(value, "url must start with http:// or https://")
                }
            case "token":
                config.token = try r.string(value, k)
            case "host":
                let h = try r.string(value, k)
                guard WireNames.isValidHost(h) else {
                    throw r.error(value, "host must be 1–253 characters of A-Z a-z 0-9 . _ -")
                }
                config.host = h
            case "labels":
                for (lk, lv) in try r.mapping(value, "labels") {
                    let name = lk.scalar ?? ""
                    guard WireNames.isValidLabelName(name) else {
                        throw r.error(lk, "label name '\(name)' must match [A-Za-z_][A-Za-z0-9_]*")
                    }
                    let v = try r.string(lv, "labels.\(name)")
                    guard v.utf8.count <= WireLimits.default.maxLabelValueLength else {
                        throw r.error(lv, "labels.\(name) is longer than \(WireLimits.default.maxLabelValueLength) bytes")
                    }
                    config.labels[name] = v
                }
            case "interval":
                config.intervalMs = try r.duration(value, k)
                guard config.intervalMs >= 1000 else { throw r.error(value, "interval must be at least 1s") }
            case "state_dir":
                config.stateDirectory = try r.string(value, k)
                guard config.stateDirectory.hasPrefix("/") else { throw r.error(value, "state_dir must be an absolute path") }
            case "spool":
                for (sk, sv) in try r.mapping(value, "spool") {
                    switch sk.scalar ?? "" {
                    case "max_bytes": config.spoolMaxBytes = try r.byteSize(sv, "spool.max_bytes")
                    default: throw r.unknownKey(sk, in: "spool", known: ["max_bytes"])
                    }
                }
            case "logs":
                config.logs = try r.sequence(value, "logs").map { (item) throws(AgentError) in try r.logFile(item) }
            case "checks":
                config.checks = try r.sequence(value, "checks").map { (item) throws(AgentError) in try r.check(item) }
                var seen: Set<String> = []
                for (c, node) in zip(config.checks, try r.sequence(value, "checks")) where !seen.insert(c.name).inserted {
                    throw r.error(node, "duplicate check name '\(c.name)'")
                }
            case "databases":
                let items = try r.sequence(value, "databases")
                config.databases = try items.map { (item) throws(AgentError) in try r.database(item) }
                var seen: Set<String> = []
                for (d, node) in zip(config.databases, items) where !seen.insert(d.name).inserted {
                    throw r.error(node, "duplicate database name '\(d.name)'")
                }
            case "systemctl_path":
                config.systemctlPath = try r.string(value, k)
                guard config.systemctlPath.hasPrefix("/") else { throw r.error(value, "systemctl_path must be an absolute path") }
            case "remediation":
                config.remediationPolicy = try r.remediation(value)
            case "tls":
                for (tk, tv) in try r.mapping(value, "tls") {
                    let name = tk.scalar ?? ""
                    let path = try r.string(tv, "tls.\(name)")
                    guard path.hasPrefix("/") else { throw r.error(tv, "tls.\(name) must be an absolute path") }
                    switch name {
                    case "ca_file": config.tls.caFile = path
                    case "cert_file": config.tls.certFile = path
                    case "key_file": config.tls.keyFile = path
                    default: throw r.unknownKey(tk, in: "tls", known: ["ca_file", "cert_file", "key_file"])
                    }
                }
                if (config.tls.certFile == nil) != (config.tls.keyFile == nil) {
                    throw r.error(value, "tls.cert_file and tls.key_file go together (mutual TLS)")
                }
            case "connections":
                // `off`, or how often to look at the host's TCP connections.
                if let s = value.scalar, ["off", "false", "no"].contains(s) {
                    config.connectionsIntervalMs = nil
                } else {
                    let ms = try r.duration(value, k)
                    guard ms >= 1000 else { throw r.error(value, "connections must be off or an interval of at least 1s") }
                    config.connectionsIntervalMs = ms
                }
            case "max_line_bytes":
                config.maxLineBytes = try r.int(value, k, in: 256...16_000)
            default:
                throw r.unknownKey(key, in: "the configuration",
                                   known: ["url", "token", "host", "labels", "interval", "state_dir", "spool", "logs",
                                           "checks", "databases", "systemctl_path", "remediation", "max_line_bytes", "tls", "connections"])
            }
        }
        return config
    }
}

/// Typed access to YAML nodes with errors that name the file, position, key and expected type.
struct ConfigReader {
    let file: String

    func error(_ node: YAMLNode, _ message: String) -> AgentError {
        AgentError("\(file):\(node.line):\(node.column): \(message)")
    }

    func unknownKey(_ key: YAMLNode, in place: String, known: [String]) -> AgentError {
        error(key, "unknown key '\(key.scalar ?? "")' in \(place) (expected one of: \(known.joined(separator: ", ")))")
    }

    func mapping(_ node: YAMLNode, _ what: String) throws(AgentError) -> [(key: YAMLNode, value: YAMLNode)] {
        if node.isNull { return [] }
        guard case .mapping(let pairs) = node.value else { throw error(node, "\(what) must be a mapping of key: value") }
        return pairs
    }

    func sequence(_ node: YAMLNode, _ what: String) throws(AgentError) -> [YAMLNode] {
        if node.isNull { return [] }
        guard case .sequence(let items) = node.value else { throw error(node, "\(what) must be a list (lines starting with '- ')") }
        return items
    }

    func string(_ node: YAMLNode, _ what: String) throws(AgentError) -> String {
        guard case .scalar(let s, _) = node.value, !node.isNull else { throw error(node, "\(what) must be a string") }
        return s
    }

    func bool(_ node: YAMLNode, _ what: String) throws(AgentError) -> Bool {
        guard case .scalar(let s, plain: true) = node.value else { throw error(node, "\(what) must be true or false") }
        switch s {
        case "true", "True", "TRUE", "yes", "Yes", "on": return true
        case "false", "False", "FALSE", "no", "No", "off": return false
        default: throw error(node, "\(what) must be true or false")
        }
    }

    func int(_ node: YAMLNode, _ what: String, in range: ClosedRange<Int>) throws(AgentError) -> Int {
        guard case .scalar(let s, plain: true) = node.value, let v = Int(s) else {
            throw error(node, "\(what) must be a whole number")
        }
        guard range.contains(v) else { throw error(node, "\(what) must be between \(range.lowerBound) and \(range.upperBound)") }
        return v
    }

    func duration(_ node: YAMLNode, _ what: String) throws(AgentError) -> Int64 {
        guard let s = node.scalar, let ms = DurationText.milliseconds(s), ms > 0 else {
            throw error(node, "\(what) must be a duration like 10s or 1m")
        }
        return ms
    }

    func byteSize(_ node: YAMLNode, _ what: String) throws(AgentError) -> Int {
        guard let s = node.scalar, let b = ByteSizeText.bytes(s) else {
            throw error(node, "\(what) must be a size like 67108864, 512KiB or 64MiB")
        }
        return b
    }

    /// `remediation: false` (the short form) or a mapping with `enabled`, the allow lists and tool paths.
    func remediation(_ node: YAMLNode) throws(AgentError) -> RemediationPolicy {
        var p = RemediationPolicy()
        if case .scalar = node.value, !node.isNull {
            p.enabled = try bool(node, "remediation")
            return p
        }
        guard node.isNull || { if case .mapping = node.value { return true } else { return false } }() else {
            throw error(node, "remediation must be true, false or a mapping (enabled, allow_dirs, log_dirs, ...)")
        }
        let known = ["enabled", "allow_dirs", "log_dirs", "allow_units", "allow_parents", "allow_programs", "protected_processes",
                     "systemctl", "journalctl", "logrotate", "ss", "drop_caches"]
        for (k, v) in try mapping(node, "remediation") {
            let name = k.scalar ?? ""
            let what = "remediation.\(name)"
            switch name {
            case "enabled": p.enabled = try bool(v, what)
            case "allow_dirs": p.allowDirs = try directories(v, what)
            case "log_dirs": p.logDirs = try directories(v, what)
            case "allow_units":
                p.allowUnits = try strings(v, what) { (item, s) throws(AgentError) in
                    guard CheckConfig.isValidUnitName(s) else {
                        throw error(item, "\(what): '\(s)' is not a unit name ([A-Za-z0-9@._:-]+)")
                    }
                }
            case "allow_programs":
                p.allowPrograms = try strings(v, what) { (item, s) throws(AgentError) in
                    let bare = !s.isEmpty && !s.contains("/")
                    guard (bare || RemediationPolicy.directoryProblem(s) == nil), !s.contains(" "),
                          !s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                        throw error(item, "\(what): '\(s)' must be an absolute path or a bare program name")
                    }
                }
            case "allow_parents", "protected_processes":
                let names = try strings(v, what) { (item, s) throws(AgentError) in
                    if let problem = RemediationPolicy.processNameProblem(s) { throw error(item, "\(what): '\(s)' \(problem)") }
                }
                if name == "allow_parents" { p.allowParents = names } else { p.protectedProcesses = names }
            case "systemctl", "journalctl", "logrotate", "ss", "drop_caches":
                let path = try string(v, what)
                guard path.hasPrefix("/"), !path.contains("\n") else { throw error(v, "\(what) must be an absolute path") }
                switch name {
                case "systemctl": p.systemctl = path
                case "journalctl": p.journalctl = path
                case "logrotate": p.logrotate = path
                case "ss": p.ss = path
                default: p.dropCaches = path
                }
            default:
                throw unknownKey(k, in: "remediation", known: known)
            }
        }
        return p
    }

    /// A list of strings, each checked by `check`.
    private func strings(_ node: YAMLNode, _ what: String,
                         check: (YAMLNode, String) throws(AgentError) -> Void) throws(AgentError) -> [String] {
        var out: [String] = []
        for item in try sequence(node, what) {
            let s = try string(item, "\(what)[]")
            try check(item, s)
            out.append(s)
        }
        return out
    }

    private func directories(_ node: YAMLNode, _ what: String) throws(AgentError) -> [String] {
        try strings(node, what) { (item, s) throws(AgentError) in
            if let problem = RemediationPolicy.directoryProblem(s) { throw error(item, "\(what): '\(s)' \(problem)") }
        }.map { s in
            var d = s
            while d.count > 1 && d.hasSuffix("/") { d.removeLast() }
            return d
        }
    }

    func logFile(_ node: YAMLNode) throws(AgentError) -> LogFileConfig {
        // `- /var/log/syslog` is accepted as a shorthand for `- path: /var/log/syslog`.
        if case .scalar = node.value { return try validatedLog(LogFileConfig(path: try string(node, "logs[]")), node) }
        var path: String?
        var fromStart = false
        for (k, v) in try mapping(node, "a logs entry") {
            switch k.scalar ?? "" {
            case "path": path = try string(v, "path")
            case "from_start": fromStart = try bool(v, "from_start")
            default: throw unknownKey(k, in: "a logs entry", known: ["path", "from_start"])
            }
        }
        guard let path else { throw error(node, "a logs entry needs a path") }
        return try validatedLog(LogFileConfig(path: path, fromStart: fromStart), node)
    }

    private func validatedLog(_ log: LogFileConfig, _ node: YAMLNode) throws(AgentError) -> LogFileConfig {
        guard log.path.hasPrefix("/") else { throw error(node, "log path must be absolute (got \(log.path))") }
        guard log.path.utf8.count <= WireLimits.default.maxLogSourceLength, !log.path.contains("\n") else {
            throw error(node, "log path is too long")
        }
        return log
    }

    /// A `databases:` entry: `name`, `url` or `url_env`, optional `password_env`/`password_file`, `long_query`,
    /// `slow_query`, `timeout`.
    func database(_ node: YAMLNode) throws(AgentError) -> DatabaseConfig {
        var d = DatabaseConfig(name: "")
        var sawName = false
        for (k, v) in try mapping(node, "a databases entry") {
            switch k.scalar ?? "" {
            case "name":
                d.name = try string(v, "name")
                guard !d.name.isEmpty, d.name.utf8.count <= 64, WireNames.isValidHost(d.name) else {
                    throw error(v, "name must be 1–64 characters of A-Z a-z 0-9 . _ - (it becomes the db label)")
                }
                sawName = true
            case "url":
                let u = try string(v, "url")
                do { _ = try PostgresTarget.parse(u) } catch { throw self.error(v, error.message) }
                d.url = u
            case "url_env": d.urlEnv = try string(v, "url_env")
            case "password_env": d.passwordEnv = try string(v, "password_env")
            case "password_file":
                let p = try string(v, "password_file")
                guard p.hasPrefix("/") else { throw error(v, "password_file must be an absolute path") }
                d.passwordFile = p
            case "long_query": d.longQueryMs = try duration(v, "long_query")
            case "slow_query": d.slowQueryMs = try duration(v, "slow_query")
            case "timeout":
                let ms = try duration(v, "timeout")
                guard ms <= 60_000 else { throw error(v, "timeout must be at most 1m") }
                d.timeoutMs = Int(ms)
            default:
                throw unknownKey(k, in: "a databases entry",
                                 known: ["name", "url", "url_env", "password_env", "password_file", "long_query", "slow_query", "timeout"])
            }
        }
        guard sawName else { throw error(node, "a databases entry needs a name") }
        guard (d.url == nil) != (d.urlEnv == nil) else { throw error(node, "database \(d.name) needs exactly one of url and url_env") }
        return d
    }

    func check(_ node: YAMLNode) throws(AgentError) -> CheckConfig {
        var name: String?
        var kind: CheckKind?
        var target: String?
        var targetNode = node
        var timeoutMs = 5000
        var intervalMs: Int64?
        var expect: Int?
        for (k, v) in try mapping(node, "a checks entry") {
            switch k.scalar ?? "" {
            case "name": name = try string(v, "name")
            case "kind":
                let s = try string(v, "kind")
                guard let parsed = CheckKind(rawValue: s) else { throw error(v, "kind must be one of http, tcp, systemd") }
                kind = parsed
            case "target":
                target = try string(v, "target")
                targetNode = v
            case "timeout":
                let ms = try duration(v, "timeout")
                guard ms <= 300_000 else { throw error(v, "timeout must be at most 5m") }
                timeoutMs = Int(ms)
            case "interval": intervalMs = try duration(v, "interval")
            case "expect_status": expect = try int(v, "expect_status", in: 100...599)
            default:
                throw unknownKey(k, in: "a checks entry",
                                 known: ["name", "kind", "target", "timeout", "interval", "expect_status"])
            }
        }
        guard let name, !name.isEmpty else { throw error(node, "a checks entry needs a name") }
        guard name.utf8.count <= WireLimits.default.maxCheckNameLength else { throw error(node, "check name is too long") }
        guard let kind else { throw error(node, "check '\(name)' needs a kind (http, tcp or systemd)") }
        guard let target, !target.isEmpty else { throw error(node, "check '\(name)' needs a target") }
        switch kind {
        case .http:
            guard target.hasPrefix("http://") || target.hasPrefix("https://") else {
                throw error(targetNode, "target of http check '\(name)' must be a URL starting with http:// or https://")
            }
        case .tcp:
            guard TCPProbe.split(target) != nil else {
                throw error(targetNode, "target of tcp check '\(name)' must be host:port (e.g. 127.0.0.1:5432 or [::1]:22)")
            }
        case .systemd:
            guard CheckConfig.isValidUnitName(target) else {
                throw error(targetNode, "target of systemd check '\(name)' must be a unit name matching [A-Za-z0-9@._:-]+")
            }
        }
        if expect != nil && kind != .http { throw error(node, "expect_status only applies to http checks") }
        return CheckConfig(name: name, kind: kind, target: target, timeoutMs: timeoutMs, intervalMs: intervalMs,
                           expectStatus: expect)
    }
}

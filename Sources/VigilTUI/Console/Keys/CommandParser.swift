/// Parses `:` command lines, with aliases, and completes command and argument names.
enum CommandParser {
    /// The canonical command names, in the order help lists them.
    static let commands = ["hosts", "host", "alerts", "silences", "rules", "runbooks", "notify", "chat", "ai", "logs", "metric", "db", "sla", "topology", "services", "groups", "audit", "reports", "reload", "theme", "refresh", "help", "quit"]

    /// Alias → canonical command name.
    static let aliases: [String: String] = [
        "hosts": "hosts", "hs": "hosts", "dash": "hosts", "dashboard": "hosts", "fleet": "hosts",
        "host": "host", "h": "host", "detail": "host",
        "alerts": "alerts", "a": "alerts", "alert": "alerts", "al": "alerts",
        "silences": "silences", "silence": "silences", "sil": "silences",
        "rules": "rules", "rule": "rules", "r": "rules",
        "runbooks": "runbooks", "runbook": "runbooks", "rb": "runbooks", "runs": "runbooks", "remediation": "runbooks",
        "notify": "notify", "notifications": "notify", "oncall": "notify", "outbox": "notify",
        "reload": "reload",
        "chat": "chat", "ask": "chat", "assistant": "chat",
        "ai": "ai", "aicalls": "ai", "ai-calls": "ai",
        "logs": "logs", "log": "logs", "lg": "logs", "patterns": "logs",
        "audit": "audit", "au": "audit",
        "db": "db", "databases": "db", "pg": "db",
        "sla": "sla", "slo": "sla", "budget": "sla",
        "topology": "topology", "topo": "topology", "map": "topology", "deps": "topology",
        "groups": "groups", "group": "groups", "gr": "groups",
        "services": "services", "service": "services", "svc": "services",
        "metric": "metric", "m": "metric", "graph": "metric",
        "reports": "reports", "report": "reports", "rep": "reports",
        "theme": "theme", "colors": "theme", "colorscheme": "theme",
        "refresh": "refresh",
        "help": "help", "?": "help",
        "quit": "quit", "q": "quit", "q!": "quit", "exit": "quit", "qa": "quit",
    ]

    /// One line about each command for the help overlay.
    static let usage: [(String, String)] = [
        (":hosts", "the fleet dashboard (aliases :dash :fleet)"),
        (":host NAME", "detail of one host (alias :h)"),
        (":alerts", "firing and pending alerts (alias :a; A or Tab from hosts)"),
        (":silences", "active silences (alias :sil)"),
        (":rules", "alerting rules and rule-file errors (alias :r)"),
        (":runbooks", "approvals queue, runs with their output, the runbook catalogue (aliases :rb :runs)"),
        (":notify", "who is on call, channels, escalations, the outbox and dead letters (aliases :oncall :outbox)"),
        (":notify test CHANNEL", "send a real test message to a channel and show the receiver's answer"),
        (":chat [HOST]", "the AI assistant about the fleet or a host (alias :ask; c on an alert or host)"),
        (":ai", "the AI call log: feature, model, tokens, latency, outcome (alias :aicalls)"),
        (":logs [HOST]", "top log patterns of a host or the fleet, with trends and raw lines (alias :log; L on hosts)"),
        (":metric NAME [HOST…]", "a metric over time: chart, ranges, zoom and pan, hosts overlaid (alias :m)"),
        (":db", "the PostgreSQL servers the agents watch: connections, TPS, cache, locks, lag; Enter: slow and long queries (aliases :databases :pg)"),
        (":sla", "availability per check against its objective: error budget left, burn rates, trend (aliases :slo :budget)"),
        (":topology", "hosts and services with their links, coloured by alerts, the blast radius in red: t layout, m move+pin, i isolate, a alerts only (aliases :topo :map; T)"),
        (":services", "services: status, hosts up, checks failing, latency, uptime and budget over 24h, alerts, owner; Enter: hosts, checks, neighbours (alias :svc)"),
        (":groups", "server groups (the group label): hosts up, health, alerts, CPU, memory, disk, checks; Enter shows a group's hosts (alias :gr)"),
        (":audit", "the audit log: who did what, filters by user, action and time, the hash chain's state (alias :au)"),
        (":reports", "stored daily and weekly reports; Enter reads one (alias :report)"),
        (":reload", "re-read the rule files (admin; changes things)"),
        (":theme [NAME]", "switch theme, or list themes"),
        (":refresh", "fetch fresh data now (also r, Ctrl-R)"),
        (":help", "this help (alias :?)"),
        (":quit", "quit (aliases :q :exit)"),
    ]

    /// Parses a command line (with or without the leading `:`).
    static func parse(_ line: String) throws(CommandError) -> TypedCommand {
        var text = Substring(line).drop { $0 == " " }
        if text.first == ":" { text = text.dropFirst() }
        let words = text.split(separator: " ").map(String.init)
        guard let first = words.first else { throw CommandError(message: "empty command (try :help)") }
        guard let name = aliases[first.lowercased()] else {
            throw CommandError(message: "unknown command :\(first) (commands: \(commands.joined(separator: " ")))")
        }
        let args = Array(words.dropFirst())
        switch name {
        case "hosts":
            if let host = args.first { return .host(host) }
            return .hosts
        case "host":
            guard let host = args.first else { throw CommandError(message: "usage: :host NAME") }
            guard args.count == 1 else { throw CommandError(message: "usage: :host NAME (one host)") }
            return .host(host)
        case "theme":
            guard args.count <= 1 else { throw CommandError(message: "usage: :theme NAME") }
            return .theme(args.first)
        case "notify" where !args.isEmpty:
            guard args.count == 2, args[0] == "test" else { throw CommandError(message: "usage: :notify, or :notify test CHANNEL") }
            return .notifyTest(args[1])
        case "chat":
            guard args.count <= 1 else { throw CommandError(message: "usage: :chat [HOST]") }
            return .chat(host: args.first)
        case "logs":
            guard args.count <= 1 else { throw CommandError(message: "usage: :logs [HOST]") }
            return .logs(host: args.first)
        case "metric":
            guard let name = args.first else { throw CommandError(message: "usage: :metric NAME [HOST…], e.g. :metric cpu.usage_percent web-1") }
            return .metric(name, hosts: Array(args.dropFirst()))
        default:
            guard let command = withoutArguments[name] else { return .quit }
            guard args.isEmpty || ["refresh", "help", "quit"].contains(name) else { throw CommandError(message: "usage: :\(name)") }
            return command
        }
    }

    /// The commands that take no argument, by canonical name.
    static let withoutArguments: [String: TypedCommand] = [
        "alerts": .alerts, "silences": .silences, "rules": .rules, "runbooks": .runbooks, "reload": .reload, "notify": .notifications,
        "ai": .aiCalls, "sla": .sla, "topology": .topology, "groups": .groups, "services": .services, "db": .databases, "audit": .audit,
        "reports": .reports, "refresh": .refresh, "help": .help, "quit": .quit,
    ]

    /// Completes the last word of `line`: a command name for the first word, a host name after `host`, a theme
    /// name after `theme`. Returns the new line (the longest common prefix of the matches, plus a space when the
    /// match is unique) and every match.
    static func complete(_ line: String, hosts: [String], themes: [String]) -> (line: String, candidates: [String]) {
        let endsWithSpace = line.hasSuffix(" ")
        var words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        if endsWithSpace || words.isEmpty { words.append("") }
        let prefix = words.last!
        let pool: [String]
        if words.count == 1 {
            pool = commands + aliases.keys.filter { $0.count > 2 && !commands.contains($0) }.sorted()
        } else {
            switch aliases[words[0].lowercased()] {
            case "host", "hosts", "chat", "logs": pool = hosts
            case "theme": pool = themes
            default: pool = []
            }
        }
        let matches = pool.filter { $0.hasPrefix(prefix) }
        guard !matches.isEmpty else { return (line, []) }
        var common = matches[0]
        for m in matches.dropFirst() {
            while !m.hasPrefix(common) { common.removeLast() }
        }
        words[words.count - 1] = common
        var result = words.joined(separator: " ")
        if matches.count == 1 { result += " " }
        return (result, matches)
    }
}

import VigilWire

/// The command line of `vigil-agent`, parsed by hand (the agent avoids ArgumentParser's weight).
public struct AgentOptions: Sendable, Equatable {
    public var configPath: String?
    public var url: String?
    public var token: String?
    public var host: String?
    public var intervalMs: Int64?
    public var stateDirectory: String?
    public var once = false
    public var printOnly = false
    public var noRemediation = false
    public var showVersion = false
    public var showHelp = false

    public init() {}

    /// The version `--version` prints.
    public static let version = VigilVersion.current

    /// The help text.
    public static let usage = """
        usage: vigil-agent [options]
               vigil-agent step NAME [arguments]

        Collects host metrics, log lines and check results and pushes them to a Vigil listener,
        spooling to disk while the listener is unreachable, and runs the signed runbook jobs the
        listener queues for this host. `step NAME` runs one built-in step program (what runbook
        steps written as `vigil-step NAME …` execute).

        options:
          --config PATH      configuration file (default /etc/vigil/agent.yaml; missing default is fine)
          --url URL          listener base URL (overrides the file and VIGIL_URL)
          --token TOKEN      bearer token (overrides the file and VIGIL_TOKEN)
          --host NAME        host name to report (default: this machine's host name)
          --interval DUR     push interval, e.g. 10s or 1m (default 10s)
          --state-dir DIR    spool and tail offsets (default /var/lib/vigil-agent)
          --once             collect for about a second, push one batch, flush the spool, exit
                             (status 0 when everything was delivered)
          --print            print one batch as JSON on standard output and send nothing
          --no-remediation   never run runbook jobs on this host (they are refused; same as
                             remediation.enabled: false)
          --version          print the version and exit
          --help             print this help and exit

        environment: VIGIL_URL, VIGIL_TOKEN (win over the file, lose to flags)
        """

    /// Parses `arguments` (without the program name). Accepts `--flag value` and `--flag=value`.
    public static func parse(_ arguments: [String]) throws(AgentError) -> AgentOptions {
        var o = AgentOptions()
        var i = 0
        func value(_ flag: String, _ inline: String?) throws(AgentError) -> String {
            if let inline { return inline }
            i += 1
            guard i < arguments.count else { throw AgentError("\(flag) needs a value (see --help)") }
            return arguments[i]
        }
        while i < arguments.count {
            let arg = arguments[i]
            var flag = arg
            var inline: String?
            if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
                flag = String(arg[..<eq])
                inline = String(arg[arg.index(after: eq)...])
            }
            switch flag {
            case "--config": o.configPath = try value(flag, inline)
            case "--url": o.url = try value(flag, inline)
            case "--token": o.token = try value(flag, inline)
            case "--host": o.host = try value(flag, inline)
            case "--interval":
                let v = try value(flag, inline)
                guard let ms = DurationText.milliseconds(v), ms > 0 else {
                    throw AgentError("--interval must be a duration like 10s or 1m (got \(v))")
                }
                o.intervalMs = ms
            case "--state-dir": o.stateDirectory = try value(flag, inline)
            case "--once": o.once = true
            case "--print": o.printOnly = true
            case "--no-remediation": o.noRemediation = true
            case "--version", "-V": o.showVersion = true
            case "--help", "-h": o.showHelp = true
            default:
                throw AgentError("unknown option \(arg) (see --help)")
            }
            if inline != nil && ["--once", "--print", "--no-remediation", "--version", "--help"].contains(flag) {
                throw AgentError("\(flag) takes no value")
            }
            i += 1
        }
        if o.once && o.printOnly { throw AgentError("--once and --print cannot be combined") }
        return o
    }

    /// Flags win over everything else.
    public func apply(to config: inout AgentConfig) {
        if let url { config.url = url }
        if let token { config.token = token }
        if let host { config.host = host }
        if let intervalMs { config.intervalMs = intervalMs }
        if let stateDirectory { config.stateDirectory = stateDirectory }
        if noRemediation { config.remediation = false }
    }
}

import VigilWire

/// TLS towards the listener (`tls:` in the agent's config): the CA that signed the listener's certificate (default:
/// the system's CAs) and, for mutual TLS, the agent's own certificate and key. PEM files.
public struct AgentTLS: Sendable, Equatable {
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?
    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
    }
}

/// The agent's configuration: defaults, then the YAML file, then `VIGIL_URL`/`VIGIL_TOKEN`, then flags.
public struct AgentConfig: Sendable, Equatable {
    /// The default location of the configuration file.
    public static let defaultPath = "/etc/vigil/agent.yaml"

    /// Base URL of the listener (`POST {url}/api/v1/ingest`, `GET {url}/api/v1/jobs/next`).
    public var url = "http://127.0.0.1:9470"
    /// Bearer token.
    public var token = ""
    /// Host name reported; nil means this machine's host name.
    public var host: String?
    /// Labels attached to every batch.
    public var labels: [String: String] = [:]
    /// Push interval.
    public var intervalMs: Int64 = 10_000
    /// Where the spool and the tail offsets live.
    public var stateDirectory = "/var/lib/vigil-agent"
    /// Bound of the spool.
    public var spoolMaxBytes = 64 * 1024 * 1024
    public var logs: [LogFileConfig] = []
    public var checks: [CheckConfig] = []
    /// PostgreSQL servers to watch (`databases:`).
    public var databases: [DatabaseConfig] = []
    /// How often the agent reports the host's established TCP connections (for the topology); nil: never.
    public var connectionsIntervalMs: Int64? = 60_000
    public var systemctlPath = "/usr/bin/systemctl"
    /// How an `https://` listener is verified and who the agent is to it (`tls:`).
    public var tls = AgentTLS()
    /// The `remediation:` section: whether jobs run here and the limits of the step programs.
    public var remediationPolicy = RemediationPolicy()
    /// Whether runbook jobs may run on this host (`remediation.enabled`; `--no-remediation` clears it).
    public var remediation: Bool {
        get { remediationPolicy.enabled }
        set { remediationPolicy.enabled = newValue }
    }
    /// Log lines longer than this are cut.
    public var maxLineBytes = 8192

    public init() {}

    /// The ingest endpoint.
    public var ingestURL: String {
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/api/v1/ingest"
    }

    /// The listener's base URL without trailing slashes.
    public var baseURL: String {
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    /// Loads `path`. A missing file is an error only when `explicit` (given with `--config`);
    /// otherwise the defaults are returned.
    public static func load(path: String, explicit: Bool) throws(AgentError) -> AgentConfig {
        guard let text = FileSystem.readText(path, limit: 4 * 1024 * 1024) else {
            if !explicit && !FileSystem.exists(path) { return AgentConfig() }
            throw AgentError("\(path): cannot read the configuration file")
        }
        return try parse(text, file: path)
    }

    /// The environment variables the configuration reads: `VIGIL_URL`, `VIGIL_TOKEN` and those `databases:` name.
    public var environmentNames: [String] {
        ["VIGIL_URL", "VIGIL_TOKEN"] + databases.flatMap { [$0.urlEnv, $0.passwordEnv].compactMap { $0 } }
    }

    /// Applies `VIGIL_URL` and `VIGIL_TOKEN`, which win over the file.
    public mutating func applyEnvironment(_ env: [String: String]) {
        if let u = env["VIGIL_URL"], !u.isEmpty { url = u }
        if let t = env["VIGIL_TOKEN"], !t.isEmpty { token = t }
    }

    /// Checks what the file cannot (values set from flags or the environment).
    public func validate() throws(AgentError) {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw AgentError("url must start with http:// or https:// (got \(url))")
        }
        if let host, !WireNames.isValidHost(host) {
            throw AgentError("host must be 1–253 characters of A-Z a-z 0-9 . _ - (got \(host))")
        }
        guard intervalMs >= 1000 else { throw AgentError("interval must be at least 1s") }
        guard !stateDirectory.isEmpty else { throw AgentError("state_dir must not be empty") }
    }

    /// `name` made acceptable as a host name: characters outside `[A-Za-z0-9._-]` become `-`.
    public static func sanitizedHost(_ name: String) -> String {
        let s = String(name.prefix(253).map { c -> Character in
            c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "-") ? c : "-"
        })
        return s.isEmpty ? "localhost" : s
    }
}

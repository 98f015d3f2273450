import VigilWire

/// One PostgreSQL server the agent watches (`databases:` in its config): where it is, who to log in as, and when a
/// query counts as long or slow.
public struct DatabaseConfig: Sendable, Equatable {
    /// The probe's name: the `db` label of its metrics and the Databases pane's row.
    public var name: String
    /// The connection URL as written (`url:`), already checked; nil when it comes from the environment.
    public var url: String?
    /// The environment variable holding the URL (`url_env:`).
    public var urlEnv: String?
    /// Where the password comes from when the URL has none (`password_env:`, `password_file:`).
    public var passwordEnv: String?
    public var passwordFile: String?
    /// Queries and transactions running longer than this are reported and counted in `pg.queries.long`.
    public var longQueryMs: Int64
    /// Statements (`pg_stat_statements`) whose calls in an interval averaged longer than this are reported.
    public var slowQueryMs: Int64
    /// Connect and query timeout.
    public var timeoutMs: Int

    public init(name: String, url: String? = nil, urlEnv: String? = nil, passwordEnv: String? = nil,
                passwordFile: String? = nil, longQueryMs: Int64 = 30_000, slowQueryMs: Int64 = 500, timeoutMs: Int = 5_000) {
        self.name = name
        self.url = url
        self.urlEnv = urlEnv
        self.passwordEnv = passwordEnv
        self.passwordFile = passwordFile
        self.longQueryMs = longQueryMs
        self.slowQueryMs = slowQueryMs
        self.timeoutMs = timeoutMs
    }

    /// The server and login, with the URL and password looked up now. The error names the database and the source.
    public func target(environment env: [String: String]) throws(AgentError) -> PostgresTarget {
        let text: String
        if let url { text = url } else if let urlEnv {
            guard let v = env[urlEnv], !v.isEmpty else {
                throw AgentError("database \(name): url_env names \(urlEnv), which is not set")
            }
            text = v
        } else {
            throw AgentError("database \(name): no url")
        }
        var t: PostgresTarget
        do { t = try PostgresTarget.parse(text) } catch { throw AgentError("database \(name): \(error.message)") }
        if t.password == nil, let passwordEnv {
            guard let v = env[passwordEnv] else { throw AgentError("database \(name): password_env names \(passwordEnv), which is not set") }
            t.password = v
        }
        if t.password == nil, let passwordFile {
            guard let v = FileSystem.readText(passwordFile, limit: 4096) else {
                throw AgentError("database \(name): cannot read password_file \(passwordFile)")
            }
            t.password = String(v.prefix { $0 != "\n" && $0 != "\r" })
        }
        return t
    }
}

/// Where a PostgreSQL server is and how to log in: parsed from a `postgres://` URL as libpq reads it.
///
/// `postgres://monitor:secret@db-1:5432/postgres?application_name=x`; a host that starts with `/` (written
/// `%2Fvar%2Frun%2Fpostgresql` or as `?host=/var/run/postgresql`) is the directory of a Unix socket. TLS is not spoken:
/// `sslmode` may only be `disable` or `prefer` (which then means no TLS); use a local socket or a private network.
public struct PostgresTarget: Sendable, Equatable {
    public var host: String
    public var port: UInt16
    public var user: String
    public var password: String?
    public var database: String
    public var applicationName: String

    public init(host: String = "127.0.0.1", port: UInt16 = 5432, user: String, password: String? = nil,
                database: String = "postgres", applicationName: String = "vigil-agent") {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.applicationName = applicationName
    }

    /// Whether `host` names a Unix-socket directory.
    public var isUnixSocket: Bool { host.hasPrefix("/") }

    /// The socket file for a Unix-socket host.
    public var socketPath: String { host + "/.s.PGSQL.\(port)" }

    /// `host:port` or the socket path, for messages. Never the password.
    public var display: String { isUnixSocket ? socketPath : (host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)") }

    /// Parses a `postgres://` or `postgresql://` URL; the error names what is wrong.
    public static func parse(_ url: String) throws(AgentError) -> PostgresTarget {
        let scheme: String
        if url.hasPrefix("postgres://") { scheme = "postgres://" }
        else if url.hasPrefix("postgresql://") { scheme = "postgresql://" }
        else { throw AgentError("a database url must start with postgres:// (got \(redacted(url)))") }
        var rest = Substring(url.dropFirst(scheme.count))
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var t = PostgresTarget(user: "", database: "")
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                t.user = try decode(userInfo[..<colon], "user")
                t.password = try decode(userInfo[userInfo.index(after: colon)...], "password")
            } else {
                t.user = try decode(userInfo, "user")
            }
        }
        if !rest.isEmpty {
            var hostPart = rest
            var portPart: Substring?
            if hostPart.hasPrefix("[") {
                guard let close = hostPart.firstIndex(of: "]") else { throw AgentError("database url: unclosed [ in the host") }
                let after = hostPart[hostPart.index(after: close)...]
                hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
                if after.hasPrefix(":") { portPart = after.dropFirst() } else if !after.isEmpty {
                    throw AgentError("database url: unexpected '\(after)' after the host")
                }
            } else if let colon = hostPart.lastIndex(of: ":") {
                portPart = hostPart[hostPart.index(after: colon)...]
                hostPart = hostPart[..<colon]
            }
            if !hostPart.isEmpty { t.host = try decode(hostPart, "host") }
            if let portPart { t.port = try port(String(portPart)) }
        }
        if !path.isEmpty { t.database = try decode(path, "database name") }
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(kv[0])
            let value = kv.count > 1 ? try decode(kv[1], key) : ""
            switch key {
            case "host": t.host = value
            case "port": t.port = try port(value)
            case "user": t.user = value
            case "password": t.password = value
            case "dbname": t.database = value
            case "application_name": t.applicationName = value
            case "sslmode":
                guard value == "disable" || value == "prefer" || value == "allow" else {
                    throw AgentError("database url: sslmode=\(value) needs TLS, which the agent does not speak to databases; use sslmode=disable over a Unix socket or a private network")
                }
            case "connect_timeout": break
            default:
                throw AgentError("database url: unknown parameter '\(key)' (expected host, port, user, password, dbname, application_name, sslmode, connect_timeout)")
            }
        }
        guard !t.user.isEmpty else { throw AgentError("database url \(redacted(url)) names no user (postgres://USER@HOST/DB)") }
        if t.database.isEmpty { t.database = t.user }
        return t
    }

    /// `url` with its password replaced by `***`, for messages.
    public static func redacted(_ url: String) -> String {
        guard let slash = url.firstIndex(of: "/") else { return url }
        let afterScheme = url.index(slash, offsetBy: 2, limitedBy: url.endIndex) ?? url.endIndex
        let authority = url[afterScheme...].prefix { $0 != "/" && $0 != "?" }
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }

    private static func port(_ text: String) throws(AgentError) -> UInt16 {
        guard let p = UInt16(text), p > 0 else { throw AgentError("database url: port must be 1–65535 (got '\(text)')") }
        return p
    }

    /// Percent-decoding.
    private static func decode(_ s: Substring, _ what: String) throws(AgentError) -> String {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%") {
                guard bytes.count >= 2, let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) else {
                    throw AgentError("database url: bad %-escape in the \(what)")
                }
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

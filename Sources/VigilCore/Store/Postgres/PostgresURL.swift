import Foundation

/// A parsed `postgres://user:password@host:port/database?options` address.
///
/// Options: `sslmode` (`disable`, `prefer` — the default, as libpq —, `require`, `verify-full`), `sslrootcert` (a CA
/// file for `verify-full`), `pool` (most connections, default 8), `schema` (the schema Vigil's tables live in,
/// created when missing; default `public`), `connect_timeout` (seconds, default 10), `application_name`. The password
/// may also come from `PGPASSWORD`.
public struct PostgresURL: Sendable, Equatable {
    public enum TLSMode: String, Sendable, Equatable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var tls: TLSMode
    public var rootCertificate: String?
    public var poolSize: Int
    public var schema: String?
    /// Seconds to wait for a connection (`connect_timeout`, as libpq; default 10).
    public var connectTimeout: Int
    /// What the server shows in `pg_stat_activity` (`application_name`, default `vigil`).
    public var applicationName: String

    /// The address without its password, for messages and `description`.
    public var shown: String {
        "postgres://\(user)@\(host):\(port)/\(database)" + (schema.map { "?schema=\($0)" } ?? "")
    }

    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let fail = { (why: String) in StoreError("invalid PostgreSQL address: \(why) (expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…&pool=N&schema=NAME])") }
        guard let c = URLComponents(string: text), c.scheme == "postgres" || c.scheme == "postgresql" else {
            throw fail("not a postgres:// URL")
        }
        guard let host = c.host, !host.isEmpty else { throw fail("no host") }
        self.host = host
        self.port = c.port ?? 5432
        guard let user = c.user, !user.isEmpty else { throw fail("no user") }
        self.user = user.removingPercentEncoding ?? user
        self.password = c.password.map { $0.removingPercentEncoding ?? $0 } ?? environment["PGPASSWORD"]
        let db = String(c.path.drop(while: { $0 == "/" }))
        guard !db.isEmpty else { throw fail("no database name") }
        self.database = db
        tls = .prefer
        rootCertificate = nil
        poolSize = 8
        schema = nil
        connectTimeout = 10
        applicationName = "vigil"
        for item in c.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                switch value {
                case "disable", "allow": tls = .disable
                case "prefer": tls = .prefer
                case "require", "verify-ca": tls = .require
                case "verify-full": tls = .verifyFull
                default: throw fail("sslmode '\(value)' is not one of disable, prefer, require, verify-full")
                }
            case "sslrootcert": rootCertificate = value
            case "pool":
                guard let n = Int(value), (1...200).contains(n) else { throw fail("pool '\(value)' is not a number from 1 to 200") }
                poolSize = n
            case "schema":
                guard !value.isEmpty, value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }), !value.first!.isNumber else {
                    throw fail("schema '\(value)' is not a plain name (letters, digits, _)")
                }
                schema = value.lowercased()
            case "application_name":
                guard !value.isEmpty else { throw fail("application_name is empty") }
                applicationName = value
            case "connect_timeout":
                guard let n = Int(value), (1...600).contains(n) else { throw fail("connect_timeout '\(value)' is not a number of seconds from 1 to 600") }
                connectTimeout = n
            default: throw fail("unknown option '\(item.name)'")
            }
        }
        if rootCertificate != nil && tls != .verifyFull && tls != .disable { tls = .verifyFull }
    }
}

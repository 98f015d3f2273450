#if canImport(Glibc)
import Glibc
#endif
import VigilWire

/// The rows of one statement of a simple query, as text.
public struct PostgresResult: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[String?]]

    public init(columns: [String] = [], rows: [[String?]] = []) {
        self.columns = columns
        self.rows = rows
    }

    /// The value of `column` in `row`, nil when NULL or absent.
    public func value(_ row: [String?], _ column: String) -> String? {
        guard let i = columns.firstIndex(of: column), i < row.count else { return nil }
        return row[i]
    }
}

/// One connection to a PostgreSQL server over TCP or a Unix socket, speaking the simple query protocol. Logs in with
/// trust, cleartext, MD5 or SCRAM-SHA-256. Blocking, every wait bounded by `timeoutMs`; one thread at a time.
public final class PostgresConnection {
    public let target: PostgresTarget
    public let timeoutMs: Int
    private var fd: Int32
    private var reader = PostgresFrameReader()
    /// The read buffer, reused by every read.
    private var chunk = [UInt8](repeating: 0, count: 16_384)
    /// What the server said about itself at login (`server_version`, `server_version_num` is not sent…).
    public private(set) var parameters: [String: String] = [:]

    /// Connects and logs in. The error names the server and what failed; it never holds the password.
    public init(target: PostgresTarget, timeoutMs: Int = 5_000) throws(AgentError) {
        self.target = target
        self.timeoutMs = timeoutMs
        let opened = target.isUnixSocket ? TCPProbe.openUnix(path: target.socketPath, timeoutMs: timeoutMs)
            : TCPProbe.open(host: target.host, port: target.port, timeoutMs: timeoutMs)
        switch opened {
        case .success(let fd): self.fd = fd
        case .failure(let e): throw AgentError("cannot connect to PostgreSQL at \(target.display): \(e.message)")
        }
        do {
            try login()
        } catch {
            close(fd)
            fd = -1
            throw AgentError("PostgreSQL at \(target.display) as \(target.user): \(error.message)")
        }
    }

    deinit {
        if fd >= 0 {
            _ = try? send(PostgresFrontend.terminate)
            close(fd)
        }
    }

    /// Whether the connection is still usable (no I/O error so far).
    public var isOpen: Bool { fd >= 0 }

    /// The server's major version (15 for "15.4 (Debian…)").
    public var serverMajorVersion: Int { Int(parameters["server_version"]?.prefix { $0.isNumber } ?? "") ?? 0 }

    /// Runs `sql` (one or more statements) and returns each statement's rows. A server error throws
    /// ``PostgresServerError`` after the connection is ready again; an I/O error throws ``AgentError`` and closes it.
    public func query(_ sql: String) throws -> [PostgresResult] {
        try start(sql)
        return try results()
    }

    /// Sends `sql` without waiting for its answer (a query that will block, in tests); ``results()`` reads it.
    public func start(_ sql: String) throws(AgentError) {
        guard fd >= 0 else { throw AgentError("the connection to \(target.display) is closed") }
        do { try send(PostgresFrontend.query(sql)) } catch { shutdown(); throw error }
    }

    /// The answer to the query ``start(_:)`` sent, waiting at most `timeoutMs` for each message.
    public func results() throws -> [PostgresResult] {
        do {
            var results: [PostgresResult] = []
            var current: PostgresResult?
            var failure: PostgresServerError?
            while true {
                switch try receive() {
                case .rowDescription(let columns): current = PostgresResult(columns: columns)
                case .dataRow(let values): current?.rows.append(values)
                case .commandComplete, .emptyQuery:
                    results.append(current ?? PostgresResult())
                    current = nil
                case .error(let e): failure = e
                case .readyForQuery:
                    if let failure { throw failure }
                    return results
                default: continue
                }
            }
        } catch let e as AgentError {
            shutdown()
            throw e
        }
    }

    /// Closes the socket (idempotent).
    public func shutdown() {
        if fd >= 0 { close(fd); fd = -1 }
    }

    // MARK: - Login

    private func login() throws(AgentError) {
        try send(PostgresFrontend.startup([("user", target.user), ("database", target.database),
                                           ("application_name", target.applicationName), ("client_encoding", "UTF8")]))
        var scram: SCRAMClient?
        while true {
            switch try receive() {
            case .authentication(let code, let data):
                switch code {
                case 0: continue
                case 3: try send(PostgresFrontend.password(try password(for: "password")))
                case 5:
                    guard data.count >= 4 else { throw AgentError("the server sent a short MD5 salt") }
                    try send(PostgresFrontend.password(MD5.postgresPassword(user: target.user, password: try password(for: "md5"),
                                                                            salt: Array(data.prefix(4)))))
                case 10:
                    let mechanisms = String(decoding: data, as: UTF8.self).split(separator: "\0").map(String.init)
                    guard mechanisms.contains("SCRAM-SHA-256") else {
                        throw AgentError("the server offers only \(mechanisms.joined(separator: ", ")); the agent speaks SCRAM-SHA-256")
                    }
                    let client = SCRAMClient(password: try password(for: "scram-sha-256"))
                    try send(PostgresFrontend.saslInitial(mechanism: "SCRAM-SHA-256", data: Array(client.firstMessage.utf8)))
                    scram = client
                case 11:
                    guard var client = scram else { throw AgentError("the server continued a SASL exchange that was not started") }
                    let final = try client.finalMessage(serverFirst: String(decoding: data, as: UTF8.self))
                    try send(PostgresFrontend.saslResponse(Array(final.utf8)))
                    scram = client
                case 12:
                    guard let client = scram else { throw AgentError("the server ended a SASL exchange that was not started") }
                    try client.verify(serverFinal: String(decoding: data, as: UTF8.self))
                default:
                    throw AgentError("the server asks for authentication method \(code), which the agent does not speak (use scram-sha-256, md5, password or trust)")
                }
            case .parameterStatus(let name, let value): parameters[name] = value
            case .error(let e):
                throw AgentError(e.code == "28P01" ? "password authentication failed" : e.description)
            case .readyForQuery: return
            default: continue
            }
        }
    }

    private func password(for method: String) throws(AgentError) -> String {
        guard let p = target.password else {
            throw AgentError("the server wants a password (\(method)) and none is configured (password_env, password_file or the url)")
        }
        return p
    }

    // MARK: - I/O

    private func send(_ bytes: [UInt8]) throws(AgentError) {
        var offset = 0
        let deadline = WallClock.monotonicNs() + UInt64(timeoutMs) * 1_000_000
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n > 0 { offset += n; continue }
            if n < 0 && (errno == EAGAIN || errno == EINTR) {
                try wait(for: Int16(POLLOUT), until: deadline)
                continue
            }
            throw AgentError("cannot send: \(FileSystem.errorText(errno).lowercased())")
        }
    }

    private func receive() throws(AgentError) -> PostgresBackend {
        let deadline = WallClock.monotonicNs() + UInt64(timeoutMs) * 1_000_000
        while true {
            if let m = try reader.next() { return m }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { reader.append(chunk[0..<n]); continue }
            if n == 0 { throw AgentError("the server closed the connection") }
            if errno == EAGAIN || errno == EINTR {
                try wait(for: Int16(POLLIN), until: deadline)
                continue
            }
            throw AgentError("cannot read: \(FileSystem.errorText(errno).lowercased())")
        }
    }

    private func wait(for events: Int16, until deadline: UInt64) throws(AgentError) {
        while true {
            let now = WallClock.monotonicNs()
            guard now < deadline else { throw AgentError("no answer within \(timeoutMs) ms") }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let n = poll(&p, 1, Int32(min(UInt64(Int32.max), (deadline - now) / 1_000_000 + 1)))
            if n > 0 { return }
            if n < 0 && errno != EINTR { throw AgentError("poll: \(FileSystem.errorText(errno).lowercased())") }
        }
    }
}

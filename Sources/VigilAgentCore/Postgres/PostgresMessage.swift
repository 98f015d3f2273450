/// The PostgreSQL wire protocol (version 3) messages the agent needs: startup, authentication and the simple query
/// protocol. Encoding and decoding only; ``PostgresConnection`` does the I/O.
public enum PostgresFrontend {
    /// The startup message: protocol 3.0 and `key=value` parameters.
    public static func startup(_ parameters: [(String, String)]) -> [UInt8] {
        var body: [UInt8] = []
        append(&body, Int32(196_608))
        for (k, v) in parameters { cString(&body, k); cString(&body, v) }
        body.append(0)
        var out: [UInt8] = []
        append(&out, Int32(body.count + 4))
        return out + body
    }

    /// A cleartext password (`AuthenticationCleartextPassword`) or an MD5 hash (`AuthenticationMD5Password`).
    public static func password(_ text: String) -> [UInt8] {
        var body: [UInt8] = []
        cString(&body, text)
        return message("p", body)
    }

    /// `SASLInitialResponse`.
    public static func saslInitial(mechanism: String, data: [UInt8]) -> [UInt8] {
        var body: [UInt8] = []
        cString(&body, mechanism)
        append(&body, Int32(data.count))
        return message("p", body + data)
    }

    /// `SASLResponse`.
    public static func saslResponse(_ data: [UInt8]) -> [UInt8] { message("p", data) }

    /// A simple query: one or more statements separated by `;`.
    public static func query(_ sql: String) -> [UInt8] {
        var body: [UInt8] = []
        cString(&body, sql)
        return message("Q", body)
    }

    public static let terminate: [UInt8] = message("X", [])

    static func message(_ type: Character, _ body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [type.asciiValue!]
        append(&out, Int32(body.count + 4))
        return out + body
    }

    static func append(_ out: inout [UInt8], _ v: Int32) {
        let u = UInt32(bitPattern: v)
        out += [UInt8(u >> 24), UInt8(u >> 16 & 0xFF), UInt8(u >> 8 & 0xFF), UInt8(u & 0xFF)]
    }

    static func cString(_ out: inout [UInt8], _ s: String) {
        out += s.utf8.filter { $0 != 0 }
        out.append(0)
    }
}

/// An error or notice from the server: its severity, SQLSTATE code and message.
public struct PostgresServerError: Error, Sendable, Equatable, CustomStringConvertible {
    public var severity: String
    public var code: String
    public var message: String
    public var detail: String?

    public var description: String {
        "\(severity) \(code): \(message)" + (detail.map { " (\($0))" } ?? "")
    }
}

/// A message from the server.
public enum PostgresBackend: Sendable, Equatable {
    /// `R`: the authentication code (0 ok, 3 cleartext, 5 MD5, 10 SASL, 11 SASL continue, 12 SASL final) and its data.
    case authentication(code: Int32, data: [UInt8])
    case parameterStatus(name: String, value: String)
    case backendKeyData
    case readyForQuery
    case rowDescription(columns: [String])
    /// Text-format values; nil is SQL NULL.
    case dataRow([String?])
    case commandComplete(tag: String)
    case emptyQuery
    case error(PostgresServerError)
    case notice(PostgresServerError)
    /// A message the agent does not use (notifications, copy…).
    case other(type: UInt8)
}

/// Splits the bytes read from the server into messages.
public struct PostgresFrameReader: Sendable {
    /// The largest message accepted (a monitoring query's rows are small).
    public static let maxMessageBytes = 16 * 1024 * 1024
    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    public mutating func append(_ bytes: some Collection<UInt8>) {
        if start > 0 && start == buffer.count { buffer.removeAll(keepingCapacity: true); start = 0 }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole message, nil when more bytes are needed.
    public mutating func next() throws(AgentError) -> PostgresBackend? {
        guard buffer.count - start >= 5 else { return nil }
        let type = buffer[start]
        let length = Int(Self.int32(buffer, start + 1))
        guard length >= 4, length <= Self.maxMessageBytes else {
            throw AgentError("the server sent a malformed message (type \(Self.typeName(type)), length \(length))")
        }
        guard buffer.count - start >= 1 + length else { return nil }
        let body = Array(buffer[(start + 5)..<(start + 1 + length)])
        start += 1 + length
        if start > 65_536 { buffer.removeFirst(start); start = 0 }
        return try Self.decode(type: type, body: body)
    }

    static func decode(type: UInt8, body: [UInt8]) throws(AgentError) -> PostgresBackend {
        var r = BodyReader(bytes: body, type: type)
        switch type {
        case UInt8(ascii: "R"):
            let code = try r.int32()
            return .authentication(code: code, data: Array(body.dropFirst(4)))
        case UInt8(ascii: "S"):
            return .parameterStatus(name: try r.cString(), value: try r.cString())
        case UInt8(ascii: "K"): return .backendKeyData
        case UInt8(ascii: "Z"): return .readyForQuery
        case UInt8(ascii: "T"):
            let n = Int(try r.int16())
            var columns: [String] = []
            for _ in 0..<max(0, n) {
                columns.append(try r.cString())
                try r.skip(18)   // table oid, column, type oid, size, modifier, format
            }
            return .rowDescription(columns: columns)
        case UInt8(ascii: "D"):
            let n = Int(try r.int16())
            var values: [String?] = []
            for _ in 0..<max(0, n) {
                let len = Int(try r.int32())
                values.append(len < 0 ? nil : String(decoding: try r.bytes(len), as: UTF8.self))
            }
            return .dataRow(values)
        case UInt8(ascii: "C"): return .commandComplete(tag: try r.cString())
        case UInt8(ascii: "I"): return .emptyQuery
        case UInt8(ascii: "E"): return .error(try r.fields())
        case UInt8(ascii: "N"): return .notice(try r.fields())
        default: return .other(type: type)
        }
    }

    static func int32(_ b: [UInt8], _ i: Int) -> Int32 {
        Int32(bitPattern: UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3]))
    }

    static func typeName(_ t: UInt8) -> String {
        (0x20..<0x7F).contains(t) ? "'\(Character(Unicode.Scalar(t)))'" : "0x" + String(t, radix: 16)
    }

    private struct BodyReader {
        let bytes: [UInt8]
        let type: UInt8
        var i = 0

        func short() -> AgentError {
            AgentError("the server sent a truncated \(PostgresFrameReader.typeName(type)) message")
        }
        mutating func int32() throws(AgentError) -> Int32 {
            guard i + 4 <= bytes.count else { throw short() }
            defer { i += 4 }
            return PostgresFrameReader.int32(bytes, i)
        }
        mutating func int16() throws(AgentError) -> Int16 {
            guard i + 2 <= bytes.count else { throw short() }
            defer { i += 2 }
            return Int16(bitPattern: UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]))
        }
        mutating func skip(_ n: Int) throws(AgentError) {
            guard i + n <= bytes.count else { throw short() }
            i += n
        }
        mutating func bytes(_ n: Int) throws(AgentError) -> ArraySlice<UInt8> {
            guard n >= 0, i + n <= bytes.count else { throw short() }
            defer { i += n }
            return bytes[i..<(i + n)]
        }
        mutating func cString() throws(AgentError) -> String {
            guard let end = bytes[i...].firstIndex(of: 0) else { throw short() }
            defer { i = end + 1 }
            return String(decoding: bytes[i..<end], as: UTF8.self)
        }
        /// Error and notice fields: a type byte and a string each, ended by a zero byte.
        mutating func fields() throws(AgentError) -> PostgresServerError {
            var e = PostgresServerError(severity: "ERROR", code: "", message: "")
            while i < bytes.count, bytes[i] != 0 {
                let field = bytes[i]
                i += 1
                let value = try cString()
                switch field {
                case UInt8(ascii: "V"): e.severity = value
                case UInt8(ascii: "S") where e.severity == "ERROR": e.severity = value
                case UInt8(ascii: "C"): e.code = value
                case UInt8(ascii: "M"): e.message = value
                case UInt8(ascii: "D"): e.detail = value
                default: break
                }
            }
            return e
        }
    }
}

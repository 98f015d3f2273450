import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A value bound to a `?` of a statement (`PGSession`). Bools bind as 0/1 (the schema keeps SQLite's integer
/// columns), nil as SQL NULL.
protocol PGValue: Sendable {
    func bind(into bindings: inout PostgresBindings)
}

extension String: PGValue {
    func bind(into b: inout PostgresBindings) { b.append(self) }
}
extension Int: PGValue {
    func bind(into b: inout PostgresBindings) { b.append(Int64(self)) }
}
extension Int64: PGValue {
    func bind(into b: inout PostgresBindings) { b.append(self) }
}
extension Int32: PGValue {
    func bind(into b: inout PostgresBindings) { b.append(Int64(self)) }
}
extension Double: PGValue {
    func bind(into b: inout PostgresBindings) { b.append(self) }
}
extension Bool: PGValue {
    func bind(into b: inout PostgresBindings) { b.append(Int64(self ? 1 : 0)) }
}
extension Data: PGValue {
    func bind(into b: inout PostgresBindings) { b.append(ByteBuffer(bytes: self)) }
}
extension Array: PGValue where Element == UInt8 {
    func bind(into b: inout PostgresBindings) { b.append(ByteBuffer(bytes: self)) }
}
extension Optional: PGValue where Wrapped: PGValue {
    func bind(into b: inout PostgresBindings) {
        switch self {
        case .none: b.appendNull()
        case .some(let v): v.bind(into: &b)
        }
    }
}

/// A type read from a result column. Integers read from any integer or numeric column (`sum()` is numeric in
/// PostgreSQL), doubles from any number, bools from integers (non-zero) or booleans; an Optional reads NULL as nil.
protocol PGColumnValue {
    static func read(_ cell: PostgresCell) throws -> Self
}

extension PGColumnValue {
    static func null(_ cell: PostgresCell) -> StoreError {
        StoreError("postgres: column \(cell.columnName) is NULL where a \(Self.self) was expected")
    }
}

extension Int64: PGColumnValue {
    static func read(_ cell: PostgresCell) throws -> Int64 {
        guard var bytes = cell.bytes else { throw null(cell) }
        switch cell.dataType {
        case .int8, .int4, .int2: return try cell.decode(Int64.self)
        case .numeric, .float8, .float4:
            let d = try Double.read(cell)
            guard let i = Int64(exactly: d.rounded()) else { throw StoreError("postgres: column \(cell.columnName) value \(d) is not an integer") }
            return i
        case .bool: return try cell.decode(Bool.self) ? 1 : 0
        default:
            if cell.format == .text, let s = bytes.readString(length: bytes.readableBytes), let i = Int64(s) { return i }
            return try cell.decode(Int64.self)
        }
    }
}
extension Int: PGColumnValue {
    static func read(_ cell: PostgresCell) throws -> Int { Int(try Int64.read(cell)) }
}
extension Double: PGColumnValue {
    static func read(_ cell: PostgresCell) throws -> Double {
        guard cell.bytes != nil else { throw null(cell) }
        switch cell.dataType {
        case .int8, .int4, .int2: return Double(try cell.decode(Int64.self))
        case .numeric:
            return NSDecimalNumber(decimal: try cell.decode(Decimal.self)).doubleValue
        default: return try cell.decode(Double.self)
        }
    }
}
extension Bool: PGColumnValue {
    static func read(_ cell: PostgresCell) throws -> Bool {
        guard cell.bytes != nil else { throw null(cell) }
        if cell.dataType == .bool { return try cell.decode(Bool.self) }
        return try Int64.read(cell) != 0
    }
}
extension String: PGColumnValue {
    static func read(_ cell: PostgresCell) throws -> String {
        guard cell.bytes != nil else { throw null(cell) }
        return try cell.decode(String.self)
    }
}
extension Data: PGColumnValue {
    static func read(_ cell: PostgresCell) throws -> Data {
        guard var bytes = cell.bytes else { throw null(cell) }
        return bytes.readData(length: bytes.readableBytes) ?? Data()
    }
}
extension Array: PGColumnValue where Element == UInt8 {
    static func read(_ cell: PostgresCell) throws -> [UInt8] {
        guard var bytes = cell.bytes else { throw null(cell) }
        return bytes.readBytes(length: bytes.readableBytes) ?? []
    }
}
extension Optional: PGColumnValue where Wrapped: PGColumnValue {
    static func read(_ cell: PostgresCell) throws -> Wrapped? {
        cell.bytes == nil ? nil : try Wrapped.read(cell)
    }
}

/// One result row, read by column name or position, like GRDB's `Row`: `let n: Int64 = try row["id"]`.
struct PGRow {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    subscript<T: PGColumnValue>(_ column: String) -> T {
        get throws {
            guard row.contains(column) else { throw StoreError("postgres: the result has no column \(column)") }
            return try T.read(row[column])
        }
    }

    subscript<T: PGColumnValue>(_ index: Int) -> T {
        get throws { try T.read(row[index]) }
    }

}

/// A leased connection, inside a transaction for `PostgresStore.write`. Statements use SQLite's `?` placeholders
/// (`?` in order, or `?NNN` by number), rewritten to PostgreSQL's `$n`; values are always bound, never spliced.
struct PGSession {
    let connection: PostgresConnection
    let logger: Logger

    /// Runs a statement; returns the rows it changed (or returned).
    @discardableResult
    func execute(_ sql: String, _ args: [any PGValue] = []) async throws -> Int {
        let result = try await run(sql, args)
        return result.metadata.rows ?? result.rows.count
    }

    func rows(_ sql: String, _ args: [any PGValue] = []) async throws -> [PGRow] {
        try await run(sql, args).rows.map(PGRow.init)
    }

    func row(_ sql: String, _ args: [any PGValue] = []) async throws -> PGRow? {
        try await run(sql, args).rows.first.map(PGRow.init)
    }

    /// The first column of the first row; nil when there is no row or it is NULL.
    func value<T: PGColumnValue>(_ type: T.Type, _ sql: String, _ args: [any PGValue] = []) async throws -> T? {
        guard let r = try await run(sql, args).rows.first else { return nil }
        let optional: T? = try PGRow(r)[0]
        return optional
    }

    /// Runs `body` in a savepoint: rolled back alone when it throws (the transaction goes on).
    func savepoint<T>(_ body: () async throws -> T) async throws -> T {
        try await execute("SAVEPOINT vigil_sp")
        do {
            let value = try await body()
            try await execute("RELEASE SAVEPOINT vigil_sp")
            return value
        } catch {
            try await execute("ROLLBACK TO SAVEPOINT vigil_sp")
            try await execute("RELEASE SAVEPOINT vigil_sp")
            throw error
        }
    }

    private func run(_ sql: String, _ args: [any PGValue]) async throws -> PostgresQueryResult {
        var binds = PostgresBindings(capacity: args.count)
        for a in args { a.bind(into: &binds) }
        let query = PostgresQuery(unsafeSQL: PGPlaceholders.rewrite(sql), binds: binds)
        let future: EventLoopFuture<PostgresQueryResult> = connection.query(query, logger: logger)
        do {
            return try await future.get()
        } catch let e as PSQLError {
            throw StoreError(PGSession.describe(e, sql: sql))
        }
    }

    /// The server's message (and detail) instead of PSQLError's generic text, with the statement's start.
    static func describe(_ e: PSQLError, sql: String?) -> String {
        if let server = e.serverInfo {
            var text = "postgres: " + (server[.message] ?? "error")
            if let detail = server[.detail] { text += " (\(detail))" }
            if let sql { text += " in: " + sql.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ").prefix(160) }
            return text
        }
        let underlying = e.underlying.map { "\($0)" } ?? ""
        for (text, said) in [("Connection refused", "connection refused: is the server running and listening there?"),
                             ("timed out", "the connection timed out: a firewall, or the wrong host?"),
                             ("No address", "the host name does not resolve")] where underlying.contains(text) {
            return "postgres: " + said
        }
        return "postgres: \(e.code.description)" + (underlying.isEmpty ? "" : ": " + underlying)
    }
}

/// Rewrites `?` and `?NNN` placeholders to `$n`, leaving quoted strings, identifiers and comments alone.
enum PGPlaceholders {
    private static let cache = Locked<[String: String]>([:])

    /// Statements built with id lists or many VALUES rows are long and rarely repeat: those are converted, not kept.
    static func rewrite(_ sql: String) -> String {
        guard sql.utf8.count <= 2048 else { return convert(sql) }
        if let known = cache.withLock({ $0[sql] }) { return known }
        let out = convert(sql)
        cache.withLock { c in
            if c.count > 4096 { c.removeAll() }
            c[sql] = out
        }
        return out
    }

    static func convert(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var next = 1
        var chars = Array(sql.unicodeScalars)[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            switch c {
            case "'", "\"":
                out.unicodeScalars.append(c)
                while let d = chars.first {
                    chars = chars.dropFirst()
                    out.unicodeScalars.append(d)
                    if d == c { break }
                }
            case "-" where chars.first == "-":
                out.unicodeScalars.append(c)
                while let d = chars.first, d != "\n" {
                    chars = chars.dropFirst()
                    out.unicodeScalars.append(d)
                }
            case "?":
                var digits = ""
                while let d = chars.first, d.properties.numericType != nil, ("0"..."9").contains(d) {
                    digits.unicodeScalars.append(d)
                    chars = chars.dropFirst()
                }
                if digits.isEmpty {
                    out += "$\(next)"
                    next += 1
                } else {
                    out += "$" + digits
                    next = max(next, (Int(digits) ?? 0) + 1)
                }
            default:
                out.unicodeScalars.append(c)
            }
        }
        return out
    }
}

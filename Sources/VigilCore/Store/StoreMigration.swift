import Foundation
import GRDB

/// `vigil db migrate-to postgres://…`: copies every table of a SQLite store into an empty PostgreSQL store, then
/// checks the copy: the same row count in every table, the same first, middle and last rows, and an intact audit
/// chain.
public enum StoreMigration {
    /// A table and the columns that order it (its key), in an order that satisfies the foreign keys.
    struct Table {
        var name: String
        var key: [String]
    }

    static let tables: [Table] = [
        Table(name: "hosts", key: ["id"]), Table(name: "series", key: ["id"]), Table(name: "sample_segments", key: ["id"]),
        Table(name: "sample_chunks", key: ["series_id", "start_ts"]),
        Table(name: "sample_rollups", key: ["series_id", "step", "start_ts"]), Table(name: "log_templates", key: ["id"]),
        Table(name: "logs", key: ["id"]), Table(name: "check_results", key: ["id"]), Table(name: "agent_tokens", key: ["id"]),
        Table(name: "engine_lease", key: ["id"]), Table(name: "users", key: ["name"]), Table(name: "audit_log", key: ["id"]),
        Table(name: "alerts", key: ["fingerprint"]), Table(name: "alert_events", key: ["id"]), Table(name: "silences", key: ["id"]),
        Table(name: "remediation_runs", key: ["id"]), Table(name: "remediation_events", key: ["run_id", "seq"]),
        Table(name: "ai_calls", key: ["id"]), Table(name: "incidents", key: ["id"]), Table(name: "chat_messages", key: ["conversation", "seq"]),
        Table(name: "reports", key: ["id"]), Table(name: "topology_edges", key: ["id"]), Table(name: "settings", key: ["key"]),
        Table(name: "ingest_batches", key: ["host", "batch"]), Table(name: "notification_outbox", key: ["id"]),
        Table(name: "notification_attempts", key: ["id"]), Table(name: "notification_groups", key: ["key"]),
    ]

    /// Tables with an identity column whose sequence must continue after the copied ids.
    static let identities = ["hosts", "series", "log_templates", "logs", "check_results", "alert_events", "ai_calls", "reports",
                             "topology_edges", "notification_outbox", "notification_attempts"]

    public struct Report: Sendable {
        public var rows: [(table: String, count: Int)]
        public var spotChecks: Int
    }

    /// Copies `source` into `target` (which must hold no data yet); `progress` is told of each table as it is done.
    public static func copy(from source: SQLiteStore, to target: PostgresStore,
                            progress: @Sendable (String, Int) -> Void = { _, _ in }) async throws -> Report {
        let existing = try await target.read { s in
            try await s.value(Int.self, "SELECT (SELECT count(*) FROM hosts) + (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM alerts)") ?? 0
        }
        guard existing == 0 else {
            throw StoreError("\(target.url.shown) already holds data; migrate into an empty database (or a new ?schema=NAME)")
        }
        var counts: [(String, Int)] = []
        for table in tables {
            let n = try await copyTable(table, from: source, to: target)
            counts.append((table.name, n))
            progress(table.name, n)
        }
        try await target.write { s in
            for t in identities {
                try await s.execute("SELECT setval(pg_get_serial_sequence('\(t)', 'id'), coalesce((SELECT max(id) FROM \(t)), 0) + 1, false)")
            }
        }
        let checks = try await verify(from: source, to: target)
        return Report(rows: counts, spotChecks: checks)
    }

    /// Columns of a SQLite table that PostgreSQL has too (all of them: the schemas match).
    private static func columns(_ table: String, _ source: SQLiteStore) async throws -> [String] {
        try await source.pool.read { db in try db.columns(in: table).map(\.name) }
    }

    /// The key's ORDER BY for PostgreSQL: text in byte order, as SQLite sorts it.
    private static func pgOrder(_ table: Table, _ source: SQLiteStore) async throws -> String {
        let types = try await source.pool.read { db in
            Dictionary(try db.columns(in: table.name).map { ($0.name, $0.type.uppercased()) }, uniquingKeysWith: { a, _ in a })
        }
        return table.key.map { types[$0]?.contains("TEXT") == true ? "\($0) COLLATE \"C\"" : $0 }.joined(separator: ", ")
    }

    private static func copyTable(_ table: Table, from source: SQLiteStore, to target: PostgresStore) async throws -> Int {
        let cols = try await columns(table.name, source)
        let keyIndexes = table.key.map { k in cols.firstIndex(of: k)! }
        let perBatch = max(1, min(1000, 30_000 / cols.count))
        let list = cols.map { "\"\($0)\"" }.joined(separator: ", ")
        var cursor: [DatabaseValue]? = nil
        var total = 0
        while true {
            let after = cursor
            let rows: [[DatabaseValue]] = try await source.pool.read { db in
                var sql = "SELECT \(list) FROM \(table.name)"
                var args: [DatabaseValue] = []
                if let after {
                    sql += " WHERE (\(table.key.joined(separator: ", "))) > (\(table.key.map { _ in "?" }.joined(separator: ", ")))"
                    args = after
                }
                sql += " ORDER BY \(table.key.joined(separator: ", ")) LIMIT \(perBatch)"
                return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { r in cols.indices.map { r[$0] as DatabaseValue } }
            }
            guard !rows.isEmpty else { break }
            let values = rows.map { r in "(" + r.map { _ in "?" }.joined(separator: ", ") + ")" }.joined(separator: ", ")
            var args: [any PGValue] = []
            args.reserveCapacity(rows.count * cols.count)
            for r in rows { for v in r { args.append(pgValue(v)) } }
            try await target.write { s in
                try await s.execute("INSERT INTO \(table.name) (\(list)) VALUES \(values)", args)
            }
            total += rows.count
            cursor = keyIndexes.map { rows[rows.count - 1][$0] }
        }
        return total
    }

    static func pgValue(_ v: DatabaseValue) -> any PGValue {
        switch v.storage {
        case .null: return String?.none
        case .int64(let i): return i
        case .double(let d): return d
        case .string(let s): return s
        case .blob(let d): return d
        }
    }

    /// Counts of every table, and the first, middle and last rows of each compared value by value.
    static func verify(from source: SQLiteStore, to target: PostgresStore) async throws -> Int {
        var checks = 0
        for table in tables {
            let cols = try await columns(table.name, source)
            let order = table.key.joined(separator: ", ")
            let pgOrder = try await pgOrder(table, source)
            let n = try await source.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.name)") ?? 0 }
            let m = try await target.read { s in try await s.value(Int.self, "SELECT count(*) FROM \(table.name)") ?? 0 }
            guard n == m else { throw StoreError("check failed: \(table.name) has \(n) rows in SQLite but \(m) in PostgreSQL") }
            for offset in Set([0, n / 2, n - 1]) where offset >= 0 && n > 0 {
                let want: [String] = try await source.pool.read { db in
                    guard let r = try Row.fetchOne(db, sql: "SELECT * FROM \(table.name) ORDER BY \(order) LIMIT 1 OFFSET \(offset)") else { return [] }
                    return cols.map { text(r[$0] as DatabaseValue) }
                }
                let got: [String] = try await target.read { s in
                    guard let r = try await s.row("SELECT * FROM \(table.name) ORDER BY \(pgOrder) LIMIT 1 OFFSET \(offset)") else { return [] }
                    var out: [String] = []
                    for c in cols { out.append(try pgText(r, c)) }
                    return out
                }
                guard want == got else {
                    throw StoreError("check failed: row \(offset) of \(table.name) differs after the copy (SQLite \(want.prefix(4)), PostgreSQL \(got.prefix(4)))")
                }
                checks += 1
            }
        }
        guard try await target.verifyAudit().isIntact else { throw StoreError("check failed: the copied audit chain does not verify") }
        return checks
    }

    private static func text(_ v: DatabaseValue) -> String {
        switch v.storage {
        case .null: "NULL"
        case .int64(let i): "\(i)"
        case .double(let d): "\(d)"
        case .string(let s): s
        case .blob(let d): d.base64EncodedString()
        }
    }

    private static func pgText(_ r: PGRow, _ column: String) throws -> String {
        let cell = r.row[column]
        guard cell.bytes != nil else { return "NULL" }
        switch cell.dataType {
        case .int8, .int4, .int2: return "\(try r[column] as Int64)"
        case .float8, .float4: return "\(try r[column] as Double)"
        case .bytea: return (try r[column] as Data).base64EncodedString()
        default: return try r[column] as String
        }
    }
}

extension SQLiteStore {
    /// A consistent copy of the store made while it is in use (SQLite's online backup), written to `path` (which
    /// must not exist) with the owner-only mode of a new store.
    public func backup(to path: String) async throws {
        guard !FileManager.default.fileExists(atPath: path) else { throw StoreError("\(path) exists; choose a new file for the backup") }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError("cannot create \(path): \(String(cString: strerror(errno)))") }
        close(fd)
        do {
            let target = try DatabaseQueue(path: path)
            try pool.backup(to: target)
            try target.close()
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw StoreError("backup to \(path) failed: \(error)")
        }
    }
}

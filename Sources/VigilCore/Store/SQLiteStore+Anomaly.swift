import Foundation
import GRDB
import VigilWire

extension SQLiteStore {
    public func seriesKeys(metrics: Set<String>) async throws -> [SeriesKey] {
        guard !metrics.isEmpty else { return [] }
        let names = metrics.sorted()
        return try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT h.name AS host, s.name, s.labels FROM series s JOIN hosts h ON h.id = s.host_id
                WHERE s.name IN (\(names.map { _ in "?" }.joined(separator: ","))) ORDER BY s.id
                """, arguments: StatementArguments(names)).map {
                SeriesKey(host: $0["host"], name: $0["name"], labels: LabelsCodec.decode($0["labels"]))
            }
        }
    }

    public func points(_ keys: [SeriesKey], from: Int64, to: Int64) async throws -> [SeriesKey: [SeriesPoint]] {
        guard !keys.isEmpty else { return [:] }
        return try await pool.read { db in
            let lookup = try db.cachedStatement(sql: """
                SELECT s.id FROM series s JOIN hosts h ON h.id = s.host_id WHERE h.name = ? AND s.name = ? AND s.labels = ?
                """)
            var byID: [Int64: SeriesKey] = [:]
            for key in keys {
                if let id = try Int64.fetchOne(lookup, arguments: [key.host, key.name, key.labels.isEmpty ? "{}" : LabelsCodec.encode(key.labels)]) {
                    byID[id] = key
                }
            }
            var out: [SeriesKey: [SeriesPoint]] = [:]
            for (id, pts) in try SQLiteCompactor.readPoints(db: db, ids: Set(byID.keys), from: from, to: to) where !pts.isEmpty {
                if let key = byID[id] { out[key] = pts }
            }
            return out
        }
    }
}

import Foundation
import GRDB
import VigilWire

extension SQLiteStore {
    public func seriesKeys(metrics: Set<String>) async throws -> [SeriesKey] {
        guard !metrics.isEmpty else { return [] }
        return try await pool.read { db in
            try Self.seriesKeys(db, metrics: metrics).sorted { $0.key < $1.key }.map(\.value)
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

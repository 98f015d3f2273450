import Foundation
import GRDB
import VigilWire

extension SQLiteStore {
    public func seriesKeys(metrics: Set<String>) async throws -> [SeriesKey] {
        guard !metrics.isEmpty else { return [] }
        return try await pool.read { db in
            try self.seriesKeys(db, metrics: metrics).sorted { $0.key < $1.key }.map(\.value)
        }
    }

    public func seriesCount(metrics: Set<String>) async throws -> Int {
        guard !metrics.isEmpty else { return 0 }
        let names = metrics.sorted()
        return try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM series WHERE name IN (\(names.map { _ in "?" }.joined(separator: ",")))",
                             arguments: StatementArguments(names)) ?? 0
        }
    }
}

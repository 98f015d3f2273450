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
}

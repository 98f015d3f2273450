import Foundation

extension PostgresStore {
    public func seriesKeys(metrics: Set<String>) async throws -> [SeriesKey] {
        guard !metrics.isEmpty else { return [] }
        return try await read { s in
            try await Self.seriesKeys(s, metrics: metrics).sorted { $0.key < $1.key }.map(\.value)
        }
    }

    public func points(_ keys: [SeriesKey], from: Int64, to: Int64) async throws -> [SeriesKey: [SeriesPoint]] {
        guard !keys.isEmpty else { return [:] }
        return try await read { s in
            var byID: [Int64: SeriesKey] = [:]
            for key in keys {
                if let id = try await s.value(Int64.self, """
                    SELECT s.id FROM series s JOIN hosts h ON h.id = s.host_id WHERE h.name = ? AND s.name = ? AND s.labels = ?
                    """, [key.host, key.name, key.labels.isEmpty ? "{}" : LabelsCodec.encode(key.labels)]) {
                    byID[id] = key
                }
            }
            var out: [SeriesKey: [SeriesPoint]] = [:]
            for (id, pts) in try await PostgresCompactor.readPoints(s, ids: Set(byID.keys), from: from, to: to) where !pts.isEmpty {
                if let key = byID[id] { out[key] = pts }
            }
            return out
        }
    }
}

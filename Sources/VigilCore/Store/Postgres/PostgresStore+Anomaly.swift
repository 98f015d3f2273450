import Foundation

extension PostgresStore {
    public func seriesKeys(metrics: Set<String>) async throws -> [SeriesKey] {
        guard !metrics.isEmpty else { return [] }
        return try await read { s in
            try await self.seriesKeys(s, metrics: metrics).sorted { $0.key < $1.key }.map(\.value)
        }
    }

    public func seriesCount(metrics: Set<String>) async throws -> Int {
        guard !metrics.isEmpty else { return 0 }
        let names = metrics.sorted()
        return try await read { s in
            try await s.value(Int.self, "SELECT count(*) FROM series WHERE name IN (\(names.map { _ in "?" }.joined(separator: ",")))", names) ?? 0
        }
    }
}

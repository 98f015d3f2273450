import Foundation

extension PostgresStore {
    public func seriesKeys(metrics: Set<String>) async throws -> [SeriesKey] {
        guard !metrics.isEmpty else { return [] }
        return try await read { s in
            try await Self.seriesKeys(s, metrics: metrics).sorted { $0.key < $1.key }.map(\.value)
        }
    }
}

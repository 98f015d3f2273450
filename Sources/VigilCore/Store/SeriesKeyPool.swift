/// Makes the series keys a store reads share their strings and label sets: one copy of `{"cpu":"3","mode":"idle"}`
/// for every host that has that series, not one per host. The head, the anomaly scanner and the store's id → key cache
/// hold a key per series; at 100,000 series the labels decoded per key were about 16 MB of the engine's peak, and
/// nearly all of them repeat from host to host.
///
/// Bounded: past `limit` distinct entries it starts again (the keys made before keep their storage).
final class SeriesKeyPool: Sendable {
    private struct Tables {
        var strings: [String: String] = [:]
        var labels: [String: [String: String]] = [:]
    }

    static let limit = 200_000
    private let tables = Locked(Tables())

    /// Names, hosts and label sets held.
    var entries: Int { tables.withLock { $0.strings.count + $0.labels.count } }

    /// The key of a series row: `labelsText` as the store keeps it (`LabelsCodec`).
    func key(host: String, name: String, labelsText: String) -> SeriesKey {
        tables.withLock { t in
            if t.strings.count + t.labels.count > Self.limit { t = Tables() }
            return SeriesKey(host: Self.shared(host, in: &t.strings), name: Self.shared(name, in: &t.strings),
                             labels: Self.shared(labels: labelsText, in: &t.labels))
        }
    }

    private static func shared(_ s: String, in table: inout [String: String]) -> String {
        if let known = table[s] { return known }
        table[s] = s
        return s
    }

    private static func shared(labels text: String, in table: inout [String: [String: String]]) -> [String: String] {
        if let known = table[text] { return known }
        let decoded = LabelsCodec.decode(text)
        table[text] = decoded
        return decoded
    }
}

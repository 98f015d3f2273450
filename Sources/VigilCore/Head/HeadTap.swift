/// The samples the head's feeder hands to a reader other than the head: the anomaly scanner's series, as each
/// committed segment is read, so the scanner need not read them back from the store.
///
/// The reader names the metrics and the series it wants (`want`); the feeder then keeps their samples here, grouped
/// by series, until the reader `drain`s them. Samples of series not wanted when their segment was read are not
/// kept: the reader reads those from the store when it takes the series on, after saying it wants them (so every
/// segment committed after that read reaches the tap). When the feeder skips segments (the head was rebuilt from a
/// snapshot), `gap` says so and the reader reads its series' recent points from the store once.
///
/// A plain value, held under the feeder's lock; series are found by their slot in the feeder's `HeadKeyTable`, so a
/// read does not hash a key per series.
struct HeadTap: Sendable {
    /// The metrics whose series may be wanted.
    private(set) var metrics: Set<String> = []
    /// The series wanted.
    private(set) var series: Set<SeriesKey> = []
    /// Raised whenever `series` or `metrics` change (the key table takes the series again).
    private(set) var version = 0
    /// Segments were skipped since the last drain: wanted samples may be missing.
    private(set) var gap = false
    /// The samples kept since the last drain, per series (a series may have two entries after the key table was
    /// replaced; `drain` joins them).
    private var entries: [(key: SeriesKey, points: [SeriesPoint])] = []
    /// Key table slot → index in `entries`, or -1.
    private var entryOf: [Int32] = []
    private(set) var pointCount = 0

    /// Wants the samples of `series` (of `metrics`) from the next segment read on. Returns whether anything changed.
    @discardableResult
    mutating func want(metrics: Set<String>, series: Set<SeriesKey>) -> Bool {
        guard metrics != self.metrics || series != self.series else { return false }
        self.metrics = metrics
        self.series = series
        version += 1
        return true
    }

    /// Keeps a run of one wanted series' samples (`slot` is its place in the current key table).
    mutating func add(slot: Int32, key: SeriesKey, points: ArraySlice<SeriesPoint>) {
        let s = Int(slot)
        if s >= entryOf.count { entryOf.append(contentsOf: repeatElement(-1, count: s + 1 - entryOf.count)) }
        if entryOf[s] < 0 {
            entryOf[s] = Int32(entries.count)
            entries.append((key, []))
        }
        entries[Int(entryOf[s])].points.append(contentsOf: points)
        pointCount += points.count
    }

    /// The key table was replaced: its slots mean other series from now on.
    mutating func slotsChanged() {
        entryOf = []
    }

    /// Segments were skipped: some wanted samples never reached the tap.
    mutating func skipped() {
        gap = true
    }

    /// The samples kept since the last drain, per series in commit order, and whether segments were skipped; empties
    /// the tap.
    mutating func drain() -> (points: [SeriesKey: [SeriesPoint]], gap: Bool) {
        var out: [SeriesKey: [SeriesPoint]] = [:]
        out.reserveCapacity(entries.count)
        for e in entries { out[e.key, default: []] += e.points }
        let result = (out, gap)
        entries = []
        entryOf = []
        pointCount = 0
        gap = false
        return result
    }
}

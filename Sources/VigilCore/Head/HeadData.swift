/// What the head is rebuilt from: recent points of some metrics and where the store's segment log stood then.
public struct HeadSnapshot: Sendable {
    /// The newest committed segment the snapshot includes; feeding resumes after it.
    public var cursor: Int64
    public var points: [SeriesKey: [SeriesPoint]]
    /// The newest sample time of each series of the metrics, older than the window included.
    public var lastSeen: [SeriesKey: Int64]

    public init(cursor: Int64, points: [SeriesKey: [SeriesPoint]], lastSeen: [SeriesKey: Int64]) {
        self.cursor = cursor
        self.points = points
        self.lastSeen = lastSeen
    }
}

/// Samples of the segments committed after a cursor, in commit order.
public struct HeadSegments: Sendable {
    public struct Sample: Sendable {
        public var key: SeriesKey
        public var ts: Int64
        public var value: Double
    }

    /// The last segment read; pass it back for the next ones.
    public var cursor: Int64
    public var samples: [Sample]
    /// Whether more segments are waiting (the read stopped at its limit).
    public var more: Bool
    /// Segments after the cursor are gone (compacted before they were read, or the log restarted): rebuild.
    public var gap: Bool

    public init(cursor: Int64, samples: [Sample], more: Bool, gap: Bool) {
        self.cursor = cursor
        self.samples = samples
        self.more = more
        self.gap = gap
    }
}

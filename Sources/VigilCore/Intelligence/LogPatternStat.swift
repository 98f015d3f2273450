import VigilWire

/// One log template's lines within a time range (`Store.topLogPatterns`).
public struct LogPatternStat: Sendable, Equatable, Identifiable {
    /// The stored template id (`logs.template_id`).
    public var id: Int64
    /// The template, variable parts as `<*>`.
    public var template: String
    /// Lines in the range.
    public var count: Int
    /// Lines in each of `trend.count` equal slices of the range, oldest first.
    public var trend: [Int]
    /// Lines in the equally long range just before (for "more than before" comparisons).
    public var previousCount: Int
    /// The highest level among the lines in the range.
    public var level: LogLevel
    /// The highest level the template ever had.
    public var maxLevel: LogLevel
    /// When its first line was (any host, line time, Unix ms).
    public var firstSeen: Int64
    /// Its newest line in the range.
    public var lastSeen: Int64

    public init(id: Int64, template: String, count: Int, trend: [Int], previousCount: Int, level: LogLevel, maxLevel: LogLevel,
                firstSeen: Int64, lastSeen: Int64) {
        self.id = id
        self.template = template
        self.count = count
        self.trend = trend
        self.previousCount = previousCount
        self.level = level
        self.maxLevel = maxLevel
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
    }
}

/// A template first seen recently, and one host's lines of it (`Store.newLogPatterns`, the `new_log_pattern` rule).
public struct NewLogPattern: Sendable, Equatable {
    public var host: String
    public var templateID: Int64
    public var template: String
    /// When the template's first line was (any host).
    public var firstSeen: Int64
    /// This host's lines of the template at or above the asked level.
    public var count: Int
    /// The highest level among those lines.
    public var level: LogLevel

    public init(host: String, templateID: Int64, template: String, firstSeen: Int64, count: Int, level: LogLevel) {
        self.host = host
        self.templateID = templateID
        self.template = template
        self.firstSeen = firstSeen
        self.count = count
        self.level = level
    }
}

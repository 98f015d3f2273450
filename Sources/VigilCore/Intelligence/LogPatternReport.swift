/// Mining a whole log and writing the `LineId,EventId,EventTemplate` CSV (the Loghub prediction layout),
/// shared by `vigil logs patterns`, the benchmark runner and the tests.
public struct LogPatternReport: Sendable {
    /// The template id of each line (resolved, so lines of merged templates share one id), in line order.
    public private(set) var lineTemplates: [Int32] = []
    /// Lines whose layout did not match the format (mined whole).
    public private(set) var unmatchedLines = 0
    public private(set) var miner: LogTemplateMiner
    public let format: LogFormat?

    /// `format` nil: every line is a message.
    public init(format: LogFormat?, miner: LogTemplateMiner = LogTemplateMiner()) {
        self.format = format
        self.miner = miner
    }

    /// Mines one line (without its line terminator; a trailing `\r` is dropped). A line the format does not
    /// match is mined whole, and counted in `unmatchedLines`.
    public mutating func add(line: Substring) {
        if let done = line.utf8.withContiguousStorageIfAvailable({ add(lineBytes: $0) }) { _ = done; return }
        var copy = String(line)
        copy.withUTF8 { add(lineBytes: $0) }
    }

    /// Mines one line given as UTF-8 bytes (no line terminator; a trailing `\r` is dropped).
    public mutating func add(lineBytes b: UnsafeBufferPointer<UInt8>) {
        var lo = 0
        var hi = b.count
        if hi > 0, b[hi - 1] == 0x0D { hi -= 1 }
        var range = lo..<hi
        if let format {
            // Like logpai: surrounding whitespace is trimmed before matching.
            while lo < hi, LogFormat.isSpace(b[lo]) { lo += 1 }
            while hi > lo, LogFormat.isSpace(b[hi - 1]) { hi -= 1 }
            let trimmed = UnsafeBufferPointer(rebasing: b[lo..<hi])
            if let r = format.contentRange(trimmed) {
                range = (r.lowerBound + lo)..<(r.upperBound + lo)
            } else {
                unmatchedLines += 1
            }
        }
        lineTemplates.append(Int32(miner.add(bytes: b, range)))
    }

    /// Mines every line of `text` (split on `\n`; a final empty line after a trailing newline is ignored).
    public mutating func add(text: String) {
        var rest = Substring(text)
        while !rest.isEmpty {
            if let nl = rest.utf8.firstIndex(of: 0x0A) {
                add(line: rest[..<nl])
                rest = rest[rest.utf8.index(after: nl)...]
            } else {
                add(line: rest)
                break
            }
        }
    }

    /// Final event id of line `index` (0-based): `E` followed by the resolved template id plus one.
    public func eventID(line index: Int) -> String { "E\(miner.resolve(Int(lineTemplates[index])) + 1)" }

    /// Writes the CSV (header `LineId,EventId,EventTemplate`, one row per line, LineId from 1) in chunks of
    /// about 64 KiB to `write`.
    public func writeCSV(_ write: (String) throws -> Void) rethrows {
        var cache: [Int32: String] = [:]
        var chunk = LogTemplateCSV.header + "\n"
        chunk.reserveCapacity(1 << 17)
        for (i, raw) in lineTemplates.enumerated() {
            let id = Int32(miner.resolve(Int(raw)))
            let tail: String
            if let t = cache[id] {
                tail = t
            } else {
                tail = ",E\(id + 1)," + LogTemplateCSV.field(miner.template(Int(id))) + "\n"
                cache[id] = tail
            }
            chunk += String(i + 1)
            chunk += tail
            if chunk.utf8.count >= 1 << 16 {
                try write(chunk)
                chunk = ""
                chunk.reserveCapacity(1 << 17)
            }
        }
        if !chunk.isEmpty { try write(chunk) }
    }

    /// The whole CSV as one string.
    public func csv() -> String {
        var out = ""
        writeCSV { out += $0 }
        return out
    }
}

/// CSV quoting as RFC 4180 and Python's `csv` module read it.
public enum LogTemplateCSV {
    public static let header = "LineId,EventId,EventTemplate"

    /// `value` as one CSV field: quoted (with `"` doubled) when it contains a comma, a quote, a line break,
    /// or leading/trailing spaces; as is otherwise.
    public static func field(_ value: String) -> String {
        var needs = false
        for c in value.utf8 where c == UInt8(ascii: ",") || c == UInt8(ascii: "\"") || c == 0x0A || c == 0x0D {
            needs = true
            break
        }
        if !needs, let f = value.utf8.first, let l = value.utf8.last, f == 0x20 || l == 0x20 { needs = true }
        guard needs else { return value }
        var out = "\""
        for ch in value.unicodeScalars {
            if ch == "\"" { out += "\"\"" } else { out.unicodeScalars.append(ch) }
        }
        return out + "\""
    }

    /// One CSV record (no line terminator).
    public static func row(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",")
    }
}

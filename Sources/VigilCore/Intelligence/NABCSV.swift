/// The Numenta Anomaly Benchmark CSV format: input `timestamp,value` with `YYYY-MM-DD HH:MM:SS` timestamps
/// (UTC, no zone), output `timestamp,value,anomaly_score` with the timestamp and value text echoed exactly.
public enum NABCSV {
    /// One input row: the original text of both fields, and their parsed forms.
    public struct Row: Sendable, Equatable {
        public var timestamp: String
        public var value: String
        /// Unix milliseconds (the timestamp read as UTC).
        public var timestampMs: Int64
        /// The value as a number; `nan`, `inf` and the like parse as such (the detector scores them 0).
        public var number: Double

        public init(timestamp: String, value: String, timestampMs: Int64, number: Double) {
            self.timestamp = timestamp
            self.value = value
            self.timestampMs = timestampMs
            self.number = number
        }
    }

    /// A bad input: 1-based line and column, and what is wrong.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var column: Int
        public var message: String

        public init(line: Int, column: Int, message: String) {
            self.line = line
            self.column = column
            self.message = message
        }

        /// `line 7, column 21: value "abc" is not a number`.
        public var description: String { "line \(line), column \(column): \(message)" }
    }

    public static let inputHeader = "timestamp,value"
    public static let outputHeader = "timestamp,value,anomaly_score"

    /// Parses a whole file. Accepts LF or CRLF line endings, an optional UTF-8 byte-order mark and blank lines
    /// at the end; rejects anything else that is not `timestamp,value` rows, naming the first bad line and
    /// column. Spaces around the value are tolerated (and echoed); the timestamp must be exact.
    public static func parse(_ text: String) throws(ParseError) -> [Row] {
        // Split on the LF byte: "\r\n" is a single Character in Swift, so Character-based splitting would miss it.
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { bytes in
            var line = Substring(bytes)
            if line.utf8.last == UInt8(ascii: "\r") { line = Substring(line.utf8.dropLast()) }
            return line
        }
        while let last = lines.last, last.allSatisfy({ $0 == " " }) { lines.removeLast() }
        guard !lines.isEmpty else { throw ParseError(line: 1, column: 1, message: "empty file: expected the header '\(inputHeader)'") }
        var header = lines[0]
        if header.hasPrefix("\u{FEFF}") { header = header.dropFirst() }
        guard header == inputHeader else {
            throw ParseError(line: 1, column: 1, message: "expected the header '\(inputHeader)', found '\(snippet(header))'")
        }
        var rows: [Row] = []
        rows.reserveCapacity(lines.count - 1)
        for (offset, line) in lines.enumerated().dropFirst() {
            let lineNumber = offset + 1
            if line.isEmpty { throw ParseError(line: lineNumber, column: 1, message: "empty line: expected 'timestamp,value'") }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == 2 else {
                let column = fields.count < 2 ? line.count + 1 : fields[0].count + fields[1].count + 3
                let what = fields.count < 2 ? "missing ',value'" : "extra field after the value"
                throw ParseError(line: lineNumber, column: column, message: "\(what): expected 'timestamp,value'")
            }
            let tsText = fields[0]
            let valueText = fields[1]
            guard let ms = timestampMs(tsText) else {
                throw ParseError(line: lineNumber, column: 1,
                                 message: "timestamp '\(snippet(tsText))' is not 'YYYY-MM-DD HH:MM:SS'")
            }
            let trimmed = valueText.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed()
            guard !trimmed.isEmpty, let number = Double(String(trimmed)) else {
                throw ParseError(line: lineNumber, column: tsText.count + 2, message: "value '\(snippet(valueText))' is not a number")
            }
            rows.append(Row(timestamp: String(tsText), value: String(valueText), timestampMs: ms, number: number))
        }
        return rows
    }

    /// Unix milliseconds for exactly `YYYY-MM-DD HH:MM:SS` (UTC), nil for anything else (including dates that
    /// don't exist, like 2014-02-30).
    public static func timestampMs(_ text: Substring) -> Int64? {
        let u = Array(text.utf8)
        guard u.count == 19, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"), u[10] == UInt8(ascii: " "),
              u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":") else { return nil }
        func number(_ from: Int, _ length: Int) -> Int? {
            var n = 0
            for i in from..<(from + length) {
                let d = Int(u[i]) - 48
                guard d >= 0, d <= 9 else { return nil }
                n = n * 10 + d
            }
            return n
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 60 else { return nil }
        let days = CivilDate.daysFromEpoch(year: year, month: month, day: day)
        return Int64(((days * 24 + hour) * 60 + minute) * 60 + second) * 1000
    }

    /// The output file: header, then one `timestamp,value,anomaly_score` line per row (LF endings, final LF).
    /// Scores are written in Swift's shortest round-trip form, so they read back bit for bit.
    public static func render(rows: [Row], scores: [Double]) -> String {
        precondition(rows.count == scores.count, "one score per row")
        var out = outputHeader + "\n"
        out.reserveCapacity(rows.count * 48)
        for (row, score) in zip(rows, scores) {
            out += row.timestamp
            out += ","
            out += row.value
            out += ","
            // The detector's scores are single-precision values: written as the shortest text that reads back as them
            // (as a `Float`; as a double it is within 1e-7 of them).
            let single = Float(score)
            out += Double(single) == score ? "\(single)" : "\(score)"
            out += "\n"
        }
        return out
    }

    /// At most 40 characters of `text`, for error messages.
    private static func snippet(_ text: Substring) -> String {
        text.count <= 40 ? String(text) : String(text.prefix(40)) + "…"
    }
}

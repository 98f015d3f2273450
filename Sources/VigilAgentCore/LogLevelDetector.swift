import VigilWire

/// Guesses the severity of a log line from its words.
///
/// The first level keyword found as a whole word (case-insensitive) wins: ERROR/ERR → error;
/// FATAL/CRIT/CRITICAL/PANIC/EMERG/ALERT → critical; WARN/WARNING → warning; NOTICE; INFO; DEBUG; TRACE.
/// A syslog priority prefix (`<3>`) decides first when present. Lines without a keyword are `info`.
public enum LogLevelDetector {
    /// Only the beginning of a line is searched; levels sit near the start in every common format.
    public static let scanLimit = 256

    /// The detected level of `line`.
    public static func detect(_ line: String) -> LogLevel {
        detect(Array(line.utf8.prefix(scanLimit))[...])
    }

    /// The detected level of the UTF-8 bytes of a line.
    public static func detect(_ bytes: ArraySlice<UInt8>) -> LogLevel {
        let b = bytes.prefix(scanLimit)
        if let p = syslogPriority(b) { return p }
        var word: [UInt8] = []
        var i = b.startIndex
        while i <= b.endIndex {
            let c: UInt8 = i < b.endIndex ? b[i] : 0
            let isLetter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
            if isLetter {
                if word.count < 9 { word.append(c | 0x20) } else { word.append(0) }
            } else if !word.isEmpty {
                if let level = keyword(word) { return level }
                word.removeAll(keepingCapacity: true)
            }
            i += 1
        }
        return .info
    }

    private static func keyword(_ w: [UInt8]) -> LogLevel? {
        switch String(decoding: w, as: UTF8.self) {
        case "error", "err": .error
        case "fatal", "crit", "critical", "panic", "emerg", "alert": .critical
        case "warn", "warning": .warning
        case "notice": .notice
        case "info": .info
        case "debug": .debug
        case "trace": .trace
        default: nil
        }
    }

    /// `<N>` at the very start: N mod 8 is the syslog severity.
    private static func syslogPriority(_ b: ArraySlice<UInt8>) -> LogLevel? {
        guard b.first == UInt8(ascii: "<") else { return nil }
        var n = 0
        var digits = 0
        for c in b.dropFirst() {
            if c == UInt8(ascii: ">") {
                guard digits > 0 else { return nil }
                switch n % 8 {
                case 0, 1, 2: return .critical
                case 3: return .error
                case 4: return .warning
                case 5: return .notice
                case 6: return .info
                default: return .debug
                }
            }
            guard c >= 48 && c <= 57, digits < 3 else { return nil }
            n = n * 10 + Int(c - 48)
            digits += 1
        }
        return nil
    }
}

/// RFC 3339 timestamps (`2026-12-04T22:15:03.123456789Z`, `…+08:00`), parsed by hand.
///
/// Foundation's ISO 8601 parsing goes through ICU, and a fuzzed Alertmanager push made ICU divide by zero inside
/// `SimpleDateFormat::subParse`: a crash of the whole listener from one request. This parser reads only the grammar
/// of RFC 3339 section 5.6 (with `t`, `z` and a space in place of `T` allowed, as the RFC notes), checks that the
/// date exists, and returns nil for anything else.
public enum RFC3339 {
    /// Milliseconds since the epoch, or nil when `text` is not an RFC 3339 date-time. Fractional seconds may have any
    /// number of digits; digits past the millisecond are dropped (truncated toward the earlier time).
    public static func milliseconds(_ text: String) -> Int64? {
        let u = Array(text.utf8)
        guard u.count >= 20, u.count <= 64 else { return nil }
        func digits(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= u.count else { return nil }
            var n = 0
            for i in from..<(from + count) {
                let d = Int(u[i]) &- 48
                guard d >= 0, d <= 9 else { return nil }
                n = n * 10 + d
            }
            return n
        }
        guard u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"),
              [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(u[10]),
              u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":"),
              let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
              let hour = digits(11, 2), let minute = digits(14, 2), let second = digits(17, 2),
              (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 60 else { return nil }
        var i = 19
        var millis = 0
        if u[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < u.count, u[i] >= UInt8(ascii: "0"), u[i] <= UInt8(ascii: "9") {
                if i - start < 3 { millis = millis * 10 + Int(u[i] - 48) }
                i += 1
            }
            let n = i - start
            guard n > 0 else { return nil }
            for _ in n..<max(n, 3) { millis *= 10 }
        }
        guard i < u.count else { return nil }
        var offsetMinutes = 0
        switch u[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard i + 6 == u.count, u[i + 3] == UInt8(ascii: ":"),
                  let oh = digits(i + 1, 2), let om = digits(i + 4, 2), oh < 24, om < 60 else { return nil }
            offsetMinutes = (oh * 60 + om) * (u[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        default:
            return nil
        }
        guard i == u.count else { return nil }
        let days = CivilDate.daysFromEpoch(year: year, month: month, day: day)
        let seconds = ((days * 24 + hour) * 60 + minute) * 60 + second - offsetMinutes * 60
        return Int64(seconds) * 1000 + Int64(millis)
    }

    /// `ms` as an RFC 3339 UTC time, `2026-12-04T22:15:03Z` (with `.123` when it has milliseconds).
    public static func format(_ ms: Int64) -> String {
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let millis = Int(ms - seconds * 1000)
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let rest = Int(seconds - Int64(days) * 86_400)
        let d = CivilDate.date(daysFromEpoch: days)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        var year = String(d.year)
        while year.count < 4 { year = "0" + year }
        var out = "\(year)-\(two(d.month))-\(two(d.day))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))"
        if millis > 0 { out += "." + String(String(millis + 1000).dropFirst()) }
        return out + "Z"
    }
}

/// HTTP dates in the form RFC 9110 requires senders to use (IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`), parsed by
/// hand like `RFC3339`, so an answer from a remote server never reaches ICU's date parser.
public enum HTTPDate {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Milliseconds since the epoch, or nil when `text` is not an IMF-fixdate of a real day.
    public static func milliseconds(_ text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].count == 4, parts[0].hasSuffix(","), parts[5] == "GMT",
              parts[1].count == 2, let day = Int(parts[1]), let m = months.firstIndex(of: String(parts[2])),
              parts[3].count == 4, let year = Int(parts[3]) else { return nil }
        let clock = parts[4].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
              let h = Int(clock[0]), let mi = Int(clock[1]), let sec = Int(clock[2]),
              h < 24, mi < 60, sec < 60, day >= 1, day <= CivilDate.daysIn(month: m + 1, year: year) else { return nil }
        let days = CivilDate.daysFromEpoch(year: year, month: m + 1, day: day)
        return Int64(((days * 24 + h) * 60 + mi) * 60 + sec) * 1000
    }
}

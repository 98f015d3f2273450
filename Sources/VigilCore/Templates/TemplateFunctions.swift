import Foundation

/// The functions templates can call: Prometheus' formatting helpers and Go's comparisons.
enum TemplateFunctions {
    struct Failure: Error { var message: String }

    static let names: Set<String> = [
        "humanize", "humanize1024", "humanizePercentage", "humanizeDuration", "title", "toUpper", "toLower",
        "join", "len", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not", "printf", "trimSpace", "match", "reReplaceAll", "html", "urlquery",
    ]

    static func call(_ name: String, _ args: [TemplateValue], at offset: Int, _ bytes: [UInt8]) throws(TemplateError) -> TemplateValue {
        do {
            return try call(name, args)
        } catch {
            throw TemplateParser.error("\(name): \(error.message)", offset, bytes)
        }
    }

    static func call(_ name: String, _ a: [TemplateValue]) throws(Failure) -> TemplateValue {
        func count(_ n: Int) throws(Failure) {
            if a.count != n { throw Failure(message: "takes \(n) argument\(n == 1 ? "" : "s"), got \(a.count)") }
        }
        func number(_ v: TemplateValue) throws(Failure) -> Double {
            guard let n = v.number else { throw Failure(message: "expected a number, got \(v.kindName) '\(v.text)'") }
            return n
        }
        switch name {
        case "humanize": try count(1); return .string(humanize(try number(a[0])))
        case "humanize1024": try count(1); return .string(humanize1024(try number(a[0])))
        case "humanizePercentage": try count(1); return .string(g4(try number(a[0]) * 100) + "%")
        case "humanizeDuration": try count(1); return .string(humanizeDuration(try number(a[0])))
        case "title":
            try count(1)
            return .string(a[0].text.split(separator: " ", omittingEmptySubsequences: false)
                .map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " "))
        case "toUpper": try count(1); return .string(a[0].text.uppercased())
        case "toLower": try count(1); return .string(a[0].text.lowercased())
        case "trimSpace": try count(1); return .string(a[0].text.trimmingCharacters(in: .whitespacesAndNewlines))
        case "join":
            try count(2)
            guard case .list(let l) = a[1] else { throw Failure(message: "expected a list to join, got \(a[1].kindName)") }
            return .string(l.map(\.text).joined(separator: a[0].text))
        case "len":
            try count(1)
            switch a[0] {
            case .list(let l): return .number(Double(l.count))
            case .map(let m): return .number(Double(m.count))
            case .string(let s): return .number(Double(s.count))
            case .null: return .number(0)
            default: throw Failure(message: "len of \(a[0].kindName)")
            }
        case "eq", "ne":
            guard a.count >= 2 else { throw Failure(message: "takes at least 2 arguments") }
            let equal = a.dropFirst().contains { same(a[0], $0) }
            return .bool(name == "eq" ? equal : !equal)
        case "lt", "le", "gt", "ge":
            try count(2)
            let ordered: Bool
            if let x = a[0].number, let y = a[1].number, !(isString(a[0]) && isString(a[1])) {
                ordered = name == "lt" ? x < y : name == "le" ? x <= y : name == "gt" ? x > y : x >= y
            } else {
                let x = a[0].text, y = a[1].text
                ordered = name == "lt" ? x < y : name == "le" ? x <= y : name == "gt" ? x > y : x >= y
            }
            return .bool(ordered)
        case "and":
            guard let first = a.first else { throw Failure(message: "takes at least 1 argument") }
            return a.first { !$0.isTrue } ?? a.last ?? first
        case "or":
            guard let first = a.first else { throw Failure(message: "takes at least 1 argument") }
            return a.first { $0.isTrue } ?? a.last ?? first
        case "not": try count(1); return .bool(!a[0].isTrue)
        case "html":
            try count(1)
            var out = ""
            for c in a[0].text {
                switch c {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&#34;"
                case "'": out += "&#39;"
                default: out.append(c)
                }
            }
            return .string(out)
        case "urlquery":
            try count(1)
            return .string(a[0].text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? "")
        case "printf":
            guard let f = a.first else { throw Failure(message: "takes a format") }
            return .string(try printf(f.text, Array(a.dropFirst())))
        case "match":
            try count(2)
            guard let re = try? NSRegularExpression(pattern: a[0].text) else { throw Failure(message: "bad regular expression '\(a[0].text)'") }
            let s = a[1].text
            return .bool(re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil)
        case "reReplaceAll":
            try count(3)
            guard let re = try? NSRegularExpression(pattern: a[0].text) else { throw Failure(message: "bad regular expression '\(a[0].text)'") }
            let s = a[2].text
            let template = a[1].text.replacingOccurrences(of: "${", with: "$").replacingOccurrences(of: "}", with: "")
            return .string(re.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template))
        default:
            throw Failure(message: "unknown function")
        }
    }

    private static func isString(_ v: TemplateValue) -> Bool { if case .string = v { true } else { false } }

    private static func same(_ x: TemplateValue, _ y: TemplateValue) -> Bool {
        if case .number(let a) = x, case .number(let b) = y { return a == b }
        if case .number = x, let b = y.number, let a = x.number { return a == b }
        if case .number = y, let a = x.number, let b = y.number { return a == b }
        return x == y
    }

    /// Go's `%.4g`.
    static func g4(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        return String(format: "%.4g", v)
    }

    /// Prometheus' `humanize`: SI prefixes, four significant digits.
    static func humanize(_ v: Double) -> String {
        if v == 0 || v.isNaN || v.isInfinite { return g4(v) }
        if abs(v) >= 1 { return scaled(v, by: 1000, ["k", "M", "G", "T", "P", "E", "Z", "Y"]) }
        var x = v
        var prefix = ""
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if abs(x) >= 1 { break }
            prefix = p
            x *= 1000
        }
        return g4(x) + prefix
    }

    /// Prometheus' `humanize1024`: binary prefixes.
    static func humanize1024(_ v: Double) -> String {
        if abs(v) <= 1 || v.isNaN || v.isInfinite { return g4(v) }
        return scaled(v, by: 1024, ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"])
    }

    /// `v` divided by `base` while it is at least `base`, with the prefix of the last division.
    private static func scaled(_ v: Double, by base: Double, _ prefixes: [String]) -> String {
        var x = v
        var prefix = ""
        for p in prefixes {
            if abs(x) < base { break }
            prefix = p
            x /= base
        }
        return g4(x) + prefix
    }

    /// Prometheus' `humanizeDuration`: seconds as `1d 2h 3m 4s`, or `12.5ms` below a second.
    static func humanizeDuration(_ v: Double) -> String {
        if v.isNaN || v.isInfinite { return g4(v) }
        if v == 0 { return "0s" }
        let sign = v < 0 ? "-" : ""
        let s = abs(v)
        if s >= 1 {
            let total = Int64(s)
            let days = total / 86_400, hours = total / 3_600 % 24, minutes = total / 60 % 60
            let seconds = s.truncatingRemainder(dividingBy: 60)
            let secs = String(format: "%.4g", seconds)
            if days != 0 { return "\(sign)\(days)d \(hours)h \(minutes)m \(Int64(seconds))s" }
            if hours != 0 { return "\(sign)\(hours)h \(minutes)m \(Int64(seconds))s" }
            if minutes != 0 { return "\(sign)\(minutes)m \(Int64(seconds))s" }
            return "\(sign)\(secs)s"
        }
        var x = s
        for p in ["ms", "us", "ns"] {
            x *= 1000
            if x >= 1 || p == "ns" { return sign + g4(x) + p }
        }
        return sign + g4(x) + "ns"
    }

    /// Go's `printf` for the verbs messages use: `%s %v %d %f %.Nf %g %e %x %q %%`.
    static func printf(_ format: String, _ args: [TemplateValue]) throws(Failure) -> String {
        var out = ""
        var i = format.startIndex
        var next = 0
        while i < format.endIndex {
            let c = format[i]
            guard c == "%" else { out.append(c); i = format.index(after: i); continue }
            var j = format.index(after: i)
            var spec = "%"
            while j < format.endIndex, "0123456789.-+ #".contains(format[j]) { spec.append(format[j]); j = format.index(after: j) }
            guard j < format.endIndex else { throw Failure(message: "format ends inside a verb") }
            let verb = format[j]
            i = format.index(after: j)
            if verb == "%" { out.append("%"); continue }
            guard next < args.count else { out += "%!\(verb)(MISSING)"; continue }
            let arg = args[next]
            next += 1
            switch verb {
            case "s", "v": out += arg.text
            case "q": out += "\"" + arg.text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
            case "d":
                guard let n = arg.number else { throw Failure(message: "%d of \(arg.kindName)") }
                out += String(format: spec + "lld", Int64(n.isFinite ? n.rounded(.towardZero) : 0))
            case "f", "g", "e", "F", "G", "E":
                guard let n = arg.number else { throw Failure(message: "%\(verb) of \(arg.kindName)") }
                out += String(format: spec + String(verb), n)
            case "x":
                if let n = arg.number { out += String(format: spec + "llx", Int64(n)) } else { out += arg.text.utf8.map { String(format: "%02x", $0) }.joined() }
            default: throw Failure(message: "unsupported verb %\(verb)")
            }
        }
        return out
    }
}

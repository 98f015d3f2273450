import VigilTheme
import Foundation
import VigilCore

/// A pattern row of the logs pane: the store's statistics plus whether its first line falls inside the range.
struct LogPatternRow: Identifiable, Equatable {
    var stat: LogPatternStat
    /// First seen inside the range shown (a pattern that did not exist before it).
    var isNew: Bool
    var id: Int64 { stat.id }

    /// Count against the previous range as a ratio (for sorting CHANGE): new or from-zero patterns first.
    var changeRatio: Double {
        stat.previousCount == 0 ? .infinity : Double(stat.count) / Double(stat.previousCount)
    }
}

/// A raw line of the logs pane, with the template it belongs to (to highlight its variable parts) or the search
/// that found it (to highlight what matched).
struct LogLineRow: Identifiable, Equatable {
    var log: StoredLog
    var template: String?
    /// What the line gives the template's wildcards (empty without a template, or when they do not line up).
    var values: [String]
    /// Where the search's words and regexes match the message.
    var matches: [Range<String.Index>]
    var id: Int64 { log.id }

    init(log: StoredLog, template: String?, query: LogQuery? = nil) {
        self.log = log
        self.template = template
        values = LogsFormat.values(log.message, template: template)
        matches = query.map { q in q.highlights(in: log.message).compactMap { Range($0, in: log.message) } } ?? []
    }
}

/// Formatting for the logs pane: change against the previous range, templates with their `<*>` dimmed, raw lines
/// with the template's variable parts highlighted, the trend.
enum LogsFormat {
    /// The wildcard of a mined template.
    static let wildcard = "<*>"

    /// CHANGE: `▲ 35%`, `▼ 12%`, `▲ 14×`, `0%`; `new` (muted: FIRST SEEN says it), `was 0` for a pattern that was
    /// silent in the range before. Rises are coloured (errors red, the rest yellow) when at least +50%.
    static func change(_ row: LogPatternRow, glyphs: Glyphs) -> Span {
        let s = row.stat
        if s.previousCount == 0 {
            if row.isNew { return Span("new", .muted) }
            return Span("was 0", s.level >= .error ? .critical : .warning)
        }
        let ratio = Double(s.count) / Double(s.previousCount)
        let pct = (ratio - 1) * 100
        if abs(pct) < 0.5 { return Span("0%", .muted) }
        if pct > 0 {
            let text = pct >= 1000 ? "\(glyphs.sortAscending) \(Int(ratio.rounded()))\(glyphs.isUnicode ? "×" : "x")"
                : "\(glyphs.sortAscending) \(Int(pct.rounded()))%"
            let role: Role = pct < 50 ? .text : (s.level >= .error ? .critical : .warning)
            return Span(text, role, pct >= 100 ? [.bold] : [])
        }
        return Span("\(glyphs.sortDescending) \(Int((-pct).rounded()))%", -pct >= 50 ? .info : .muted)
    }

    /// FIRST SEEN: `new 4m` (a pattern first seen inside the range, `new` in the warning role) or the age, muted.
    static func firstSeen(_ row: LogPatternRow, now: Int64) -> [Span] {
        let age = row.stat.firstSeen > 0 ? Format.age(now - row.stat.firstSeen) : "-"
        guard row.isNew else { return [Span(age, .muted)] }
        return [Span("new", .warning, [.bold]), Span(" " + age)]
    }

    /// The trend: the 12 slices oldest to newest, each slice a full cell (a braille column pair, or an ASCII ramp
    /// step), scaled to the row's own maximum. Coloured by level from warning up.
    static func trend(_ stat: LogPatternStat, width: Int, unicode: Bool) -> Span {
        let values = stat.trend.map { Double($0) }
        // Braille draws two values per cell: doubling each slice makes one slice one cell, a readable bar.
        let slots: [Double?] = unicode ? values.flatMap { [$0, $0] } : values
        let cells = min(width, stat.trend.count)
        let text = Sparkline.render(slots, width: cells, unicode: unicode)
        return Span(text, stat.level >= .warning ? HostDetailPane.levelRole(stat.level) : .sparkline)
    }

    /// A template with its wildcards dimmed.
    static func template(_ text: String) -> [Span] {
        var spans: [Span] = []
        for (i, piece) in text.split(separator: wildcard, omittingEmptySubsequences: false).enumerated() {
            if i > 0 { spans.append(Span(wildcard, .muted)) }
            if !piece.isEmpty { spans.append(Span(String(piece))) }
        }
        return spans
    }

    /// A raw line with the parts its template leaves variable highlighted; plain when the line does not line up
    /// with the template (the miner may have normalised it).
    static func message(_ message: String, template: String?) -> [Span] {
        guard let template, let parts = variableParts(message, template: template) else { return [Span(message)] }
        return highlighted(message, parts, { Span($0) }) { Span($0, .info) }
    }

    /// A raw line with what a search matched in bold and the warning colour.
    static func message(_ message: String, matches: [Range<String.Index>]) -> [Span] {
        highlighted(message, matches, { Span($0) }) { Span($0, .warning, [.bold]) }
    }

    /// `message` cut at `parts` (sorted, not overlapping): the parts through `mark`, the rest through `plain`.
    private static func highlighted(_ message: String, _ parts: [Range<String.Index>], _ plain: (String) -> Span,
                                     _ mark: (String) -> Span) -> [Span] {
        var spans: [Span] = []
        var at = message.startIndex
        for r in parts where r.lowerBound >= at {
            if at < r.lowerBound { spans.append(plain(String(message[at..<r.lowerBound]))) }
            if !r.isEmpty { spans.append(mark(String(message[r]))) }
            at = r.upperBound
        }
        if at < message.endIndex { spans.append(Span(String(message[at...]))) }
        return spans
    }

    /// The ranges of `message` the template's wildcards stand for (leftmost match of the literal pieces), or nil.
    static func variableParts(_ message: String, template: String) -> [Range<String.Index>]? {
        let pieces = template.split(separator: wildcard, omittingEmptySubsequences: false).map(String.init)
        guard pieces.count > 1, message.hasPrefix(pieces[0]) else { return nil }
        var at = message.index(message.startIndex, offsetBy: pieces[0].count)
        var parts: [Range<String.Index>] = []
        for (i, piece) in pieces.enumerated().dropFirst() {
            let isLast = i == pieces.count - 1
            if isLast {
                guard message[at...].hasSuffix(piece) else { return nil }
                let end = message.index(message.endIndex, offsetBy: -piece.count)
                guard end >= at else { return nil }
                parts.append(at..<end)
            } else if piece.isEmpty {
                parts.append(at..<at)
            } else {
                // A wildcard stands for at least one character.
                guard at < message.endIndex, let found = message[message.index(after: at)...].firstRange(of: piece) else { return nil }
                parts.append(at..<found.lowerBound)
                at = found.upperBound
            }
        }
        return parts
    }

    /// Spans cut to `width` columns, ending in an ellipsis when cut.
    static func fit(_ spans: [Span], to width: Int, ellipsis: String) -> [Span] {
        let total = spans.reduce(0) { $0 + $1.width }
        guard total > width else { return spans }
        let room = max(0, width - TextWidth.of(ellipsis))
        var out: [Span] = []
        var used = 0
        for span in spans where used < room {
            var text = ""
            for ch in span.text {
                let w = TextWidth.of(ch)
                if used + w > room { break }
                text.append(ch)
                used += w
            }
            if !text.isEmpty { out.append(Span(text, span.role, span.attributes)) }
        }
        out.append(Span(ellipsis, .muted))
        return out
    }

    /// A local date and time, `2024-01-02 13:04` (`…:05` with seconds).
    static func dateTime(_ ms: Int64, seconds: Bool = false, milliseconds: Bool = false) -> String {
        var t = time_t(ms / 1000)
        var parts = tm()
        localtime_r(&t, &parts)
        let minutes = String(format: "%04d-%02d-%02d %02d:%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min)
        if milliseconds { return minutes + String(format: ":%02d.%03d", parts.tm_sec, Int((ms % 1000 + 1000) % 1000)) }
        return seconds ? minutes + String(format: ":%02d", parts.tm_sec) : minutes
    }

    /// `12,345`.
    static func grouped(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }
}

extension LogsFormat {
    /// The values a raw line gives the template's wildcards, in order (empty when they do not line up).
    static func values(_ message: String, template: String?) -> [String] {
        guard let template, let parts = variableParts(message, template: template) else { return [] }
        return parts.map { String(message[$0]) }
    }

    /// VALUES: the wildcard values highlighted, separated by a muted ` · ` (`|` in ASCII).
    static func valueSpans(_ values: [String], glyphs: Glyphs) -> [Span] {
        var spans: [Span] = []
        for (i, v) in values.enumerated() {
            if i > 0 { spans.append(Span(glyphs.isUnicode ? " · " : " | ", .muted)) }
            spans.append(Span(v.isEmpty ? "\"\"" : v, .info))
        }
        return spans
    }

    /// The last path component of a log source (`/var/log/nginx/error.log` → `error.log`).
    static func shortSource(_ source: String) -> String {
        guard let slash = source.lastIndex(of: "/"), source.index(after: slash) < source.endIndex else { return source }
        return String(source[source.index(after: slash)...])
    }

    /// Styled text wrapped to `width` columns, breaking after a space when one is on the line, at most `maxLines`
    /// lines (the last ends in an ellipsis when cut).
    static func wrap(_ spans: [Span], width: Int, maxLines: Int, ellipsis: String) -> [[Span]] {
        guard width > 0, maxLines > 0 else { return [] }
        var cells: [(Character, Role, TextAttributes)] = []
        for span in spans {
            for ch in span.text where TextWidth.of(ch) > 0 { cells.append((ch == "\t" ? " " : ch, span.role, span.attributes)) }
        }
        var lines: [[(Character, Role, TextAttributes)]] = []
        var start = 0
        while start < cells.count && lines.count < maxLines {
            var used = 0
            var end = start
            var lastSpace: Int?
            while end < cells.count {
                let w = TextWidth.of(cells[end].0)
                if used + w > width { break }
                if cells[end].0 == " " { lastSpace = end }
                used += w
                end += 1
            }
            if end < cells.count, let space = lastSpace, space > start { end = space + 1 }
            lines.append(Array(cells[start..<end]))
            start = end
        }
        var out = lines.map { line -> [Span] in
            var spans: [Span] = []
            for (ch, role, attrs) in line {
                if let last = spans.last, last.role == role, last.attributes == attrs {
                    spans[spans.count - 1].text.append(ch)
                } else {
                    spans.append(Span(String(ch), role, attrs))
                }
            }
            return spans
        }
        if start < cells.count, let last = out.popLast() {
            let used = last.reduce(0) { $0 + $1.width }
            // Cut: the last line ends in an ellipsis.
            out.append(used + TextWidth.of(ellipsis) <= width ? last + [Span(ellipsis, .muted)]
                       : fit(last + [Span(" ")], to: width, ellipsis: ellipsis))
        }
        return out
    }
}

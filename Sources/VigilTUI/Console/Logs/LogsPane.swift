import Foundation
import VigilCore
import VigilWire

/// The logs of a host (or the whole fleet) as patterns: the templates mined on ingest with the most lines in a time
/// range (15m, 1h, 6h, 24h, 7d), each with its count, the change against the range before, a trend, the highest
/// level and when it was first seen. `Enter` opens a lower box with the pattern's newest raw lines (it follows the
/// selection); `s` searches raw lines with the log query language instead (`LogQuery`), and `f` follows them live
/// (`LogsPane+Follow`).
final class LogsPane: Pane {
    /// Which box the keys act on.
    enum Focus: Equatable {
        case patterns, lines
    }

    /// What the lines box shows.
    enum LinesMode: Equatable {
        /// The selected pattern's lines.
        case pattern
        /// A log query (its text: relative times are read again at each fetch).
        case search(String)
        /// Lines as they arrive, matching a log query (empty: every line).
        case follow(String)
    }

    /// Nil: every host.
    let host: String?
    private(set) var range: LogRange
    let patterns: TableView<LogPatternRow>
    let lines: TableView<LogLineRow>
    private(set) var snapshot: LogPatternsSnapshot?
    var linesSnapshot: LogLinesSnapshot?
    /// Nil: the lines box is closed.
    var linesMode: LinesMode?
    var focus: Focus = .patterns
    var lastError: String?
    /// The live tail, while following.
    var follow: LogFollow?

    /// Column indices of the patterns table.
    enum Column: Int, CaseIterable {
        case count, change, trend, level, firstSeen, lastSeen, pattern
    }

    init(host: String? = nil, range: LogRange = .h1) {
        self.host = host
        self.range = range
        patterns = TableView(columns: LogsPane.patternColumns(), sortColumn: Column.count.rawValue, sortDescending: true,
                             emptyMessage: "no log lines") { row in
            var strings = [row.stat.template, row.stat.level.rawValue, "level=\(row.stat.level.rawValue)"]
            if row.isNew { strings.append("new") }
            return strings
        }
        lines = TableView(columns: LogsPane.lineColumns(showHost: host == nil, showValues: true), sortColumn: 0, sortDescending: true,
                          emptyMessage: "no lines") { row in
            [row.log.message, row.log.source, row.log.level.rawValue, row.log.host]
        }
    }

    var title: String { host.map { "logs \($0)" } ?? "logs" }
    var knownHosts: [String] { host.map { [$0] } ?? [] }
    var rowNoun: String { focus == .lines ? "line" : "pattern" }
    var filterText: String { focus == .lines && linesMode != nil ? lines.filterText : patterns.filterText }

    /// The raw lines the box wants, if it is open.
    var linesSource: LogLinesSource? {
        switch linesMode {
        case nil: nil
        case .search(let text): .search(text)
        case .follow: nil
        case .pattern: patterns.selected.map { .pattern($0.stat.id) }
        }
    }

    var pollInterest: PollInterest {
        var interest = PollInterest()
        interest.logs = LogsInterest(host: host, range: range, lines: linesSource, follow: follow?.request)
        return interest
    }

    /// Whether the patterns shown are of the current host and range (not the one before a range change).
    var hasCurrentPatterns: Bool {
        guard let snapshot else { return false }
        return snapshot.range == range && snapshot.host == host
    }

    /// Whether the lines shown are the ones the box wants.
    var hasCurrentLines: Bool {
        if case .follow = linesMode { return follow?.started == true }
        guard let linesSnapshot, let source = linesSource else { return false }
        return linesSnapshot.source == source && linesSnapshot.host == host
    }


    // MARK: Keys

    var keyMap: KeyMap {
        let section = "Logs"
        var own: [KeyAction] = []
        if focus == .patterns || linesMode == nil {
            own.append(KeyAction([.enter, .char("l"), .right], "lines", section: section) { [self] in openLines() })
        }
        own += [
            KeyAction([.char("t"), .char("]")], "range", section: section) { [self] in cycleRange(1) },
            KeyAction([.char("[")], "shorter range", section: section, shownInHints: false) { [self] in cycleRange(-1) },
            KeyAction([.char("s")], "search", section: section) { [self] in
                let current: String = switch linesMode {
                case .search(let text)?, .follow(let text)?: text
                default: ""
                }
                return .prompt("search lines (host:web-1 level>=error \"timed out\" /re/ -word since:1h): ", initial: current) { [self] text in search(text) }
            },
            KeyAction([.char("f")], isFollowing ? "stop following" : "follow", section: section) { [self] in toggleFollow() },
        ]
        if focus == .lines, linesMode != nil {
            own.append(KeyAction([.enter], "lines around it", section: section, shownInHints: false) { [self] in
                guard let row = lines.selected else { return .ignored }
                let query: LogQuery? = switch linesMode {
                case .search(let text)?, .follow(let text)?: text.isEmpty ? nil : try? LogQuery.parse(text, now: WallClock.nowMs())
                default: nil
                }
                return .push(LogContextPane(line: row.log, query: query))
            })
        }
        if linesMode != nil {
            own += [
                KeyAction([.tab], focus == .lines ? "to patterns" : "to lines", section: section) { [self] in
                    _ = focusNext()
                    return .redraw
                },
                KeyAction([.escape, .char("h"), .left], "close lines", section: section) { [self] in closeLines() },
            ]
        }
        var table = focus == .lines && linesMode != nil ? lines.keyActions(section: section) : patterns.keyActions(section: section)
        // `s` searches here: the tables sort with `>` `<` `S`.
        table = table.map { a in
            var a = a
            a.keys.removeAll { $0 == .char("s") }
            return a
        }
        if isFollowing && focus == .lines { table = followKeyActions(table, section: section) }
        return KeyMap(own).merged(over: KeyMap(table))
    }

    /// `Enter`: open the lines box on the selected pattern (a search gives way to the pattern).
    func openLines() -> Reaction {
        guard patterns.selected != nil, hasCurrentPatterns else { return .message("no pattern selected", isError: false) }
        linesMode = .pattern
        focus = .lines
        lines.columns = Self.lineColumns(showHost: host == nil, showValues: true)
        lines.selectFirst()
        return .redraw
    }

    /// `Esc` with the lines box open: close it, back to the patterns.
    func closeLines() -> Reaction {
        linesMode = nil
        follow = nil
        focus = .patterns
        linesSnapshot = nil
        _ = try? lines.setFilter("")
        return .redraw
    }

    /// `f`: show the lines matching the log query `text` (empty: back to the pattern's lines, or close the box). A
    /// query that does not parse leaves the box as it was and says why on the status line.
    func search(_ text: String, now: Int64 = WallClock.nowMs()) -> Reaction {
        let query = text.trimmingCharacters(in: .whitespaces)
        if isFollowing { return startFollow(query, now: now) }
        guard !query.isEmpty else {
            if case .search = linesMode { return closeLines() }
            return .ignored
        }
        do throws(LogQueryError) {
            _ = try LogQuery.parse(query, now: now)
        } catch {
            return .message("search: \(error.description)", isError: true)
        }
        follow = nil
        linesMode = .search(query)
        focus = .lines
        lines.columns = Self.lineColumns(showHost: host == nil, showValues: false)
        return .redraw
    }

    /// `t` `]` / `[`: the next or previous range. The selection stays on the same pattern.
    func cycleRange(_ step: Int) -> Reaction {
        range = range.cycled(step)
        return .redraw
    }

    func focusNext() -> Bool {
        guard linesMode != nil else { return false }
        focus = focus == .patterns ? .lines : .patterns
        return true
    }

    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)? {
        if focus == .lines && linesMode != nil {
            return (try lines.setFilter(text), lines.rows.count)
        }
        return (try patterns.setFilter(text), patterns.rows.count)
    }

    // MARK: Data

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        guard case .logs(let update) = message else { return false }
        switch update {
        case .patterns(let s):
            guard s.host == host else { return false }
            snapshot = s
            lastError = nil
            patterns.emptyMessage = "no log lines in the last \(s.range.label)\(host.map { " on \($0)" } ?? "")"
                + (s.range == .d7 ? "" : " (t: a longer range)")
            patterns.setRows(s.patterns.map { LogPatternRow(stat: $0, isNew: $0.firstSeen >= s.from) }, now: now)
            return true
        case .lines(let s):
            guard s.host == host, s.source == linesSource else { return false }
            let template: String? = if case .pattern(let id) = s.source { patterns.rows.first { $0.id == id }?.stat.template } else { nil }
            var query: LogQuery?
            if case .search(let text) = s.source { query = try? LogQuery.parse(text, now: now) }
            linesSnapshot = s
            lines.emptyMessage = if case .search(let text) = s.source {
                "no line matches \(text)" + (s.searchedBack.map { " back to \(LogsFormat.dateTime($0)) (the search stops after \(LogsFetcher.scanLimit / 1000)k lines: narrow it)" } ?? "")
            } else { "no lines" }
            if let i = lines.columns.firstIndex(where: { $0.title == "HOST" }) {
                lines.columns[i].width = min(16, max(4, s.lines.map { TextWidth.of($0.host) }.max() ?? 0))
            }
            lines.setRows(s.lines.map { LogLineRow(log: $0, template: template, query: query) }, now: now)
            return true
        case .tail(let u):
            return receiveTail(u, now: now)
        case .context:
            return false
        case .error(let text):
            lastError = text
            return true
        }
    }

    // MARK: Rendering

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 3 else { return }
        let (summaryRect, rest) = rect.splitTop(1)
        canvas.put(summarySpans(glyphs: context.glyphs, width: summaryRect.width - 2), x: summaryRect.x + 1, y: summaryRect.y, maxWidth: summaryRect.width - 2)
        guard linesMode != nil else {
            renderPatterns(into: &canvas, in: rest, focused: context.focused, now: context.now)
            return
        }
        if rest.height < 14 {
            // Too short for two boxes: the focused one gets the room.
            if focus == .lines {
                renderLines(into: &canvas, in: rest, focused: context.focused, now: context.now)
            } else {
                renderPatterns(into: &canvas, in: rest, focused: context.focused, now: context.now)
            }
            return
        }
        let wanted = max(6, min(patterns.visible.count + 3, rest.height * 2 / 5))
        let (top, bottom) = rest.splitTop(wanted)
        renderPatterns(into: &canvas, in: top, focused: context.focused && focus == .patterns, now: context.now)
        renderLines(into: &canvas, in: bottom, focused: context.focused && focus == .lines, now: context.now)
    }

    private func renderPatterns(into canvas: inout Canvas, in rect: Rect, focused: Bool, now: Int64) {
        var title = "Patterns · last \(range.label)"
        if hasCurrentPatterns { title += patterns.countTitle }
        canvas.box(rect, title: title, role: focused ? .borderFocus : .border)
        let inner = rect.inset(1)
        guard hasCurrentPatterns else {
            canvas.put(lastError.map { "error: \($0)" } ?? "reading the last \(range.label) of logs…", x: inner.x + 1, y: inner.y,
                       role: lastError == nil ? .muted : .error, maxWidth: inner.width - 1)
            return
        }
        var tableRect = inner
        // The selected pattern in full below the table, when the lines box is closed and there is room.
        if linesMode == nil, inner.height >= 9, let row = patterns.selected {
            let ellipsis = canvas.glyphs.ellipsis
            let text = LogsFormat.wrap(LogsFormat.template(row.stat.template), width: inner.width - 2, maxLines: 3, ellipsis: ellipsis)
            let (rest, detail) = inner.splitBottom(text.count + 1)
            tableRect = rest
            let separator = canvas.glyphs.isUnicode ? " · " : " | "
            let about = ["pattern #\(row.stat.id)", "first seen \(LogsFormat.dateTime(row.stat.firstSeen))",
                         "max level \(HostDetailPane.levelLabel(row.stat.maxLevel))",
                         "last line \(Format.age(now - row.stat.lastSeen)) ago"].joined(separator: separator)
            canvas.fill(Rect(x: detail.x, y: detail.y, width: detail.width, height: 1), canvas.glyphs.horizontal, role: .border)
            canvas.put(" " + TextWidth.truncate(about, to: detail.width - 6, ellipsis: ellipsis) + " ", x: detail.x + 2, y: detail.y,
                       role: .muted)
            for (i, line) in text.enumerated() {
                canvas.put(line, x: detail.x + 1, y: detail.y + 1 + i, maxWidth: detail.width - 2)
            }
        }
        patterns.render(into: &canvas, in: tableRect, focused: focused, now: now)
    }

    private func renderLines(into canvas: inout Canvas, in rect: Rect, focused: Bool, now: Int64) {
        var title: String
        switch linesMode {
        case .search(let text)?:
            title = "Search \(text)" + (host.map { " on \($0)" } ?? "")
        case .follow?:
            title = followTitle(now: now)
        default:
            title = "Lines"
        }
        if hasCurrentLines && !isFollowing {
            title += lines.filterText.isEmpty
                ? " (\(lines.rows.count == LogsFetcher.lineLimit ? "newest \(lines.rows.count)" : "\(lines.rows.count)"))"
                : lines.countTitle
        }
        if linesMode == .pattern, let row = patterns.selected { title += " · " + row.stat.template }
        if hasCurrentLines, let back = linesSnapshot?.searchedBack { title += " · searched back to \(LogsFormat.dateTime(back))" }
        canvas.box(rect, title: title, role: focused ? .borderFocus : .border)
        let inner = rect.inset(1)
        guard hasCurrentLines else {
            canvas.put(linesSource == nil ? "no pattern selected" : "reading lines…", x: inner.x + 1, y: inner.y, role: .muted,
                       maxWidth: inner.width - 1)
            return
        }
        var tableRect = inner
        // The selected line in full below the table, when there is room.
        if inner.height >= 9, let row = lines.selected {
            let ellipsis = canvas.glyphs.ellipsis
            let spans = row.matches.isEmpty ? LogsFormat.message(row.log.message, template: row.template)
                : LogsFormat.message(row.log.message, matches: row.matches)
            let text = LogsFormat.wrap(spans, width: inner.width - 2,
                                       maxLines: inner.height >= 16 ? 4 : 2, ellipsis: ellipsis)
            let (rest, detail) = inner.splitBottom(text.count + 1)
            tableRect = rest
            let separator = canvas.glyphs.isUnicode ? " · " : " | "
            let about = [row.log.host, row.log.source, LogsFormat.dateTime(row.log.ts, seconds: true),
                         HostDetailPane.levelLabel(row.log.level)].joined(separator: separator)
            canvas.fill(Rect(x: detail.x, y: detail.y, width: detail.width, height: 1), canvas.glyphs.horizontal, role: .border)
            canvas.put(" " + TextWidth.truncate(about, to: detail.width - 6, ellipsis: ellipsis) + " ", x: detail.x + 2, y: detail.y,
                       role: .muted)
            for (i, line) in text.enumerated() {
                canvas.put(line, x: detail.x + 1, y: detail.y + 1 + i, maxWidth: detail.width - 2)
            }
        }
        lines.render(into: &canvas, in: tableRect, focused: focused, now: now)
    }

    /// The line above the boxes: the ranges (the current one highlighted), the host, then lines and patterns, new
    /// patterns, lines in error patterns and the change against the range before; when `width` is short the change
    /// gives way first, then the error lines, then the new patterns.
    func summarySpans(glyphs: Glyphs, width: Int = .max) -> [Span] {
        var head: [Span] = []
        for r in LogRange.allCases {
            head.append(r == range ? Span(" \(r.label) ", .selection, [.bold]) : Span(" \(r.label) ", .muted))
        }
        head += [Span("  "), Span(host ?? "all hosts", .title, [.bold])]
        if let lastError { return head + [Span("   "), Span("error: \(lastError)", .error)] }
        guard hasCurrentPatterns, let snapshot else { return head + [Span("   "), Span("loading…", .muted)] }
        let rows = patterns.rows
        let total = rows.reduce(0) { $0 + $1.stat.count }
        let before = rows.reduce(0) { $0 + $1.stat.previousCount }
        let limited = rows.count >= LogsFetcher.patternLimit
        // (priority, spans) in display order.
        var groups: [(Int, [Span])] = [(100, head)]
        groups.append((90, [Span("   "), Span(LogsFormat.grouped(total), .text, [.bold]), Span(total == 1 ? " line" : " lines", .muted),
                            Span(limited ? " in the top " : " in ", .muted), Span("\(rows.count)"),
                            Span(rows.count == 1 ? " pattern" : " patterns", .muted)]))
        let new = rows.filter(\.isNew).count
        if new > 0 { groups.append((80, [Span("   "), Span("\(new) new", .warning, [.bold])])) }
        let errors = rows.filter { $0.stat.level >= .error }
        if !errors.isEmpty {
            let n = errors.reduce(0) { $0 + $1.stat.count }
            groups.append((75, [Span("   "), Span(LogsFormat.grouped(n), .critical, [.bold]), Span(" in error patterns", .critical)]))
        }
        if before > 0 {
            let ratio = Double(total) / Double(before)
            let pct = (ratio - 1) * 100
            let arrow = pct >= 0 ? glyphs.sortAscending : glyphs.sortDescending
            let amount = pct >= 1000 ? "\(Int(ratio.rounded()))\(glyphs.isUnicode ? "×" : "x")" : "\(Int(abs(pct).rounded()))%"
            groups.append((70, [Span("   "), Span("\(arrow) \(amount)", pct >= 50 ? .warning : .text),
                                Span(" vs the \(snapshot.range.label) before", .muted)]))
        }
        func size(_ g: [(Int, [Span])]) -> Int { g.reduce(0) { $0 + $1.1.reduce(0) { $0 + $1.width } } }
        while size(groups) > width, let drop = groups.indices.filter({ groups[$0].0 < 100 }).min(by: { groups[$0].0 < groups[$1].0 }) {
            groups.remove(at: drop)
        }
        return groups.flatMap(\.1)
    }

    // MARK: Columns

    static func patternColumns() -> [TableColumn<LogPatternRow>] {
        [
            .text("COUNT", width: 6, alignRight: true, priority: 95, ascending: { $0.stat.count < $1.stat.count },
                  descendingFirst: true) { Format.number(Double($0.stat.count)) },
            TableColumn("CHANGE", width: 7, alignRight: true, priority: 75, ascending: { $0.changeRatio < $1.changeRatio },
                        descendingFirst: true) { row, ctx in [LogsFormat.change(row, glyphs: ctx.glyphs)] },
            TableColumn("TREND", width: 12, priority: 60) { row, ctx in
                [LogsFormat.trend(row.stat, width: ctx.width, unicode: ctx.glyphs.isUnicode)]
            },
            .text("LEVEL", width: 5, priority: 85, role: { HostDetailPane.levelRole($0.stat.level) },
                  ascending: { $0.stat.level < $1.stat.level }, descendingFirst: true) { HostDetailPane.levelLabel($0.stat.level) },
            TableColumn("FIRST SEEN", width: 10, alignRight: true, priority: 70, ascending: { $0.stat.firstSeen < $1.stat.firstSeen },
                        descendingFirst: true) { row, ctx in LogsFormat.firstSeen(row, now: ctx.now) },
            TableColumn("LAST", width: 5, alignRight: true, priority: 30, ascending: { $0.stat.lastSeen < $1.stat.lastSeen },
                        descendingFirst: true) { row, ctx in [Span(Format.age(ctx.now - row.stat.lastSeen), .muted)] },
            TableColumn("PATTERN", width: 30, flexible: true, priority: 100, ascending: { $0.stat.template < $1.stat.template }) { row, ctx in
                LogsFormat.fit(LogsFormat.template(row.stat.template), to: ctx.width, ellipsis: ctx.glyphs.ellipsis)
            },
        ]
    }

    static func lineColumns(showHost: Bool, showValues: Bool) -> [TableColumn<LogLineRow>] {
        var columns: [TableColumn<LogLineRow>] = [
            .text("TIME", width: 8, priority: 90, role: { _ in .muted }, ascending: { ($0.log.ts, $0.id) < ($1.log.ts, $1.id) }) {
                Format.clock($0.log.ts)
            },
            TableColumn("AGE", width: 4, alignRight: true, priority: 35) { row, ctx in [Span(Format.age(ctx.now - row.log.ts), .muted)] },
        ]
        if showHost {
            columns.append(.text("HOST", width: 6, priority: 80, ascending: { $0.log.host < $1.log.host }) { $0.log.host })
        }
        columns += [
            .text("LEVEL", width: 5, priority: 95, role: { HostDetailPane.levelRole($0.log.level) },
                  ascending: { $0.log.level < $1.log.level }, descendingFirst: true) { HostDetailPane.levelLabel($0.log.level) },
            .text("SOURCE", width: 8, flexible: true, maxWidth: 14, priority: 40, role: { _ in .muted },
                  ascending: { $0.log.source < $1.log.source }) { LogsFormat.shortSource($0.log.source) },
        ]
        if showValues {
            // The pattern is in the title: what varies from line to line is the interesting part.
            columns.append(TableColumn("VALUES", width: 20, flexible: true, maxWidth: 72, priority: 85) { row, ctx in
                LogsFormat.fit(LogsFormat.valueSpans(row.values, glyphs: ctx.glyphs), to: ctx.width, ellipsis: ctx.glyphs.ellipsis)
            })
        }
        columns += [
            TableColumn("MESSAGE", width: showValues ? 12 : 20, flexible: true, priority: 100) { row, ctx in
                let spans = row.matches.isEmpty ? LogsFormat.message(row.log.message, template: row.template)
                    : LogsFormat.message(row.log.message, matches: row.matches)
                return LogsFormat.fit(spans, to: ctx.width, ellipsis: ctx.glyphs.ellipsis)
            },
        ]
        return columns
    }
}

import VigilTheme
import Foundation
import Testing
@testable import VigilTUI
@testable import VigilCore
import VigilWire

/// A real SQLite store in a temporary file with three log patterns around `Fixtures.now`, read through the same
/// `LogsFetcher` the console's poller uses:
/// - `connection from <*> accepted` (web-1, info): 30 lines in the last hour, 10 in the hour before;
/// - `upstream timed out …` (web-2, error): 12 lines in the last 12 minutes, never seen before;
/// - `cache warmed in <*> ms` (web-1, warning): 3 lines in the last hour, 6 in the hour before.
final class LogsHarness {
    let dir: String
    let store: SQLiteStore
    let fetcher = LogsFetcher()
    static let now = Fixtures.now
    static let minute: Int64 = 60_000

    init() async throws {
        dir = NSTemporaryDirectory() + "vigil-logs-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try SQLiteStore(path: dir + "/vigil.db")
        let now = Self.now, minute = Self.minute
        func line(_ message: String, _ ts: Int64, _ level: LogLevel, source: String = "/var/log/app.log") -> LogEntry {
            LogEntry(ts: ts, source: source, level: level, message: message)
        }
        var web1: [LogEntry] = []
        for i in 0..<10 { web1.append(line("connection from 10.0.0.\(i):\(5000 + i) accepted", now - 61 * minute - Int64(i) * 5 * minute, .info)) }
        for i in 0..<30 { web1.append(line("connection from 10.0.0.\(i):\(6000 + i) accepted", now - Int64(i) * 2 * minute - 30_000, .info)) }
        for i in 0..<6 { web1.append(line("cache warmed in \(10 + i) ms", now - 65 * minute - Int64(i) * 7 * minute, .warning)) }
        for i in 0..<3 { web1.append(line("cache warmed in \(20 + i) ms", now - 20 * minute - Int64(i) * 10 * minute, .warning)) }
        _ = try await store.ingest(IngestBatch(host: "web-1", logs: web1), receivedAt: now)
        let web2 = (0..<12).map { i in
            line("upstream timed out (110: Connection timed out) while connecting to upstream 10.0.1.\(i)", now - Int64(i) * minute - 10_000,
                 .error, source: "/var/log/nginx/error.log")
        }
        _ = try await store.ingest(IngestBatch(host: "web-2", logs: web2), receivedAt: now)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    /// Reads what `pane` asks for, as one poller round would, and hands it the messages.
    @discardableResult
    func feed(_ pane: LogsPane) async throws -> [ConsoleMessage] {
        let interest = try #require(pane.pollInterest.logs)
        let messages = await fetcher.fetch(store, interest, now: Self.now)
        for m in messages { _ = pane.receive(m, now: Self.now) }
        return messages
    }

    /// A fleet-wide pane (1h) fed once.
    func loadedPane(host: String? = nil) async throws -> LogsPane {
        let pane = LogsPane(host: host)
        try await feed(pane)
        return pane
    }

    static func row(_ canvas: Canvas, containing needle: String) -> (index: Int, line: String)? {
        canvas.lines().enumerated().first { $0.element.contains(needle) }.map { ($0.offset, $0.element) }
    }

    /// The role of the cell where `needle` starts on row `y`.
    static func role(_ canvas: Canvas, row y: Int, at needle: String) -> Role? {
        let line = canvas.lines()[y]
        guard let r = line.range(of: needle) else { return nil }
        return canvas[line.distance(from: line.startIndex, to: r.lowerBound), y].role
    }
}

@Suite struct LogsPaneTests {
    static let upstream = "upstream timed out"

    @Test func patternsShowCountsChangeTrendLevelAndNewMarker() async throws {
        let h = try await LogsHarness()
        let pane = try await h.loadedPane()
        let stats = pane.patterns.rows.map(\.stat)
        #expect(stats.count == 3)
        let canvas = Fixtures.render(pane, height: 30)
        let text = canvas.text
        #expect(text.contains("Patterns · last 1h (3)"), "\(text)")
        #expect(text.contains("45 lines in 3 patterns") && text.contains("1 new") && text.contains("12 in error patterns"), "\(text)")
        #expect(text.contains("▲ 181% vs the 1h before"), "45 lines against 16")
        // A narrow summary drops the change first, then the error count.
        let narrow = pane.summarySpans(glyphs: .unicode, width: 90).map(\.text).joined()
        #expect(narrow.contains("12 in error patterns") && !narrow.contains("vs the"), "\(narrow)")
        let narrower = pane.summarySpans(glyphs: .unicode, width: 70).map(\.text).joined()
        #expect(narrower.contains("1 new") && !narrower.contains("error"), "\(narrower)")
        #expect(text.contains("COUNT▼") && text.contains("CHANGE") && text.contains("TREND") && text.contains("FIRST SEEN"))

        // Most lines first.
        let connection = try #require(LogsHarness.row(canvas, containing: "connection from"))
        let upstream = try #require(LogsHarness.row(canvas, containing: Self.upstream))
        let cache = try #require(LogsHarness.row(canvas, containing: "cache warmed"))
        #expect(connection.index < upstream.index && upstream.index < cache.index)

        // Counts, change against the hour before, level, first seen, the template with its wildcards dimmed.
        #expect(connection.line.contains("30") && connection.line.contains("▲ 200%") && connection.line.contains("INFO"), "\(connection.line)")
        #expect(connection.line.contains("connection from <*> accepted"))
        #expect(pane.patterns.selected?.stat.count == 30)
        #expect(LogsHarness.role(canvas, row: connection.index, at: "▲ 200%") == .selection, "the selected row")
        #expect(LogsHarness.role(canvas, row: cache.index, at: "<*>") == .muted)
        #expect(LogsHarness.role(canvas, row: cache.index, at: "cache warmed") == .text)
        #expect(cache.line.contains("▼ 50%") && cache.line.contains("WARN"), "\(cache.line)")
        #expect(LogsHarness.role(canvas, row: cache.index, at: "WARN") == .warning)
        #expect(LogsHarness.role(canvas, row: cache.index, at: "▼ 50%") == .info)
        // Not new: first seen more than an hour ago; the upstream pattern is new (its first line is in the range).
        #expect(!cache.line.contains("new") && cache.line.contains("1h"))
        #expect(upstream.line.contains("ERROR") && upstream.line.contains("new 11m"), "\(upstream.line)")
        #expect(LogsHarness.role(canvas, row: upstream.index, at: "ERROR") == .critical)
        #expect(LogsHarness.role(canvas, row: upstream.index, at: "new 11m") == .warning)
        // 12 slices of 5 minutes: nothing until the last quarter hour, then 2, 5, 5 lines: one braille bar per slice.
        #expect(upstream.line.contains("⣀⣀⣀⣀⣀⣀⣀⣀⣀⣤⣿⣿"), "\(upstream.line)")
        #expect(LogsHarness.role(canvas, row: upstream.index, at: "⣀⣀⣀") == .critical, "error patterns trend in red")
        // The selected pattern in full below the table.
        #expect(text.contains("pattern #") && text.contains("max level INFO"), "\(text)")
    }

    @Test func enterShowsTheRawLinesOfTheSelectedPatternAndEscClosesThem() async throws {
        let h = try await LogsHarness()
        let pane = try await h.loadedPane()
        _ = pane.keyMap.action(for: .char("j"))!.handler()
        let selected = try #require(pane.patterns.selected)
        #expect(selected.stat.template.hasPrefix(Self.upstream))
        #expect(pane.pollInterest.logs?.lines == nil, "no raw lines read while the box is closed")

        _ = pane.keyMap.action(for: .enter)!.handler()
        #expect(pane.focus == .lines && pane.linesMode == .pattern)
        #expect(pane.pollInterest.logs?.lines == .pattern(selected.id))
        #expect(Fixtures.render(pane, height: 40).text.contains("reading lines…"))

        try await h.feed(pane)
        #expect(pane.lines.rows.count == 12)
        let canvas = Fixtures.render(pane, height: 40)
        let text = canvas.text
        #expect(text.contains("Lines (12) · upstream timed out"), "\(text)")
        #expect(text.contains("HOST") && text.contains("VALUES") && text.contains("MESSAGE"))
        // Newest first; the values the wildcards stand for, highlighted; the source's file name.
        let newest = try #require(LogsHarness.row(canvas, containing: "10.0.1.0 "))
        #expect(newest.line.contains("web-2") && newest.line.contains("error.log") && newest.line.contains("ERROR"), "\(newest.line)")
        #expect(LogsHarness.role(canvas, row: newest.index, at: "ERROR") == .selection, "the selected line, in the focused box")
        let second = try #require(LogsHarness.row(canvas, containing: "10.0.1.1 "))
        #expect(newest.index < second.index)
        #expect(LogsHarness.role(canvas, row: second.index, at: "ERROR") == .critical)
        #expect(LogsHarness.role(canvas, row: second.index, at: "110") == .info)
        // The selected line in full below.
        #expect(text.contains("web-2 · /var/log/nginx/error.log · 2024-") || text.contains("web-2 · /var/log/nginx/error.log · 2023-"), "\(text)")

        // j scrolls the lines; Tab goes back to the patterns, where moving re-targets the lines box.
        _ = pane.keyMap.action(for: .char("j"))!.handler()
        #expect(pane.lines.selected?.log.message.hasSuffix("10.0.1.1") == true)
        #expect(pane.focusNext() && pane.focus == .patterns)
        _ = pane.keyMap.action(for: .char("k"))!.handler()
        #expect(pane.pollInterest.logs?.lines == .pattern(pane.patterns.selected!.id))
        #expect(!pane.hasCurrentLines)
        try await h.feed(pane)
        #expect(pane.lines.rows.count == 40 && pane.lines.rows.allSatisfy { $0.log.host == "web-1" })
        #expect(pane.lines.rows.first?.values.count == 1)

        // Esc closes the box (it does not leave the pane).
        let esc = try #require(pane.keyMap.action(for: .escape))
        #expect(esc.title == "close lines")
        _ = esc.handler()
        #expect(pane.linesMode == nil && pane.focus == .patterns && pane.pollInterest.logs?.lines == nil)
        #expect(pane.keyMap.action(for: .escape) == nil, "then Esc is the global back")
    }

    @Test func storeReadsTheLinesOfOneTemplate() async throws {
        let h = try await LogsHarness()
        let stats = try await h.store.topLogPatterns(host: nil, from: LogsHarness.now - 3_600_000, to: LogsHarness.now + 1, limit: 10)
        let connection = try #require(stats.first { $0.template.hasPrefix("connection") })
        let all = try await h.store.logs(templateID: connection.id, host: nil, limit: 100)
        #expect(all.count == 40 && all.allSatisfy { $0.message.hasPrefix("connection from") })
        #expect(zip(all, all.dropFirst()).allSatisfy { $0.ts >= $1.ts }, "newest first")
        #expect(try await h.store.logs(templateID: connection.id, host: "web-1", limit: 5).count == 5)
        #expect(try await h.store.logs(templateID: connection.id, host: "web-2", limit: 5).isEmpty)
        #expect(try await h.store.logs(templateID: connection.id, host: "nope", limit: 5).isEmpty)
        #expect(try await h.store.logs(templateID: -1, host: nil, limit: 5).isEmpty)
    }

    @Test func hostPaneOnlyCountsThatHost() async throws {
        let h = try await LogsHarness()
        let pane = try await h.loadedPane(host: "web-1")
        #expect(pane.title == "logs web-1")
        #expect(pane.patterns.rows.count == 2 && !pane.patterns.rows.contains { $0.stat.template.hasPrefix(Self.upstream) })
        let text = Fixtures.render(pane).text
        #expect(text.contains("web-1   33 lines in 2 patterns") && text.contains("▲ 106% vs the 1h before"), "\(text)")
        // A fleet-wide snapshot is not for this pane.
        #expect(!pane.receive(.logs(.patterns(LogPatternsSnapshot(host: nil, range: .h1, from: 0, to: 1, patterns: []))), now: Fixtures.now))
    }

    @Test func filterNarrowsThePatterns() async throws {
        let h = try await LogsHarness()
        let pane = try await h.loadedPane()
        #expect(try pane.applyFilter("timed")! == (1, 3))
        var text = Fixtures.render(pane).text
        #expect(text.contains("Patterns · last 1h (1 of 3) /timed") && !text.contains("cache warmed"), "\(text)")
        #expect(pane.filterText == "timed")
        #expect(try pane.applyFilter("level=warning")! == (1, 3))
        #expect(try pane.applyFilter("new")! == (1, 3))
        #expect(try pane.applyFilter("!^connection")! == (2, 3))
        #expect(try pane.applyFilter("zzz")! == (0, 3))
        text = Fixtures.render(pane).text
        #expect(text.contains("no row matches /zzz"))
        #expect(throws: CommandError.self) { try pane.applyFilter("(") }
        #expect(try pane.applyFilter("")! == (3, 3))
    }

    @Test func rangesCycleAndTheOldRangeIsNotShownAsTheNew() async throws {
        let h = try await LogsHarness()
        let pane = try await h.loadedPane()
        _ = pane.keyMap.action(for: .char("j"))!.handler()
        let selected = pane.patterns.selected!.id
        _ = pane.keyMap.action(for: .char("t"))!.handler()
        #expect(pane.range == .h6 && pane.pollInterest.logs?.range == .h6)
        var text = Fixtures.render(pane).text
        #expect(text.contains("reading the last 6h of logs…") && !text.contains("connection from"), "\(text)")
        try await h.feed(pane)
        text = Fixtures.render(pane).text
        #expect(text.contains("Patterns · last 6h (3)") && text.contains("61 lines in 3 patterns") && text.contains("3 new"), "\(text)")
        #expect(pane.patterns.selected?.id == selected, "the selection stays on the pattern")
        // Every line is within 6 hours: every pattern is new there.
        let cache = try #require(pane.patterns.rows.first { $0.stat.template.hasPrefix("cache") })
        #expect(cache.stat.count == 9 && cache.isNew)
        _ = pane.keyMap.action(for: .char("]"))!.handler()
        #expect(pane.range == .h24)
        _ = pane.keyMap.action(for: .char("["))!.handler()
        _ = pane.keyMap.action(for: .char("["))!.handler()
        _ = pane.keyMap.action(for: .char("["))!.handler()
        #expect(pane.range == .m15)
        _ = pane.keyMap.action(for: .char("["))!.handler()
        #expect(pane.range == .d7, "wraps around")
        #expect(LogRange.d7.cycled(1) == .m15)
        // 15 minutes: the previous quarter hour had lines of the upstream pattern too.
        let quarter = LogsPane(range: .m15)
        try await h.feed(quarter)
        let up = try #require(quarter.patterns.rows.first { $0.stat.template.hasPrefix(Self.upstream) })
        #expect(up.stat.count == 12 && up.stat.previousCount == 0 && up.isNew)
        let connection = try #require(quarter.patterns.rows.first { $0.stat.template.hasPrefix("connection") })
        let canvas = Fixtures.render(quarter)
        let row = try #require(LogsHarness.row(canvas, containing: "connection from"))
        #expect(connection.stat.previousCount > 0 && row.line.contains("%"), "\(row.line)")
    }

    @Test func changeColumnWording() {
        func row(count: Int, previous: Int, level: LogLevel = .info, isNew: Bool = false) -> LogPatternRow {
            LogPatternRow(stat: LogPatternStat(id: 1, template: "x", count: count, trend: [], previousCount: previous, level: level,
                                               maxLevel: level, firstSeen: 0, lastSeen: 0), isNew: isNew)
        }
        let g = Glyphs.unicode
        #expect(LogsFormat.change(row(count: 5, previous: 0, isNew: true), glyphs: g) == Span("new", .muted))
        #expect(LogsFormat.change(row(count: 5, previous: 0), glyphs: g) == Span("was 0", .warning))
        #expect(LogsFormat.change(row(count: 5, previous: 0, level: .critical), glyphs: g).role == .critical)
        #expect(LogsFormat.change(row(count: 10, previous: 10), glyphs: g) == Span("0%", .muted))
        #expect(LogsFormat.change(row(count: 11, previous: 10), glyphs: g) == Span("▲ 10%", .text))
        #expect(LogsFormat.change(row(count: 30, previous: 10, level: .error), glyphs: g) == Span("▲ 200%", .critical, [.bold]))
        #expect(LogsFormat.change(row(count: 150, previous: 10), glyphs: g).text == "▲ 15×")
        #expect(LogsFormat.change(row(count: 150, previous: 10), glyphs: .ascii).text == "^ 15x")
        #expect(LogsFormat.change(row(count: 1, previous: 10), glyphs: .ascii) == Span("v 90%", .info))
    }

    @Test func templatesAndLinesLineUp() {
        let t = "user <*> logged in from <*>"
        #expect(LogsFormat.values("user root logged in from 10.0.0.1", template: t) == ["root", "10.0.0.1"])
        #expect(LogsFormat.values("user root logged out", template: t) == [])
        #expect(LogsFormat.values("<*> whole", template: "<*> whole") == ["<*>"])
        #expect(LogsFormat.values("a b c", template: "<*> b <*>") == ["a", "c"])
        #expect(LogsFormat.values("anything", template: "no wildcard") == [])
        #expect(LogsFormat.template(t).map(\.role) == [.text, .muted, .text, .muted])
        #expect(LogsFormat.message("user root logged in from 10.0.0.1", template: t)
            == [Span("user "), Span("root", .info), Span(" logged in from "), Span("10.0.0.1", .info)])
        #expect(LogsFormat.message("something else", template: t) == [Span("something else")])
        let wrapped = LogsFormat.wrap([Span("aaa bbb ccc ddd eee")], width: 8, maxLines: 2, ellipsis: "…")
        #expect(wrapped.map { $0.map(\.text).joined() } == ["aaa bbb ", "ccc ddd…"])
        #expect(LogsFormat.fit([Span("abcdef"), Span("ghij", .muted)], to: 5, ellipsis: "…").map(\.text).joined() == "abcd…")
        #expect(LogsFormat.grouped(1234567) == "1,234,567" && LogsFormat.grouped(12) == "12")
        #expect(LogsFormat.shortSource("/var/log/nginx/error.log") == "error.log" && LogsFormat.shortSource("journald") == "journald")
    }

    @Test func aLogQuerySearchShowsMatchingLinesWithTheMatchesMarked() async throws {
        let h = try await LogsHarness()
        let pane = try await h.loadedPane()
        let searchKey = try #require(pane.keyMap.action(for: .char("s")))
        guard case .prompt(let prompt, _, let submit) = searchKey.handler() else {
            Issue.record("s asks for the search text")
            return
        }
        #expect(prompt.contains("search") && prompt.contains("level>=error"))
        _ = submit(#"  "timed out" level>=error -/10\.0\.1\.1$/ "#)
        #expect(pane.linesMode == .search(#""timed out" level>=error -/10\.0\.1\.1$/"#) && pane.focus == .lines)
        try await h.feed(pane)
        #expect(pane.lines.rows.count == 11, "twelve timeouts, one refused by the negated regex")
        let canvas = Fixtures.render(pane, height: 40)
        let text = canvas.text
        #expect(text.contains(#"Search "timed out" level>=error -/10\.0\.1\.1$/ (11)"#) && !text.contains("VALUES"), "\(text)")
        // The phrase is marked wherever it occurs, in the table and in the selected line below it.
        let box = try #require(canvas.lines().firstIndex { $0.contains("Search ") })
        let rows = canvas.lines().enumerated().filter { $0.offset > box && $0.element.contains("upstream timed out") }
        let marked = rows.filter { y, line in
            guard let r = line.range(of: "timed out") else { return false }
            let x = line.distance(from: line.startIndex, to: r.lowerBound)
            return canvas[x, y].role == .warning && canvas[x, y].attributes.contains(.bold) && canvas[x - 2, y].role != .warning
        }
        #expect(marked.count >= rows.count - 1 && marked.count >= 2, "the selected row may keep the selection's colour")
        // A mistake leaves the box as it was and says where it is.
        guard case .message(let why, isError: true) = submit("level>=eror") else {
            Issue.record("a bad query is an error message")
            return
        }
        #expect(why.contains("at character 8") && why.contains("'eror' is not a level"), "\(why)")
        #expect(pane.linesMode == .search(#""timed out" level>=error -/10\.0\.1\.1$/"#))
        _ = submit("nothing-like-this")
        try await h.feed(pane)
        #expect(Fixtures.render(pane, height: 40).text.contains("no line matches nothing-like-this"))
        // An empty search closes the box.
        _ = submit("")
        #expect(pane.linesMode == nil)
    }

    /// A host's pane searches that host unless the query names hosts itself.
    @Test func aHostsPaneSearchesItsHostUnlessTheQueryNamesOne() async throws {
        let h = try await LogsHarness()
        let pane = try await h.loadedPane(host: "web-1")
        _ = pane.search("connection OR timed", now: LogsHarness.now)
        _ = pane.search("level>=info", now: LogsHarness.now)
        try await h.feed(pane)
        #expect(!pane.lines.rows.isEmpty && pane.lines.rows.allSatisfy { $0.log.host == "web-1" })
        _ = pane.search("host:web-2 timed", now: LogsHarness.now)
        try await h.feed(pane)
        #expect(pane.lines.rows.count == 12 && pane.lines.rows.allSatisfy { $0.log.host == "web-2" })
    }

    @Test func errorsAndLoadingAreShown() {
        let pane = LogsPane(host: "web-1", range: .h24)
        var text = Fixtures.render(pane).text
        #expect(text.contains("reading the last 24h of logs…") && text.contains("loading…"), "\(text)")
        #expect(pane.pollInterest.logs == LogsInterest(host: "web-1", range: .h24, lines: nil))
        _ = pane.receive(.logs(.error("database is locked")), now: Fixtures.now)
        text = Fixtures.render(pane).text
        #expect(text.contains("error: database is locked"), "\(text)")
        _ = pane.receive(.logs(.patterns(LogPatternsSnapshot(host: "web-1", range: .h24, from: 0, to: 1, patterns: []))), now: Fixtures.now)
        text = Fixtures.render(pane).text
        #expect(text.contains("no log lines in the last 24h on web-1 (t: a longer range)") && !text.contains("error"), "\(text)")
        #expect(pane.openLines().isMessage)
    }

    @Test func smallTerminalsAndAscii() async throws {
        let h = try await LogsHarness()
        let c = ConsoleController(storeDescription: "sqlite /tmp/vigil.db")
        c.receive(.fleet(Fixtures.fleet), now: Fixtures.now)
        c.run(.logs(host: nil), now: Fixtures.now)
        let pane = try #require(c.top as? LogsPane)
        let interest = try #require(c.pollInterest.logs)
        for m in await h.fetcher.fetch(h.store, interest, now: LogsHarness.now) { c.receive(m, now: Fixtures.now) }

        var canvas = Canvas(width: 80, height: 24)
        c.render(into: &canvas, now: Fixtures.now)
        var text = canvas.text
        #expect(text.contains(" vigil › hosts › logs"))
        let connection = try #require(LogsHarness.row(canvas, containing: "connection from"))
        #expect(connection.line.contains("▲ 200%") && connection.line.contains("INFO") && connection.line.contains("connection from <*> accepted"))
        #expect(!text.contains("LAST "), "the least useful column gives way at 80 columns")
        #expect(canvas.lines()[22].contains("Enter lines") && canvas.lines()[22].contains("t range"), "\(canvas.lines()[22])")

        c.handle(.char("j"), now: Fixtures.now)
        c.handle(.enter, now: Fixtures.now)
        for m in await h.fetcher.fetch(h.store, try #require(c.pollInterest.logs), now: LogsHarness.now) { c.receive(m, now: Fixtures.now) }
        canvas = Canvas(width: 80, height: 24)
        c.render(into: &canvas, now: Fixtures.now)
        text = canvas.text
        #expect(text.contains("Patterns · last 1h (3)") && text.contains("Lines (12)"), "\(text)")
        #expect(canvas.lines()[22].contains("Esc close lines"), "\(canvas.lines()[22])")

        // The minimum console: only the focused box.
        canvas = Canvas(width: 60, height: 12)
        c.render(into: &canvas, now: Fixtures.now)
        text = canvas.text
        #expect(text.contains("Lines (12)") && !text.contains("Patterns ·"), "\(text)")
        c.handle(.tab, now: Fixtures.now)
        canvas = Canvas(width: 60, height: 12)
        c.render(into: &canvas, now: Fixtures.now)
        #expect(canvas.text.contains("Patterns ·") && !canvas.text.contains("Lines (12)"))
        // Esc closes the lines, a second Esc leaves the pane.
        c.handle(.escape, now: Fixtures.now)
        #expect(c.top === pane && pane.linesMode == nil)
        c.handle(.escape, now: Fixtures.now)
        #expect(c.top is DashboardPane)

        // Tiny rectangles never crash; ASCII glyphs.
        for (w, hgt) in [(10, 2), (20, 3), (40, 5), (1, 1)] {
            _ = Fixtures.render(pane, width: w, height: hgt)
        }
        let ascii = Fixtures.render(pane, width: 100, height: 12, glyphs: .ascii)
        let row = try #require(LogsHarness.row(ascii, containing: "connection from"))
        #expect(row.line.contains("^ 200%") && !row.line.contains("⣀"), "\(row.line)")
    }

    @Test func commandsAndKeysOpenThePane() async throws {
        #expect(try CommandParser.parse(":logs") == .logs(host: nil))
        #expect(try CommandParser.parse("log web-1") == .logs(host: "web-1"))
        #expect(try CommandParser.parse("lg db") == .logs(host: "db"))
        #expect(throws: CommandError.self) { try CommandParser.parse(":logs a b") }
        #expect(CommandParser.complete("logs we", hosts: ["web-1", "web-2", "db-1"], themes: []).line == "logs web-")
        #expect(CommandParser.usage.contains { $0.0 == ":logs [HOST]" })

        let c = ConsoleController()
        c.receive(.fleet(Fixtures.fleet), now: Fixtures.now)
        c.run(.logs(host: "db"), now: Fixtures.now)
        #expect((c.top as? LogsPane)?.host == "db-1")
        #expect(c.takeEffects().contains(.refreshNow))
        c.run(.logs(host: "web"), now: Fixtures.now)
        #expect((c.top as? LogsPane)?.host == "db-1", "ambiguous: stays")
        c.run(.logs(host: nil), now: Fixtures.now)
        #expect(c.stack.count == 2 && (c.top as? LogsPane)?.host == nil)

        // L on the dashboard: the fleet; on a host's detail: that host (Esc comes back to it).
        let d = ConsoleController()
        d.receive(.fleet(Fixtures.fleet), now: Fixtures.now)
        d.handle(.char("L"), now: Fixtures.now)
        #expect(d.top is LogsPane && (d.top as? LogsPane)?.host == nil)
        d.handle(.escape, now: Fixtures.now)
        d.run(.host("web-2"), now: Fixtures.now)
        d.handle(.char("L"), now: Fixtures.now)
        #expect((d.top as? LogsPane)?.host == "web-2" && d.stack.count == 3)
        #expect(Array(d.mergedMap.hints.map(\.title).prefix(5)) == ["lines", "range", "search", "follow", "sort"])
        d.handle(.escape, now: Fixtures.now)
        #expect(d.top is HostDetailPane)

        // Help documents the pane's keys.
        let help = HelpPane(documenting: LogsPane().keyMap)
        let text = Fixtures.render(help, height: 40).text
        #expect(text.contains("shorter range") && text.contains("search") && text.contains("follow"), "\(text)")
    }
}

private extension Reaction {
    var isMessage: Bool {
        if case .message = self { return true }
        return false
    }
}

import Foundation
import VigilCore
import VigilWire

/// Follow mode (`f`, as `less +F` and `tail -f`): the lines box shows lines as they are committed, newest on top,
/// matching the current search (or every line of the pane's host). Moving the selection off the newest line pauses
/// the view (new lines are counted, not shown); `g` or `Home` goes back to the newest and resumes.
extension LogsPane {
    var isFollowing: Bool { if case .follow = linesMode { true } else { false } }

    /// `f`: follow the current search (or every line); again: stop, back to the search's stored lines.
    func toggleFollow(now: Int64 = WallClock.nowMs()) -> Reaction {
        if case .follow(let text) = linesMode {
            follow = nil
            if text.isEmpty { return closeLines() }
            linesMode = .search(text)
            linesSnapshot = nil
            return .redraw
        }
        let text: String = if case .search(let t) = linesMode { t } else { "" }
        return startFollow(text, now: now)
    }

    /// Follows the lines matching `text` (checked first: a mistake is a message, and nothing changes).
    func startFollow(_ text: String, now: Int64) -> Reaction {
        do throws(LogQueryError) {
            _ = try LogQuery.parse(text, now: now)
        } catch {
            return .message("search: \(error.description)", isError: true)
        }
        follow = LogFollow(request: LogTailRequest(host: host, query: text))
        linesMode = .follow(text)
        focus = .lines
        linesSnapshot = nil
        lines.columns = Self.lineColumns(showHost: host == nil, showValues: false)
        lines.setRows([])
        return .redraw
    }

    /// A tail update: new lines on top while the view is at the newest line; held back while paused.
    func receiveTail(_ update: LogTailUpdate, now: Int64) -> Bool {
        guard var f = follow, f.request == update.request else { return false }
        if lines.selectedIndex.map({ $0 > 0 }) == true { f.pause() }
        let changed = f.receive(update, now: now)
        follow = f
        lastError = nil
        if changed { showFollowedLines(now: now) }
        return true
    }

    /// The table's keys, with the view pausing when the selection leaves the newest line and resuming at it.
    func followKeyActions(_ table: [KeyAction], section: String) -> [KeyAction] {
        table.map { action in
            var a = action
            let inner = action.handler
            a.handler = { [self] in
                let r = inner()
                syncPause(now: WallClock.nowMs())
                return r
            }
            return a
        }
    }

    /// Pauses when the selection is below the newest line, resumes (showing what was held) when it is back on it.
    func syncPause(now: Int64) {
        guard var f = follow else { return }
        let atTop = (lines.selectedIndex ?? 0) == 0
        if atTop && f.paused {
            if f.resume() {
                follow = f
                showFollowedLines(now: now)
                lines.selectFirst()
                return
            }
        } else if !atTop {
            f.pause()
        }
        follow = f
    }

    private func showFollowedLines(now: Int64) {
        guard let f = follow else { return }
        let query = try? LogQuery.parse(f.request.query, now: now)
        let highlight = f.request.query.isEmpty ? nil : query
        if let i = lines.columns.firstIndex(where: { $0.title == "HOST" }) {
            lines.columns[i].width = min(16, max(4, f.lines.prefix(200).map { TextWidth.of($0.host) }.max() ?? 0))
        }
        let wasAtTop = (lines.selectedIndex ?? 0) == 0
        // Rows already shown keep their highlights: under a storm only the new lines are matched again.
        let shown = Dictionary(lines.rows.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        lines.setRows(f.lines.map { shown[$0.id] ?? LogLineRow(log: $0, template: nil, query: highlight) }, now: now)
        if wasAtTop { lines.selectFirst() }
        lines.emptyMessage = "no lines yet" + (f.request.query.isEmpty ? "" : " matching \(f.request.query)") + (host.map { " on \($0)" } ?? "")
    }

    /// `Following <query> · 12.4 lines/s (web-3 error.log 9.1/s, …) · paused: 37 new (g) · 120 dropped`.
    func followTitle(now: Int64) -> String {
        guard let f = follow else { return "Following" }
        var title = "Following" + (f.request.query.isEmpty ? "" : " \(f.request.query)") + (host.map { " on \($0)" } ?? "")
        if !f.pushed { title += " (read every 1s: attached to another engine)" }
        let total = f.rates.total(now: now)
        title += " · " + Self.rate(total) + " lines/s"
        let top = f.rates.top(3, now: now)
        if !top.isEmpty && total > 0 {
            title += " (" + top.map { "\($0.source) \(Self.rate($0.perSecond))/s" }.joined(separator: ", ") + ")"
        }
        if f.paused { title += " · paused: \(f.heldCount) new (g: newest)" }
        if f.dropped > 0 { title += " · \(f.dropped) dropped" }
        return title
    }

    static func rate(_ perSecond: Double) -> String {
        perSecond >= 10 ? String(Int(perSecond.rounded())) : String(format: "%.1f", perSecond)
    }

    /// The logs of `alert`'s host (the fleet's when it has none) from 15 minutes before it fired (or became
    /// active) to 15 minutes after, as a search, over the shortest range that shows its patterns.
    static func around(_ alert: StoredAlert, now: Int64) -> LogsPane {
        let at = alert.firedAt ?? alert.activeSince
        // Whole minutes: the query in the title stays short.
        let from = (at - 15 * 60_000) / 60_000 * 60_000
        let until = (at + 15 * 60_000 + 59_999) / 60_000 * 60_000
        let range = LogRange.allCases.first { $0.milliseconds >= now - from } ?? .d7
        let pane = LogsPane(host: alert.host, range: range)
        _ = pane.search("since:\(RFC3339.format(from)) until:\(RFC3339.format(until))", now: now)
        return pane
    }
}

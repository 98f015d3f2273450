import Foundation
import VigilWire

/// The weekly report: the week's `DailyReport` (built over seven days) beside the week before it, with the change in
/// each figure and per rule, then the week's incidents, remediation, new log patterns and worst health. Rendered as
/// text, Markdown or HTML; stored as kind `weekly` with both weeks' JSON.
public struct WeeklyReport: Sendable, Equatable {
    public var week: DailyReport
    public var previous: DailyReport

    public init(week: DailyReport, previous: DailyReport) {
        self.week = week
        self.previous = previous
    }

    public enum Format: String, Sendable, CaseIterable {
        case text, md, html
    }

    /// One compared figure: this week, the week before, and the change as people read it.
    public struct Row: Sendable, Equatable {
        public var label: String
        public var week: String
        public var previous: String
        public var change: String
    }

    /// Reads both weeks (`[to - 7d, to)` and the seven days before) and builds the report.
    public static func gather(store: any Store, to: Int64, now: Int64) async throws -> WeeklyReport {
        let week: Int64 = 7 * 86_400_000
        async let current = DailyReport.gather(store: store, from: to - week, to: to, now: now)
        async let before = DailyReport.gather(store: store, from: to - 2 * week, to: to - week, now: now)
        return WeeklyReport(week: try await current, previous: try await before)
    }

    /// The compared figures, in the order the report shows them.
    public var rows: [Row] {
        var out = [
            Row(label: "alerts fired", week: "\(week.alertsFired)", previous: "\(previous.alertsFired)",
                change: Self.change(week.alertsFired, previous.alertsFired)),
            Row(label: "alerts resolved", week: "\(week.alertsResolved)", previous: "\(previous.alertsResolved)",
                change: Self.change(week.alertsResolved, previous.alertsResolved)),
            Row(label: "MTTR", week: week.mttrMs.map { DurationText.short(ms: $0) } ?? "-",
                previous: previous.mttrMs.map { DurationText.short(ms: $0) } ?? "-",
                change: week.mttrMs.flatMap { w in previous.mttrMs.map { Self.change(Int(w), Int($0)) } } ?? "-"),
            Row(label: "incidents resolved", week: "\(week.incidentCount)", previous: "\(previous.incidentCount)",
                change: Self.difference(week.incidentCount, previous.incidentCount)),
            Row(label: "runbook runs", week: "\(week.runs)", previous: "\(previous.runs)", change: Self.difference(week.runs, previous.runs)),
        ]
        if week.successRate != nil || previous.successRate != nil {
            out.append(Row(label: "runbook success", week: week.successRate.map(DailyReport.percent) ?? "-",
                           previous: previous.successRate.map(DailyReport.percent) ?? "-",
                           change: week.successRate.flatMap { w in previous.successRate.map { Self.points(w - $0) } } ?? "-"))
        }
        out.append(Row(label: "new log patterns", week: "\(week.newPatterns.count)", previous: "\(previous.newPatterns.count)",
                       change: Self.difference(week.newPatterns.count, previous.newPatterns.count)))
        return out
    }

    /// The rules that fired in either week, by this week's firings: (rule, this week, the week before, change).
    public var ruleRows: [(rule: String, week: Int, previous: Int, change: String)] {
        var names: [String] = week.rules.map(\.rule)
        for r in previous.rules where !names.contains(r.rule) { names.append(r.rule) }
        return names.map { name in
            let w = week.rules.first { $0.rule == name }?.fired ?? 0
            let p = previous.rules.first { $0.rule == name }?.fired ?? 0
            return (name, w, p, p == 0 && w > 0 ? "new" : Self.change(w, p))
        }
        .filter { $0.1 > 0 || $0.2 > 0 }
        .sorted { ($1.1, $1.2, $0.0) < ($0.1, $0.2, $1.0) }
    }

    // MARK: rendering

    var title: String {
        "Vigil weekly report: \(AITimeText.clock(week.from)) to \(AITimeText.clock(week.to)), against the week before"
    }

    public func render(_ format: Format, insight: DailyInsight) -> String {
        switch format {
        case .text: text(insight: insight)
        case .md: markdown(insight: insight)
        case .html: html(insight: insight)
        }
    }

    public func text(insight: DailyInsight) -> String {
        var out = [title, ""]
        out += DailyReport.table(["", "this week", "week before", "change"], rows.map { [$0.label, $0.week, $0.previous, $0.change] })
        let rules = ruleRows
        if !rules.isEmpty {
            out += ["", "RULES (fired)"]
            out += DailyReport.table(["  rule", "this week", "week before", "change"], rules.prefix(DailyReport.maxRules).map {
                ["  " + $0.rule, "\($0.week)", "\($0.previous)", $0.change]
            })
        }
        out += ["", week.detailText, "", insight.text]
        return out.joined(separator: "\n")
    }

    public func markdown(insight: DailyInsight) -> String {
        func row(_ cells: [String]) -> String { "| " + cells.map(Self.markdownCell).joined(separator: " | ") + " |" }
        var out = ["# " + title, "", row(["", "this week", "week before", "change"]), "|---|---:|---:|---:|"]
        out += rows.map { row([$0.label, $0.week, $0.previous, $0.change]) }
        let rules = ruleRows
        if !rules.isEmpty {
            out += ["", "## Rules (fired)", "", row(["rule", "this week", "week before", "change"]), "|---|---:|---:|---:|"]
            out += rules.prefix(DailyReport.maxRules).map { row([$0.rule, "\($0.week)", "\($0.previous)", $0.change]) }
        }
        out += ["", "## This week", "", "```", week.detailText, "```", "", "## Insight", "", "```", insight.text, "```"]
        return out.joined(separator: "\n")
    }

    public func html(insight: DailyInsight) -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        func table(_ header: [String], _ rows: [[String]]) -> String {
            "<table>\n<tr>" + header.map { "<th>\(esc($0))</th>" }.joined() + "</tr>\n"
                + rows.map { "<tr>" + $0.enumerated().map { $0.offset == 0 ? "<td>\(esc($0.element))</td>" : "<td align=\"right\">\(esc($0.element))</td>" }.joined() + "</tr>" }
                .joined(separator: "\n") + "\n</table>"
        }
        var out = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\"><title>\(esc(title))</title></head><body>", "<h1>\(esc(title))</h1>",
                   table(["", "this week", "week before", "change"], rows.map { [$0.label, $0.week, $0.previous, $0.change] })]
        let rules = ruleRows
        if !rules.isEmpty {
            out += ["<h2>Rules (fired)</h2>", table(["rule", "this week", "week before", "change"],
                                                    rules.prefix(DailyReport.maxRules).map { [$0.rule, "\($0.week)", "\($0.previous)", $0.change] })]
        }
        out += ["<h2>This week</h2>", "<pre>" + esc(week.detailText) + "</pre>", "<h2>Insight</h2>", "<pre>" + esc(insight.text) + "</pre>",
                "</body></html>"]
        return out.joined(separator: "\n")
    }

    /// The stored JSON: `{"kind": "weekly", "report": …, "previous": …, "insight": …}`.
    public func json(insight: DailyInsight) -> JSONValue {
        .object(["kind": .string("weekly"), "report": week.json, "previous": previous.json, "insight": insight.json])
    }

    static func markdownCell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }

    /// `+40%`, `-12%`, `0%`, `new` (from zero), `-` (both zero).
    static func change(_ now: Int, _ before: Int) -> String {
        if before == 0 { return now == 0 ? "-" : "new" }
        let pct = (Double(now) - Double(before)) / Double(before) * 100
        return (pct > 0 ? "+" : "") + "\(Int(pct.rounded()))%"
    }

    /// `+2`, `-5`, `0`.
    static func difference(_ now: Int, _ before: Int) -> String {
        let d = now - before
        return d > 0 ? "+\(d)" : "\(d)"
    }

    /// Percentage points: `+5 pt`.
    static func points(_ d: Double) -> String {
        let p = Int((d * 100).rounded())
        return (p > 0 ? "+" : "") + "\(p) pt"
    }
}

/// A weekly report with its insight, as generated and stored (`vigil report weekly`, and the lease holder each week).
public struct GeneratedWeeklyReport: Sendable, Equatable {
    public var report: WeeklyReport
    public var insight: DailyInsight
    public var stored: StoredReport

    /// Reads the week ending at `to` and the one before, writes the insight (AI when `useAI` and a key is configured,
    /// else rules of thumb) and stores it as kind `weekly`, its text being the text rendering.
    public static func generate(store: any Store, client: AIClient?, to: Int64, now: Int64, useAI: Bool) async throws -> GeneratedWeeklyReport {
        let report = try await WeeklyReport.gather(store: store, to: to, now: now)
        let insight: DailyInsight
        if let client { insight = await DailyInsightWriter(client: client).insight(for: report.week, useAI: useAI) } else { insight = DailyInsight.heuristic(report.week) }
        let stored = try await store.saveReport(StoredReport(kind: "weekly", from: report.week.from, to: report.week.to, createdAt: now,
                                                             text: report.text(insight: insight), json: report.json(insight: insight).jsonText))
        return GeneratedWeeklyReport(report: report, insight: insight, stored: stored)
    }
}

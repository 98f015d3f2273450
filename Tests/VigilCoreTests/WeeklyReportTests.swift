import Foundation
import Testing
import VigilWire
@testable import VigilCore

/// The weekly report: the week against the week before, in text, Markdown and HTML, and written by the lease
/// holder once per week on a real store.
@Suite struct WeeklyReportTests {
    let week: Int64 = 7 * 86_400_000
    let to: Int64 = 1_796_601_600_000 // Monday 2026-12-07 00:00 UTC

    func firings(_ rule: String, _ n: Int, from: Int64, host: String = "web-1") -> [ReportAlertEvent] {
        (0..<n).flatMap { i -> [ReportAlertEvent] in
            let t = from + Int64(i) * 3_600_000
            return [ReportAlertEvent(fingerprint: "\(rule)\(i)", rule: rule, host: host, severity: "warning", kind: "firing", ts: t),
                    ReportAlertEvent(fingerprint: "\(rule)\(i)", rule: rule, host: host, severity: "warning", kind: "resolved", ts: t + 600_000, firedAt: t)]
        }
    }

    var report: WeeklyReport {
        let thisWeek = firings("HighCPU", 6, from: to - week + 3_600_000) + firings("DiskSpaceLow", 2, from: to - 2 * 86_400_000)
            + firings("Pipe|Rule <x>", 1, from: to - 86_400_000)
        let weekBefore = firings("HighCPU", 4, from: to - 2 * week + 3_600_000) + firings("CheckDown", 3, from: to - week - 86_400_000)
        let all = thisWeek + weekBefore
        return WeeklyReport(week: DailyReport.build(from: to - week, to: to, generatedAt: to, events: all, incidents: [], runs: [], patterns: [], hosts: []),
                            previous: DailyReport.build(from: to - 2 * week, to: to - week, generatedAt: to, events: all, incidents: [], runs: [], patterns: [], hosts: []))
    }

    @Test func figuresAndRulesAreComparedWeekOverWeek() {
        let r = report
        let rows = Dictionary(uniqueKeysWithValues: r.rows.map { ($0.label, $0) })
        #expect(rows["alerts fired"].map { [$0.week, $0.previous, $0.change] } == ["9", "7", "+29%"])
        #expect(rows["MTTR"].map { [$0.week, $0.previous, $0.change] } == ["10m", "10m", "0%"])
        #expect(r.ruleRows.map(\.rule) == ["HighCPU", "DiskSpaceLow", "Pipe|Rule <x>", "CheckDown"])
        #expect(r.ruleRows.map(\.change) == ["+50%", "new", "new", "-100%"])
    }

    @Test func textMarkdownAndHTMLSayTheSameAndEscapeWhatTheyMust() {
        let r = report
        let insight = DailyInsight.heuristic(r.week)
        let text = r.render(.text, insight: insight)
        #expect(text.hasPrefix("Vigil weekly report:") && text.contains("alerts fired        9          7            +29%"), "\(text)")
        #expect(text.contains("INCIDENTS") && text.contains(insight.headline))
        let md = r.render(.md, insight: insight)
        #expect(md.contains("| alerts fired | 9 | 7 | +29% |") && md.contains("| Pipe\\|Rule <x> | 1 | 0 | new |"), "\(md)")
        let html = r.render(.html, insight: insight)
        #expect(html.contains("<td>Pipe|Rule &lt;x&gt;</td>") && !html.contains("Rule <x>"), "\(html)")
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</body></html>"))
        let json = (try? JSONValue.parse(r.json(insight: insight).jsonText))
        #expect(json?["kind"]?.stringValue == "weekly" && json?["previous"]?["alerts"]?["fired"] != nil)
    }

    /// The lease holder's check: the week ending at the last Monday 00:00 is written once, and not again when a
    /// weekly report reaching it is stored already.
    @Test(arguments: Backend.available) func theWeekIsWrittenOnce(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let utc = TimeZone(identifier: "UTC")!
        let now = to + 5 * 3_600_000 // Monday 05:00
        let written = try #require(try await WeeklyReportService.writeIfDue(store: store, timeZone: utc, now: now))
        #expect(written.kind == "weekly" && written.to == to && written.from == to - week)
        #expect(written.text.contains("against the week before"))
        #expect(try await WeeklyReportService.writeIfDue(store: store, timeZone: utc, now: now + 3_600_000) == nil)
        #expect(try await WeeklyReportService.writeIfDue(store: store, timeZone: utc, now: now + week) != nil, "the next Monday, the next week")
        #expect(try await store.reports(kind: "weekly", limit: 10).count == 2)
    }
}

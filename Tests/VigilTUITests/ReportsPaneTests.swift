import Foundation
import Testing
@testable import VigilTUI
import VigilCore

@Suite struct ReportsPaneTests {
    let now = Fixtures.now

    func report(_ id: Int64, _ kind: String, lines: Int = 5) -> StoredReport {
        StoredReport(id: id, kind: kind, from: now - 86_400_000, to: now, createdAt: now,
                     text: (["Vigil \(kind) report", "", "ALERTS  3 fired"] + (0..<lines).map { "  line \($0)" }).joined(separator: "\n"),
                     json: #"{"insight": {"headline": "3 alerts fired (\#(kind))"}}"#)
    }

    @Test func listsReadsAndScrollsReports() throws {
        #expect(try CommandParser.parse(":reports") == .reports)
        let pane = ReportsPane()
        #expect(pane.pollInterest.reports)
        #expect(Fixtures.render(pane).text.contains("waiting for the first refresh"))
        _ = pane.receive(.reports([report(2, "weekly", lines: 80), report(1, "daily")]), now: now)
        var text = Fixtures.render(pane).text
        #expect(text.contains("Reports (2)") && text.contains("3 alerts fired (weekly)") && text.contains("daily"), "\(text)")
        _ = pane.keyMap.action(for: .char("w"))!.handler()
        _ = pane.receive(.reports([report(2, "weekly", lines: 80), report(1, "daily")]), now: now)
        #expect(pane.table.rows.map(\.report.id) == [2] && Fixtures.render(pane).text.contains("weekly only"))
        guard case .push(let p) = pane.keyMap.action(for: .enter)!.handler(), let view = p as? ReportViewPane else {
            Issue.record("Enter reads the report")
            return
        }
        text = Fixtures.render(view, height: 20).text
        #expect(text.contains("Weekly report 2") && text.contains("lines 1–18 of 83") && text.contains("ALERTS  3 fired"), "\(text)")
        _ = view.keyMap.action(for: .char("G"))!.handler()
        text = Fixtures.render(view, height: 20).text
        #expect(text.contains("line 79") && !text.contains("ALERTS"), "\(text)")
    }
}

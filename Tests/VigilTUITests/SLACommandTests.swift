import Foundation
import Testing
@testable import VigilTUI
import VigilCore
import VigilWire

/// `vigil sla`'s rows: worst budget first, figures as the command prints them.
@Suite struct SLACommandTests {
    @Test func rowsWorstBudgetFirst() throws {
        let now: Int64 = 100 * 86_400_000
        var history: [String: [CheckResult]] = [:]
        // `api` every minute for 2 days on one host, failing 2 minutes of the last hour; `db` always passing.
        for t in stride(from: now - 2 * 86_400_000, through: now, by: Int64.Stride(60_000)) {
            let apiOK = !(t >= now - 30 * 60_000 && t < now - 28 * 60_000)
            history["web-1", default: []] += [CheckResult(name: "api", kind: .http, target: "", ok: apiOK, latencyMs: 0, detail: "", ts: t),
                                              CheckResult(name: "db", kind: .tcp, target: "", ok: true, latencyMs: 0, detail: "", ts: t)]
        }
        let report = SLAReport.make(history, objective: 99.9, window: 7 * 86_400_000, matcher: nil, now: now)
        #expect(report.rows.map(\.check) == ["api", "db"])
        let api = report.rows[0].cells
        // 2 of 2,880 known minutes down: 99.931 %; allowed 2.88 minutes, 2 spent: 31 % left; 2/60 over the hour = 33.3×.
        #expect(api[0] == "api" && api[1] == "1" && api[2] == "99.931%" && api[4] == "met" && api[5] == "31%", "\(api)")
        #expect(api[6] == "33.3×" && api[7] == "5.6×" && api[8] == "2m", "\(api)")
        #expect(api[3] == "28.6%", "2 of 7 days known: \(api)")
        let json = report.rows[0].json
        #expect(json["check"] == "api" && json["met"] == true && json["down_ms"] == 120_000 && json["hosts"] == 1, "\(json.jsonText)")
        let only = SLAReport.make(history, objective: 99.9, window: 86_400_000, matcher: try StringMatcher.parse("=~d.*").get(), now: now)
        #expect(only.rows.map(\.check) == ["db"])
        #expect(only.rows[0].cells[5] == "100%" && only.rows[0].cells[6] == "0.0×")
    }
}

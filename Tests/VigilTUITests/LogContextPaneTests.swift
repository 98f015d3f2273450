import Foundation
import Testing
@testable import VigilTUI
import VigilCore
import VigilWire

@Suite struct LogContextPaneTests {
    let now = Fixtures.now

    func line(_ n: Int) -> StoredLog {
        StoredLog(id: Int64(n), host: "web-3", ts: now - Int64(100 - n) * 1000, source: "/var/log/nginx/error.log", level: n == 5 ? .error : .info,
                  message: n == 5 ? "upstream timed out" : "request \(n) ok")
    }

    @Test func theLineIsSelectedAndMarkedAmongItsNeighbours() throws {
        let pane = LogContextPane(line: line(5), query: try LogQuery.parse("timed", now: now))
        #expect(pane.pollInterest.logContext == line(5))
        var text = Fixtures.render(pane, height: 20).text
        #expect(text.contains("reading the lines around it"), "\(text)")
        #expect(pane.receive(.logs(.context(LogContextSnapshot(line: line(5), lines: (1...9).map(line), index: 4))), now: now))
        #expect(pane.table.selected?.id == 5)
        let canvas = Fixtures.render(pane, height: 20)
        text = canvas.text
        #expect(text.contains("web-3 · /var/log/nginx/error.log · around") && text.contains("(4 before, 4 after)"), "\(text)")
        let lines = canvas.lines()
        let y = try #require(lines.firstIndex { $0.contains("upstream timed out") })
        #expect(lines[y].contains("▸"), "\(lines[y])")
        #expect(lines.firstIndex { $0.contains("request 1 ok") }! < y && y < lines.firstIndex { $0.contains("request 9 ok") }!, "oldest first")
        // Enter on another line centres on it.
        _ = pane.keyMap.action(for: .char("j"))?.handler()
        guard case .refreshNow = pane.keyMap.action(for: .enter)!.handler() else {
            Issue.record("Enter on another line reads the lines around it")
            return
        }
        #expect(pane.pollInterest.logContext == line(6))
    }

    @Test func enterOnALineOpensItsContextAndAnAlertOpensItsHostsLogsAroundItsFiring() throws {
        let pane = LogsPane()
        _ = pane.toggleFollow(now: now)
        _ = pane.receive(.logs(.tail(LogTailUpdate(request: LogTailRequest(host: nil, query: ""), lines: [line(5)], dropped: 0, backlog: true, pushed: true))), now: now)
        guard case .push(let p) = pane.keyMap.action(for: .enter)!.handler(), let context = p as? LogContextPane else {
            Issue.record("Enter on a line pushes its context")
            return
        }
        #expect(context.line == line(5))

        let fired = now - 40 * 60_000
        let alert = StoredAlert(fingerprint: "f", rule: "HighErrorRate", severity: .critical, labels: ["host": "web-3"], annotations: [:],
                                state: "firing", value: nil, activeSince: fired - 60_000, firedAt: fired, lastEvaluated: now)
        let logs = LogsPane.around(alert, now: now)
        #expect(logs.host == "web-3" && logs.range == .h1)
        let from = (fired - 15 * 60_000) / 60_000 * 60_000
        let until = (fired + 15 * 60_000 + 59_999) / 60_000 * 60_000
        #expect(logs.linesMode == .search("since:\(RFC3339.format(from)) until:\(RFC3339.format(until))"))
        #expect(RFC3339.format(from).hasSuffix(":00Z"))
    }
}

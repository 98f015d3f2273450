import Foundation
import Testing
@testable import VigilTUI
import VigilCore
import VigilWire

/// The Services pane over a real SQLite store and a real topology file: a configured service with a failing check, a
/// service found from a check, the detail with hosts, checks and neighbours.
@Suite struct ServicesPaneTests {
    @Test func servicesFromAStoreAndATopologyFile() async throws {
        let dir = TempDir()
        let store = try SQLiteStore(path: dir.file("vigil.db"))
        let now = WallClock.nowMs()
        for host in ["web-1", "web-2"] {
            let checks = (0..<60).map { i in
                CheckResult(name: "checkout-http", kind: .http, target: "http://x", ok: !(host == "web-2" && i >= 55), latencyMs: 12, detail: "",
                            ts: now - Int64(59 - i) * 60_000)
            }
            _ = try await store.ingest(IngestBatch(host: host, labels: ["group": "web"], checks: checks), receivedAt: now)
        }
        _ = try await store.ingest(IngestBatch(host: "db-1", checks: [CheckResult(name: "pg", kind: .tcp, target: "x", ok: true, latencyMs: 1, detail: "",
                                                                                  ts: now)]), receivedAt: now)
        let file = dir.file("topology.yaml")
        try """
            services:
              - name: checkout
                match: {group: web}
                checks: [checkout-http]
                owner: payments-team
                slo: {availability: 99.9, window: 7d, latency: {below: 10ms, objective: 99}}
            links:
              - {from: web-1, to: db-1}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let pane = ServicesPane()
        #expect(pane.pollInterest.services)
        _ = pane.receive(await ServicesFetcher(configPath: file).fetch(store, now: now), now: now)
        #expect(pane.table.rows.map(\.name) == ["checkout", "pg"])
        let canvas = Fixtures.render(pane, width: 160, height: 12)
        #expect(canvas.text.contains("2 services · 0 down · 1 degraded") && canvas.text.contains("payments-team") && canvas.text.contains("1/2"),
                "\(canvas.text)")
        // Both objectives, and the lower budget: every result took 12 ms, over the latency objective's 10 ms.
        let checkout = try #require(pane.table.rows.first)
        #expect(ServicesPane.objectiveText(checkout) == "99.9/99 7d" && canvas.text.contains("99.9/99 7d"), "\(ServicesPane.objectiveText(checkout)) \(canvas.text)")
        #expect(ServicesPane.budget(checkout).objective == 99 && (ServicesPane.budget(checkout).remaining ?? 1) < 0)
        let narrow = Fixtures.render(pane, width: 80, height: 24)
        #expect(narrow.text.contains("checkout") && narrow.text.contains("degraded") && narrow.text.contains("99.9/99 7d"), "\(narrow.text)")
        guard case .push(let detail)? = pane.keyMap.action(for: .enter)?.handler() else {
            Issue.record("Enter opens no detail")
            return
        }
        let text = Fixtures.render(detail, width: 120, height: 24).text
        #expect(text.contains("owner payments-team") && text.contains("▶ web-1") && text.contains("1 of 2 failing now") && text.contains("needs: db-1"),
                "\(text)")
        // A broken file: the error is in the header, the services from checks remain.
        try "services: [oops]".write(toFile: file, atomically: true, encoding: .utf8)
        _ = pane.receive(await ServicesFetcher(configPath: file).fetch(store, now: now), now: now)
        #expect(Fixtures.render(pane, width: 200, height: 12).text.contains("topology.yaml:"))
        #expect(pane.table.rows.map(\.name) == ["checkout-http", "pg"])
    }
}

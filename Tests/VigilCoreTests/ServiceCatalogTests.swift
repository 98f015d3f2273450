import Testing
@testable import VigilCore
import VigilWire

/// Services: named in topology.yaml (hosts by list or label selector, checks), found from checks and from links'
/// ends; their status, latency, uptime and alerts from check results.
struct ServiceCatalogTests {
    @Test func theTopologyFileNamesServices() throws {
        let config = try TopologyConfig.parse(yaml: """
            services:
              - name: checkout
                hosts: [web-9]
                match: {group: web}
                checks: [checkout-http]
                owner: payments-team
                runbook: restart-php-fpm
            """, path: "topology.yaml")
        let s = try #require(config.services.first)
        #expect(s.name == "checkout" && s.hosts == ["web-9"] && s.checks == ["checkout-http"] && s.owner == "payments-team" && s.runbook == "restart-php-fpm")
        #expect(s.includes(HostSummary(name: "web-1", labels: ["group": "web"])) && s.includes(HostSummary(name: "web-9")))
        #expect(!s.includes(HostSummary(name: "db-1", labels: ["group": "data"])))
        do {
            _ = try TopologyConfig.parse(yaml: """
                services:
                  - name: a
                    hosts: [x]
                  - name: a
                    hosts: [y]
                  - name: empty
                  - name: b
                    match: {group: "=~(("}
                """, path: "topology.yaml")
            Issue.record("a bad services list parsed")
        } catch {
            #expect(error.description.contains("topology.yaml:4:11: service 'a' is defined twice"), "\(error.description)")
            #expect(error.description.contains("service 3 (empty) names no hosts, match or checks"), "\(error.description)")
            #expect(error.description.contains("label 'group'"), "\(error.description)")
        }
    }

    @Test func servicesFromTheFileChecksAndLinks() {
        let now: Int64 = 10 * 3_600_000
        var web2 = HostSummary(name: "web-2", labels: ["group": "web"])
        web2.status = .down
        let hosts = [HostSummary(name: "web-1", labels: ["group": "web"]), web2, HostSummary(name: "db-1")]
        // checkout-http every minute for two hours on web-1 (failing the last 6 minutes) and web-2; pg on db-1, fine.
        var history: [String: [CheckResult]] = [:]
        for i in 0..<120 {
            let ts = now - Int64(119 - i) * 60_000
            history["web-1", default: []].append(CheckResult(name: "checkout-http", kind: .http, target: "", ok: i < 114, latencyMs: Double(10 + i % 3), detail: "", ts: ts))
            history["web-2", default: []].append(CheckResult(name: "checkout-http", kind: .http, target: "", ok: true, latencyMs: 20, detail: "", ts: ts))
            history["db-1", default: []].append(CheckResult(name: "pg", kind: .tcp, target: "", ok: true, latencyMs: 1, detail: "", ts: ts))
        }
        var checkout = ServiceDefinition(name: "checkout")
        checkout.match = [LabelMatcher(label: "group", matcher: try! StringMatcher.parse("web").get())]
        checkout.checks = ["checkout-http", "checkout-typo"]
        let alert = StoredAlert(fingerprint: "f", rule: "PgSlow", severity: .critical, labels: ["service": "pg"], annotations: [:], state: "firing",
                                value: 0, activeSince: 0, lastEvaluated: 0)
        let graph = TopologyGraph.build(hosts: hosts, firing: [], configured: [TopologyLink(from: "web-1", to: "stripe", sources: [.configured])],
                                        discovered: [], accepted: [])
        let services = ServiceCatalog.services(definitions: [checkout], hosts: hosts, history: history, firing: [alert], graph: graph, now: now,
                                               window: 2 * 3_600_000, slots: 12)
        #expect(services.map(\.name) == ["checkout", "pg", "stripe"], "degraded first, then unknown… \(services.map { "\($0.name) \($0.status)" })")
        let c = services[0]
        #expect(c.origin == .configured && c.hosts == ["web-1", "web-2"] && c.hostsUp == 1 && c.results == 2 && c.failing == 1)
        #expect(c.status == .degraded && c.missingChecks == ["checkout-typo"])
        #expect(c.latency.count == 12 && c.latency.allSatisfy { $0 != nil } && c.lastLatency == 16, "\(c.latency) \(c.lastLatency ?? -1)")
        // 5 of 238 known host-minutes failing (the newest results stand for no time yet).
        #expect(abs((c.tally.availability ?? 0) - 233.0 / 238.0) < 0.001, "\(c.tally)")
        let pg = services[1]
        #expect(pg.origin == .checks && pg.hosts == ["db-1"] && pg.status == .degraded && pg.alerts == ["PgSlow"] && pg.severity == .critical)
        #expect(services[2].origin == .links && services[2].status == .unknown && services[2].hosts.isEmpty)
    }
}

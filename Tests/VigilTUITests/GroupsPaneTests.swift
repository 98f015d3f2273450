import Testing
@testable import VigilTUI
import VigilCore

/// The Groups pane: hosts aggregated per group label, alerts counted by severity, the worst group first, Enter showing
/// the group's hosts on the dashboard.
@Suite struct GroupsPaneTests {
    static let hosts: [HostSummary] = {
        var web1 = HostSummary(name: "web-1", labels: ["group": "web"])
        web1.health = 90
        web1.cpu = 40
        web1.disk = 50
        web1.checksTotal = 2
        var web2 = HostSummary(name: "web-2", labels: ["group": "web"])
        web2.health = 60
        web2.cpu = 80
        web2.disk = 85
        web2.checksTotal = 2
        web2.checksFailing = 1
        var db1 = HostSummary(name: "db-1", labels: ["group": "data"])
        db1.health = 100
        db1.cpu = 10
        var lone = HostSummary(name: "bastion", labels: [:])
        lone.health = 100
        lone.status = .down
        return [web1, web2, db1, lone]
    }()

    static func alert(_ host: String, _ severity: AlertSeverity, state: String = "firing") -> StoredAlert {
        StoredAlert(fingerprint: "fp-\(host)-\(severity)", rule: "R", severity: severity, labels: ["host": host], annotations: [:], state: state,
                    value: 0, activeSince: 0, lastEvaluated: 0)
    }

    @Test func groupsAggregateTheirHosts() {
        let rows = GroupRow.make(hosts: Self.hosts, firing: [Self.alert("web-2", .critical), Self.alert("web-1", .warning), Self.alert("db-1", .info, state: "pending")])
        #expect(rows.map(\.name) == ["web", "(no group)", "data"], "worst mean health first, then by name")
        let web = rows[0]
        #expect(web.hosts == 2 && web.health == 75 && web.cpu == 60 && web.disk == 85 && web.checksFailing == 1 && web.checksTotal == 4)
        #expect(web.critical == 1 && web.warning == 1 && web.info == 0 && web.worst == "web-2")
        #expect(rows[1].down == 1 && rows[1].hostFilter == "!^group=")
        #expect(rows[2].info == 0, "a pending alert is not counted")
        #expect(web.hostFilter == "^group=web$" && GroupRow(name: "a.b", hosts: 0, up: 0, down: 0, health: 0, critical: 0, warning: 0, info: 0,
                                                             cpuHistory: [], checksTotal: 0, checksFailing: 0).hostFilter == "^group=a\\.b$")
    }

    @Test func thePaneShowsGroupsAndOpensTheirHosts() throws {
        let pane = GroupsPane()
        _ = pane.receive(.fleet(FleetSnapshot(takenAt: 0, hosts: Self.hosts)), now: 0)
        _ = pane.receive(.alerts(AlertsSnapshot(takenAt: 0, active: [Self.alert("web-2", .critical)])), now: 0)
        let canvas = Fixtures.render(pane, width: 120, height: 12)
        #expect(canvas.text.contains("Groups (3)") && canvas.text.contains("1C") && canvas.text.contains("1/1") && canvas.text.contains("3/4") && canvas.text.contains("web-2"),
                "\(canvas.text)")
        let narrow = Fixtures.render(pane, width: 80, height: 24)
        #expect(narrow.text.contains("web") && narrow.text.contains("HEALTH"), "\(narrow.text)")
        guard case .showHosts(let filter)? = pane.keyMap.action(for: .enter)?.handler() else {
            Issue.record("Enter does not show the group's hosts")
            return
        }
        #expect(filter == "^group=web$")
        // The dashboard takes that filter: only the group's hosts.
        let matching = try RowFilter(filter)
        #expect(matching?.matches(["web-1", "group=web"]) == true && matching?.matches(["db-1", "group=data"]) == false)
        #expect(matching?.matches(["x", "group=webfront"]) == false)
    }

    /// Groups of topology.yaml by host list and by label selector: a host may be in several, the Groups pane counts it in
    /// each, and `/group=NAME` finds their hosts on the dashboard and their alerts in the alerts pane.
    @Test func definedGroupsByListAndSelectorFilterEverywhere() throws {
        let config = try TopologyConfig.parse(yaml: """
            groups:
              - name: edge
                hosts: [bastion, web-1]
              - name: stateful
                match: {group: data}
            """, path: "t.yaml")
        #expect(config.groups == [ServerGroup(name: "edge", hosts: ["bastion", "web-1"]),
                                  ServerGroup(name: "stateful", match: [try LabelMatcher.parse("group=data").get()])])
        let fleet = ServerGroup.assign(FleetSnapshot(takenAt: 0, hosts: Self.hosts), config.groups)
        #expect(fleet.hosts.map(\.groups) == [["web", "edge"], ["web"], ["data", "stateful"], ["edge"]])
        let rows = GroupRow.make(hosts: fleet.hosts, firing: [])
        #expect(Set(rows.map(\.name)) == ["web", "edge", "data", "stateful"], "no host is left without a group")
        #expect(rows.first { $0.name == "edge" }?.hosts == 2 && rows.first { $0.name == "web" }?.hosts == 2)
        // The dashboard: /group=edge shows bastion and web-1.
        let dashboard = DashboardPane()
        _ = dashboard.receive(.fleet(fleet), now: 0)
        #expect(try dashboard.applyFilter("group=edge")?.matching == 2)
        #expect(try dashboard.applyFilter("^group=stateful$")?.matching == 1)
        // The alerts pane: an alert on db-1 is in stateful.
        let alerts = AlertsPane(user: VigilUser(name: "alice", role: .operator, createdAt: 0))
        _ = alerts.receive(.fleet(fleet), now: 0)
        _ = alerts.receive(.alerts(AlertsSnapshot(takenAt: 0, active: [Self.alert("db-1", .critical), Self.alert("web-2", .warning)])), now: 0)
        #expect(try alerts.applyFilter("group=stateful")?.matching == 1)
        #expect(try alerts.applyFilter("group=web")?.matching == 1)
        func errors(_ yaml: String) -> [String] {
            do {
                _ = try TopologyConfig.parse(yaml: yaml, path: "t.yaml")
                return []
            } catch {
                return error.errors.map(\.description)
            }
        }
        #expect(errors("groups:\n  - name: a\n").first?.contains("names no hosts and no match") == true)
        #expect(errors("groups:\n  - name: a\n    hosts: [x]\n  - name: a\n    hosts: [y]\n").first?.contains("t.yaml:4:") == true)
        #expect(errors("groups:\n  - name: a\n    hots: [x]\n").first?.contains("hots") == true)
    }
}

import Foundation
import Testing
@testable import VigilTUI
import VigilCore
import VigilWire

/// The topology pane off-screen: a golden render of a small graph, every link drawn with its arrowhead, the keys
/// (selection along links, move and pin, isolate, alerts only, layouts, zoom), and the ASCII fallback.
@Suite struct TopologyPaneTests {
    static let hosts = ["lb-1", "web-1", "web-2", "db-1"].map { HostSummary(name: $0, labels: ["group": String($0.prefix { $0 != "-" })]) }

    static func snapshot(_ links: [TopologyLink]) -> TopologySnapshot {
        TopologySnapshot(takenAt: 0, configured: links, discovered: [], accepted: [], configError: nil)
    }

    static let links = [
        TopologyLink(from: "lb-1", to: "web-1", kind: .calls, sources: [.configured]),
        TopologyLink(from: "lb-1", to: "web-2", kind: .calls, sources: [.configured]),
        TopologyLink(from: "web-1", to: "db-1", sources: [.configured], details: ["configured: orders"]),
        TopologyLink(from: "web-2", to: "db-1", sources: [.configured]),
    ]

    static func firing(_ host: String, _ severity: AlertSeverity = .critical) -> AlertsSnapshot {
        let a = StoredAlert(fingerprint: "fp-\(host)", rule: "PostgresDown", severity: severity, labels: ["host": host], annotations: [:],
                            state: "firing", value: 0, activeSince: 0, lastEvaluated: 0)
        return AlertsSnapshot(takenAt: 0, active: [a], resolved: nil, silences: nil, capped: false)
    }

    static func pane(kind: TopologyLayoutKind = .layered, pinsPath: String? = nil) -> TopologyPane {
        let pane = TopologyPane(pinsPath: pinsPath, kind: kind)
        _ = pane.receive(.fleet(FleetSnapshot(takenAt: 0, hosts: hosts)), now: 0)
        _ = pane.receive(.topology(snapshot(links)), now: 0)
        return pane
    }

    @Test func aSmallGraphRendersAsExpected() {
        let pane = Self.pane()
        let canvas = Fixtures.render(pane, width: 60, height: 20)
        let golden = """
             4 nodes · 4 links · from configured · zoom 100%
            ┌─ Topology · layered ─────────────────────────────────────┐
            │      ┌──────┐                                            │
            │      │ lb-1 │                                            │
            │      └───┬──┘                                            │
            │    ┌─────┴─────┐                                         │
            │    │           │                                         │
            │    ▼           ▼                                         │
            │┌───────┐   ┌───────┐                                     │
            ││ web-1 │   │ web-2 │                                     │
            │└───┬───┘   └───┬───┘                                     │
            │    └──────┬────┘                                         │
            │           │                                              │
            │           ▼                                              │
            │       ┏━━━━━━┓                                           │
            │       ┃ db-1 ┃                                           │
            │       ┗━━━━━━┛                                           │
            └──────────────────────────────────────────────────────────┘
             db-1 · group db
             needs: nothing known · needed by: web-1, web-2
            """
        #expect(canvas.text == golden, "\n\(canvas.text)")
    }

    @Test func everyLinkIsDrawnWithAnArrowhead() {
        for kind in TopologyLayoutKind.allCases {
            let pane = Self.pane(kind: kind)
            var canvas = Canvas(width: 120, height: 40)
            let drawn = TopologyRenderer.draw(pane.model.visible, layout: pane.model.layout, view: pane.model.view, into: &canvas,
                                              in: Rect(x: 0, y: 0, width: 120, height: 40))
            #expect(drawn == 4, "\(kind)")
            let arrows = canvas.text.filter { "▼▲▶◀".contains($0) }.count
            // Two links into db-1 may share their last cell.
            #expect(arrows >= 3, "\(kind):\n\(canvas.text)")
            for name in ["lb-1", "web-1", "web-2", "db-1"] { #expect(canvas.text.contains(name), "\(kind): \(name)") }
        }
    }

    @Test func asciiWhenTheTerminalIsNotUTF8() {
        let pane = Self.pane()
        var canvas = Canvas(width: 60, height: 20, glyphs: .ascii)
        pane.render(into: &canvas, in: canvas.bounds, context: RenderContext(now: 0, glyphs: .ascii, focused: true))
        #expect(!canvas.text.contains { "─│┌┐└┘├┤┬┴┼▼▲▶◀•".contains($0) }, "\(canvas.text)")
        #expect(canvas.text.contains("| lb-1 |") && canvas.text.contains("v"), "\(canvas.text)")
    }

    @Test func selectionFollowsTheLinks() {
        let pane = Self.pane()
        pane.model.view.selected = "lb-1"
        func press(_ k: Key) { _ = pane.keyMap.action(for: k)?.handler() }
        press(.char("j"))
        #expect(pane.model.view.selected == "web-1" || pane.model.view.selected == "web-2")
        let web = pane.model.view.selected!
        press(web == "web-1" ? .char("l") : .char("h"))
        #expect(pane.model.view.selected == (web == "web-1" ? "web-2" : "web-1"))
        press(.down)
        #expect(pane.model.view.selected == "db-1")
        press(.char("k"))
        #expect(pane.model.view.selected?.hasPrefix("web-") == true)
        // Enter on a host opens its detail.
        if case .push(let p)? = pane.keyMap.action(for: .enter)?.handler() {
            #expect(p is HostDetailPane)
        } else {
            Issue.record("Enter did not open the host")
        }
    }

    @Test func anAlertColoursItsNodeAndLightsTheBlastRadius() throws {
        let pane = Self.pane()
        _ = pane.receive(.alerts(Self.firing("db-1")), now: 0)
        #expect(pane.model.view.radius == ["db-1", "web-1", "web-2", "lb-1"])
        #expect(pane.model.view.selected == "db-1", "the worst node is selected first")
        let canvas = Fixtures.render(pane, width: 100, height: 20)
        #expect(canvas.text.contains("blast radius: 4 nodes") && canvas.text.contains("firing: PostgresDown"), "\(canvas.text)")
        let dbRow = try #require(canvas.lines().firstIndex { $0.contains("┃ db-1 ┃") }, "the selection has a heavy border:\n\(canvas.text)")
        let x = canvas.lines()[dbRow].distance(of: "db-1")!
        #expect(canvas[x, dbRow].role == .critical || canvas[x, dbRow].role == .selection)
        // Lines of the radius are red.
        #expect((0..<canvas.height).contains { y in (0..<canvas.width).contains { canvas[$0, y].character == "▼" && canvas[$0, y].role == .critical } })
        // a: only nodes with alerts.
        _ = pane.keyMap.action(for: .char("a"))?.handler()
        #expect(pane.model.visible.nodes.map(\.id) == ["db-1"])
        _ = pane.keyMap.action(for: .char("a"))?.handler()
        #expect(pane.model.visible.nodes.count == 4)
    }

    @Test func isolateFindAndLayoutToggle() throws {
        let pane = Self.pane()
        pane.model.view.selected = "web-1"
        _ = pane.keyMap.action(for: .char("i"))?.handler()
        #expect(Set(pane.model.visible.nodes.map(\.id)) == ["lb-1", "web-1", "db-1"])
        _ = pane.keyMap.action(for: .char("i"))?.handler()
        #expect(pane.model.visible.nodes.count == 4)
        let found = try pane.applyFilter("web")
        #expect(found?.matching == 2 && found?.total == 4)
        #expect(pane.model.view.selected?.hasPrefix("web-") == true)
        _ = pane.keyMap.action(for: .char("t"))?.handler()
        #expect(pane.model.kind == .force && pane.model.layout.kind == .force)
        _ = pane.keyMap.action(for: .char("-"))?.handler()
        #expect(pane.model.view.zoom == 0.75)
        let small = Fixtures.render(pane, width: 80, height: 24)
        #expect(small.text.contains("[lb-1]") || small.text.contains("[lb-"), "\(small.text)")
    }

    @Test func moveAndPinAreSavedAndComeBack() throws {
        let dir = TempDir()
        let path = dir.file("state/vigil/topology-pins.json")
        let pane = Self.pane(pinsPath: path)
        pane.model.view.selected = "db-1"
        let before = pane.model.layout.boxes["db-1"]!
        func press(_ k: Key) { _ = pane.keyMap.action(for: k)?.handler() }
        press(.char("m"))
        #expect(pane.model.view.moving == "db-1")
        press(.char("l"))
        press(.char("l"))
        press(.char("j"))
        press(.enter)
        #expect(pane.model.view.moving == nil)
        let after = pane.model.layout.boxes["db-1"]!
        #expect(after.x == before.x + 4 && after.y == before.y + 1, "\(before) → \(after)")
        let saved = try TopologyPins.load(path: path)
        #expect(saved.layered["db-1"] == TopologyPoint(x: after.x, y: after.y))
        // A new pane with the saved pins puts db-1 there again.
        let again = TopologyPane(pins: saved, pinsPath: path, kind: .layered)
        _ = again.receive(.fleet(FleetSnapshot(takenAt: 0, hosts: Self.hosts)), now: 0)
        _ = again.receive(.topology(Self.snapshot(Self.links)), now: 0)
        #expect(again.model.layout.boxes["db-1"] == after)
        // u: back where the layout puts it, and the file forgets it.
        again.model.view.selected = "db-1"
        _ = again.keyMap.action(for: .char("u"))?.handler()
        #expect(again.model.layout.boxes["db-1"] == before)
        #expect(try TopologyPins.load(path: path).layered["db-1"] == nil)
        // A pins file that does not parse is an error that names it.
        try "not json".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConsoleError.self) { try TopologyPins.load(path: path) }
    }

    @Test func theAlertDetailNamesWhatTheHostNeedsAndWhatNeedsIt() {
        let alert = Self.firing("db-1").active[0]
        let pane = AlertDetailPane(alert: alert, user: AlertFixtures.alice)
        #expect(pane.pollInterest.topology)
        _ = pane.receive(.fleet(FleetSnapshot(takenAt: 0, hosts: Self.hosts)), now: 0)
        _ = pane.receive(.topology(Self.snapshot(Self.links)), now: 0)
        let canvas = Fixtures.render(pane, width: 160, height: 30)
        #expect(canvas.text.contains("upstream (it needs) nothing known  downstream (needs it) lb-1, web-1, web-2"), "\(canvas.text)")
        let web = AlertDetailPane(alert: Self.firing("web-1").active[0], user: AlertFixtures.alice)
        _ = web.receive(.fleet(FleetSnapshot(takenAt: 0, hosts: Self.hosts)), now: 0)
        _ = web.receive(.topology(Self.snapshot(Self.links)), now: 0)
        #expect(Fixtures.render(web, width: 160, height: 30).text.contains("upstream (it needs) db-1  downstream (needs it) lb-1"))
    }

    @Test func bigFleetsOpenWithGroupsFolded() {
        let hosts = (0..<60).map { HostSummary(name: "h-\($0)", labels: ["group": "g\($0 / 20)"]) }
        let pane = TopologyPane(kind: .force)
        _ = pane.receive(.fleet(FleetSnapshot(takenAt: 0, hosts: hosts)), now: 0)
        _ = pane.receive(.topology(Self.snapshot([TopologyLink(from: "h-1", to: "h-30", sources: [.configured])])), now: 0)
        #expect(pane.model.visible.nodes.map(\.id) == ["group:g0", "group:g1", "group:g2"])
        #expect(pane.model.visible.links.count == 1)
        pane.model.view.selected = "group:g1"
        _ = pane.keyMap.action(for: .enter)?.handler()
        #expect(pane.model.visible.nodes.count == 22 && pane.model.view.selected == "h-20")
        let canvas = Fixtures.render(pane, width: 160, height: 48)
        #expect(canvas.text.contains("g0 (20)") && canvas.text.contains("2 groups folded"), "\(canvas.text)")
    }
}

private extension String {
    /// The column of the first `needle`, counting characters.
    func distance(of needle: String) -> Int? {
        guard let r = range(of: needle) else { return nil }
        return self.distance(from: startIndex, to: r.lowerBound)
    }
}

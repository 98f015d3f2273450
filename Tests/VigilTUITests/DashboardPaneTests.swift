import VigilTheme
import Testing
@testable import VigilTUI
import VigilCore

@Suite struct DashboardPaneTests {
    @Test func rendersSummaryAndEveryColumn() {
        let canvas = Fixtures.render(Fixtures.dashboard())
        let text = canvas.text
        let lines = canvas.lines()
        #expect(lines[0].contains("5 hosts  3 up  1 stale  1 down   mean health 61   worst batch-1 (10)"), "\(text)")
        #expect(lines[0].contains("3 checks failing"))
        #expect(lines[1].contains("Hosts (5)"))
        let header = lines[2]
        for title in ["NAME", "HEALTH▲", "STATUS", "CPU%", "MEM%", "DISK%", "LOAD", "CPU", "MEM", "CHECKS", "ERRS", "LAST SEEN", "LABELS"] {
            #expect(header.contains(title), "missing \(title) in \(header)")
        }
        let rows = lines.dropFirst(3)
        let web2 = rows.first { $0.contains("web-2") }!
        for value in ["71", "up", "88.1", "62.0", "81.0", "3.10", "2/3", "4", "now", "env=prod role=web"] {
            #expect(web2.contains(value), "missing \(value) in \(web2)")
        }
        let db1 = rows.first { $0.contains("db-1") }!
        #expect(db1.contains("stale") && db1.contains("4m") && db1.contains("0/2") && db1.contains("12.4"))
        let batch = rows.first { $0.contains("batch-1") }!
        #expect(batch.contains("down") && batch.contains("2h") && batch.contains(" - "))
        // web-1's history 0,25,50,75,100 as braille, newest at the right edge of the 16-cell column.
        let web1 = rows.first { $0.contains("web-1") }!
        #expect(web1.contains("\u{2800}\u{2800}⢀⣴⣾ "), "\(web1)")
    }

    @Test func defaultSortIsWorstHealthFirst() {
        let canvas = Fixtures.render(Fixtures.dashboard())
        #expect(Fixtures.hostOrder(canvas) == ["batch-1", "db-1", "web-2", "web-1", "cache-1"])
    }

    @Test func healthIsColouredByThreshold() {
        let pane = Fixtures.dashboard()
        let canvas = Fixtures.render(pane)
        func role(of host: String, value: String) -> Role {
            let y = canvas.lines().indices.dropFirst(3).first { canvas.lines()[$0].contains(host) }!
            let x = canvas.lines()[y].range(of: " \(value) ").map { canvas.lines()[y].distance(from: canvas.lines()[y].startIndex, to: $0.lowerBound) + 1 }!
            return canvas[x, y].role
        }
        #expect(role(of: "web-1", value: "92") == .ok)
        #expect(role(of: "web-2", value: "71") == .warning)
        #expect(role(of: "db-1", value: "34") == .critical)
    }

    @Test func sortCyclesColumnsAndShowsIndicator() {
        let pane = Fixtures.dashboard()
        pane.table.sort(by: DashboardPane.Column.name.rawValue)
        var canvas = Fixtures.render(pane)
        #expect(canvas.lines()[2].contains("NAME▲"))
        #expect(Fixtures.hostOrder(canvas) == ["batch-1", "cache-1", "db-1", "web-1", "web-2"])
        pane.table.sort(by: DashboardPane.Column.cpu.rawValue)
        canvas = Fixtures.render(pane)
        #expect(canvas.lines()[2].contains("CPU%▼"))
        #expect(Fixtures.hostOrder(canvas) == ["db-1", "web-2", "web-1", "cache-1", "batch-1"])
        // `s` moves to the next sortable column (MEM%, highest first).
        let action = pane.keyMap.action(for: .char("s"))!
        _ = action.handler()
        canvas = Fixtures.render(pane)
        #expect(canvas.lines()[2].contains("MEM%▼"))
        _ = pane.keyMap.action(for: .char("S"))!.handler()
        #expect(Fixtures.render(pane).lines()[2].contains("MEM%▲"))
    }

    @Test func filterMatchesNamesAndLabelsAndInverts() throws {
        let pane = Fixtures.dashboard()
        #expect(try pane.applyFilter("web")! == (2, 5))
        #expect(Set(Fixtures.hostOrder(Fixtures.render(pane))) == ["web-1", "web-2"])
        #expect(Fixtures.render(pane).lines()[1].contains("Hosts (2 of 5) /web"))
        #expect(try pane.applyFilter("env=staging")!.matching == 2)
        #expect(Set(Fixtures.hostOrder(Fixtures.render(pane))) == ["cache-1", "batch-1"])
        #expect(try pane.applyFilter("!env=prod")!.matching == 2)
        #expect(try pane.applyFilter("^(web|db)-[0-9]$")!.matching == 3)
        #expect(try pane.applyFilter("WEB")!.matching == 0) // smart case: an upper-case letter makes it case-sensitive
        #expect(try pane.applyFilter("nothing-here")!.matching == 0)
        #expect(Fixtures.render(pane).text.contains("no row matches /nothing-here"))
        #expect(throws: CommandError.self) { try pane.applyFilter("web[") }
        #expect(try pane.applyFilter("")!.matching == 5)
    }

    @Test func selectionFollowsIdentityAcrossResortAndRefresh() {
        let pane = Fixtures.dashboard()
        pane.table.select(id: "web-2")
        #expect(pane.table.selectedIndex == 2)
        pane.table.sort(by: DashboardPane.Column.name.rawValue)
        #expect(pane.table.selected?.name == "web-2")
        #expect(pane.table.selectedIndex == 4)
        // A refresh where web-2 got worse and moves: the selection stays on web-2.
        pane.table.sort(by: DashboardPane.Column.health.rawValue, descending: false)
        var hosts = Fixtures.fleet.hosts
        hosts[1].health = 5
        _ = pane.receive(.fleet(FleetSnapshot(takenAt: Fixtures.now + 2_000, hosts: hosts)), now: Fixtures.now + 2_000)
        #expect(pane.table.selected?.name == "web-2")
        #expect(pane.table.selectedIndex == 0)
        let canvas = Fixtures.render(pane)
        let selectedLine = canvas.lines().first { $0.contains("▶") }!
        #expect(selectedLine.contains("web-2"))
        // The changed row is highlighted briefly.
        #expect(pane.table.isRecentlyChanged("web-2", now: Fixtures.now + 2_500))
        #expect(!pane.table.isRecentlyChanged("web-2", now: Fixtures.now + 60_000))
        #expect(!pane.table.isRecentlyChanged("web-1", now: Fixtures.now + 2_500))
    }

    /// The first frame comes before the figures (every host healthy, sorted by name); when they arrive the worst
    /// hosts sort to the top and must be on screen with the selection on the first of them, not scrolled above a
    /// first-drawn host that kept its place. Once the user moves, the selection follows its row again.
    @Test func untilTheUserMovesTheSelectionStaysOnTheFirstRow() {
        let pane = Fixtures.dashboard()
        var hosts = Fixtures.fleet.hosts
        for i in hosts.indices { hosts[i].health = 100 }
        _ = pane.receive(.fleet(FleetSnapshot(takenAt: Fixtures.now, hosts: hosts)), now: Fixtures.now)
        let first = pane.table.visible[0].name
        #expect(pane.table.selected?.name == first && pane.table.offset == 0)
        let worst = hosts.first { $0.name != first }!.name
        hosts[hosts.firstIndex { $0.name == worst }!].health = 5
        _ = pane.receive(.fleet(FleetSnapshot(takenAt: Fixtures.now + 2_000, hosts: hosts)), now: Fixtures.now + 2_000)
        #expect(pane.table.visible[0].name == worst)
        #expect(pane.table.selected?.name == worst && pane.table.offset == 0)
        let top = Fixtures.render(pane).lines().first { $0.contains("▶") }!
        #expect(top.contains(worst), "\(top)")
        // The user moves down one row: from now on the selection follows that host.
        pane.table.moveSelection(by: 1)
        let chosen = pane.table.selected!.name
        hosts[hosts.firstIndex { $0.name == chosen }!].health = 1
        _ = pane.receive(.fleet(FleetSnapshot(takenAt: Fixtures.now + 4_000, hosts: hosts)), now: Fixtures.now + 4_000)
        #expect(pane.table.selected?.name == chosen && pane.table.selectedIndex == 0)
    }

    @Test func filterHidingTheSelectionSelectsTheFirstMatch() throws {
        let pane = Fixtures.dashboard()
        pane.table.select(id: "web-2")
        _ = try pane.applyFilter("db|cache")
        #expect(pane.table.selected?.name == "db-1")
        _ = try pane.applyFilter("")
        #expect(pane.table.selected?.name == "db-1")
    }

    @Test func vanishedSelectionMovesToNeighbour() {
        let pane = Fixtures.dashboard()
        pane.table.select(id: "web-2")
        let hosts = Fixtures.fleet.hosts.filter { $0.name != "web-2" }
        _ = pane.receive(.fleet(FleetSnapshot(takenAt: Fixtures.now, hosts: hosts)), now: Fixtures.now)
        #expect(pane.table.selected?.name == "web-1")
    }

    @Test func navigationKeys() {
        let pane = Fixtures.dashboard()
        let map = pane.keyMap
        #expect(pane.table.selected?.name == "batch-1")
        _ = map.action(for: .char("j"))!.handler()
        _ = map.action(for: .down)!.handler()
        #expect(pane.table.selected?.name == "web-2")
        _ = map.action(for: .char("G"))!.handler()
        #expect(pane.table.selected?.name == "cache-1")
        _ = map.action(for: .char("g"))!.handler()
        #expect(pane.table.selected?.name == "batch-1")
        _ = map.action(for: .pageDown)!.handler()
        #expect(pane.table.selected?.name == "cache-1")
        guard case .push(let detail) = map.action(for: .enter)!.handler() else {
            Issue.record("Enter should push the host detail")
            return
        }
        #expect((detail as? HostDetailPane)?.name == "cache-1")
    }

    @Test func scrollsToKeepSelectionVisible() {
        let hosts = (1...40).map { Fixtures.host(String(format: "node-%02d", $0), health: 100 - $0) }
        let pane = Fixtures.dashboard(FleetSnapshot(takenAt: Fixtures.now, hosts: hosts))
        pane.table.sort(by: DashboardPane.Column.name.rawValue)
        _ = Fixtures.render(pane, height: 12) // 12 rows: summary, box, header → 8 body rows
        pane.table.selectLast()
        let canvas = Fixtures.render(pane, height: 12)
        #expect(canvas.text.contains("▶node-40"))
        #expect(!canvas.text.contains("node-01"))
    }

    @Test func asciiFallback() {
        let canvas = Fixtures.render(Fixtures.dashboard(), glyphs: .ascii)
        let text = canvas.text
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII }, "\(text)")
        #expect(canvas.lines()[1].hasPrefix("+- Hosts (5) "))
        #expect(canvas.lines()[2].contains("HEALTH^"))
        let web1 = canvas.lines().dropFirst(3).first { $0.contains("web-1") }!
        #expect(web1.contains("           .-+#@ "), "\(web1)")
    }

    @Test func narrowTerminalDropsLowPriorityColumns() {
        let canvas = Fixtures.render(Fixtures.dashboard(), width: 60)
        let header = canvas.lines()[2]
        #expect(header.contains("NAME") && header.contains("HEALTH") && header.contains("LAST SEEN"))
        #expect(!header.contains("LABELS") && !header.contains("ERRS"))
    }

    @Test func emptyAndLoadingStates() {
        let loading = Fixtures.render(DashboardPane())
        #expect(loading.text.contains("waiting for the first refresh"))
        let empty = Fixtures.render(Fixtures.dashboard(FleetSnapshot(takenAt: Fixtures.now, hosts: [])))
        #expect(empty.text.contains("no hosts yet"))
    }
}

import Testing
@testable import VigilTUI
import VigilCore

@Suite struct HostDetailPaneTests {
    func loaded() -> HostDetailPane {
        let pane = HostDetailPane(name: "web-2", summary: Fixtures.fleet.hosts[1])
        _ = pane.receive(.detail(name: "web-2", Fixtures.detail), now: Fixtures.now)
        return pane
    }

    @Test func headerShowsAgentLabelsFreshnessAndHealth() {
        let text = Fixtures.render(loaded(), height: 40).text
        #expect(text.contains("web-2 · up"), "\(text)")
        #expect(text.contains("health 71  status up  last seen 3s ago  first seen 5d ago  checks 1/3 failing  errors (15m) 4"))
        #expect(text.contains("agent v0.3.1  Debian 12  kernel 6.1.0  x86_64  4 cpus  8.0 GiB RAM"))
        #expect(text.contains("labels env=prod role=web"))
        #expect(text.contains("cpu 88.1%  mem 62.0%  disk 81.0%  load 3.10"))
    }

    @Test func seriesChecksAndLogsSections() {
        let canvas = Fixtures.render(loaded(), height: 40)
        let text = canvas.text
        #expect(text.contains("1 Series (4)") && text.contains("2 Checks (2)") && text.contains("3 Logs (2)"))
        let line = { (needle: String) in canvas.lines().first { $0.contains(needle) } ?? "" }
        #expect(line("cpu.usage_percent").contains("88.1%"))
        #expect(line("net.rx_bytes_per_s").contains("1.5 MiB/s") && line("net.rx_bytes_per_s").contains("iface=eth0"))
        #expect(line("mem.available_bytes").contains("3.5 GiB"))
        #expect(line("uptime.seconds").contains("3d 4h"))
        #expect(line("cpu.usage_percent").contains("⢀⣾ ")) // 10, 50, 90 on 0-100
        let postgres = line("db-1:5432")
        #expect(postgres.contains("FAIL") && postgres.contains("3.0 s") && postgres.contains("7 runs") && postgres.contains("connection timed out"))
        #expect(line("http://localhost/health").contains("ok") && line("http://localhost/health").contains("12 ms"))
        // Checks: failing first. Logs: newest first, level coloured.
        #expect(canvas.lines().firstIndex { $0.contains("db-1:5432") }! < canvas.lines().firstIndex { $0.contains("http://localhost/health") }!)
        let errorRow = canvas.lines().firstIndex { $0.contains("upstream timed out") }!
        #expect(errorRow < canvas.lines().firstIndex { $0.contains("GET /health 200") }!)
        let x = canvas.lines()[errorRow].range(of: "ERROR").map { canvas.lines()[errorRow].distance(from: canvas.lines()[errorRow].startIndex, to: $0.lowerBound) }!
        #expect(canvas[x, errorRow].role == .critical)
    }

    @Test func tabMovesFocusBetweenSections() throws {
        let pane = loaded()
        #expect(pane.focus == .series)
        #expect(pane.focusNext())
        #expect(pane.focus == .checks)
        _ = pane.keyMap.action(for: .char("j"))!.handler()
        #expect(pane.checks.selected?.name == "nginx")
        #expect(pane.series.selected?.name == "cpu.usage_percent")
        _ = pane.focusNext()
        _ = pane.focusNext()
        #expect(pane.focus == .processes)
        _ = pane.focusNext()
        #expect(pane.focus == .series)
        _ = pane.keyMap.action(for: .char("3"))!.handler()
        #expect(pane.focus == .logs)
        #expect(try pane.applyFilter("upstream")! == (1, 2))
    }

    @Test func loadingUnknownAndErrorStates() {
        let loading = HostDetailPane(name: "web-9")
        #expect(Fixtures.render(loading).text.contains("loading web-9…"))
        _ = loading.receive(.detail(name: "web-9", nil), now: Fixtures.now)
        #expect(Fixtures.render(loading).text.contains("unknown host web-9"))
        let failing = HostDetailPane(name: "web-2", summary: Fixtures.fleet.hosts[1])
        _ = failing.receive(.detailError(name: "web-2", "database is locked"), now: Fixtures.now)
        #expect(Fixtures.render(failing, height: 30).text.contains("database is locked"))
        // Another host's detail is not ours.
        #expect(!failing.receive(.detail(name: "web-1", Fixtures.detail), now: Fixtures.now))
    }

    @Test func smallHeightShowsOnlyTheFocusedSection() {
        let canvas = Fixtures.render(loaded(), width: 80, height: 12)
        let text = canvas.text
        #expect(text.contains("1 Series (4)"))
        #expect(!text.contains("3 Logs"))
    }
}

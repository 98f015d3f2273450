import VigilCore
import VigilTheme

/// Server groups (`:groups`): one row per group (a `group` label's value, or a group of `topology.yaml` by host list or
/// label selector) with its hosts up and down, mean health, firing alerts
/// by severity, mean CPU, memory and load, the fullest disk, failing checks, a CPU trend and the worst host. `Enter`
/// shows the group's hosts on the dashboard (the filter `/^group=NAME$`, which works on any host list).
final class GroupsPane: Pane {
    let table: TableView<GroupRow>
    private var hosts: [HostSummary]?
    private var firing: [StoredAlert] = []

    init() {
        table = TableView(columns: GroupsPane.columns(), sortColumn: nil,
                          emptyMessage: "no hosts yet: start an agent (deploy/agent.example.yaml); a group label (labels: {group: web}) groups them") { row in
            [row.name, row.worst ?? ""]
        }
    }

    var title: String { "groups" }
    var rowNoun: String { "group" }
    var filterText: String { table.filterText }
    var knownHosts: [String] { hosts?.map(\.name) ?? [] }

    var keyMap: KeyMap {
        let section = "Groups"
        let own = [
            KeyAction([.enter, .char("l"), .right], "hosts", section: section) { [self] in
                guard let row = table.selected else { return .message("no group selected", isError: false) }
                return .showHosts(filter: row.hostFilter)
            },
        ]
        return KeyMap(own).merged(over: KeyMap(table.keyActions(section: section)))
    }

    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)? {
        (try table.setFilter(text), table.rows.count)
    }

    func receive(_ message: ConsoleMessage, now: Int64) -> Bool {
        switch message {
        case .fleet(let s):
            hosts = s.hosts
        case .alerts(let a):
            firing = a.active.filter { $0.state == "firing" }
        default:
            return false
        }
        if let hosts { table.setRows(GroupRow.make(hosts: hosts, firing: firing), now: now) }
        return true
    }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {
        guard rect.height >= 3 else { return }
        var title = "Groups (\(table.rows.count))"
        if !table.filterText.isEmpty { title += table.countTitle }
        canvas.box(rect, title: title, role: context.focused ? .borderFocus : .border)
        table.render(orWaiting: hosts != nil, error: nil, into: &canvas, in: rect.inset(1), focused: context.focused, now: context.now)
    }

    static func columns() -> [TableColumn<GroupRow>] {
        func optionalLess(_ a: Double?, _ b: Double?) -> Bool { (a ?? -1) < (b ?? -1) }
        return [
            .text("GROUP", width: 8, flexible: true, maxWidth: 24, priority: 100, ascending: { $0.name < $1.name }) { $0.name },
            .text("HOSTS", width: 5, alignRight: true, priority: 90, ascending: { $0.hosts < $1.hosts }, descendingFirst: true) { String($0.hosts) },
            .text("UP", width: 7, alignRight: true, priority: 85, role: { $0.down > 0 ? .critical : $0.up < $0.hosts ? .warning : .ok }) {
                "\($0.up)/\($0.hosts)"
            },
            .text("HEALTH", width: 6, alignRight: true, priority: 95, role: { Format.healthRole($0.health) }, ascending: { $0.health < $1.health }) {
                String($0.health)
            },
            TableColumn("ALERTS", width: 9, priority: 92, ascending: { ($0.critical, $0.warning, $0.info) < ($1.critical, $1.warning, $1.info) },
                        descendingFirst: true) { row, _ in
                guard row.critical + row.warning + row.info > 0 else { return [Span("-", .muted)] }
                var spans: [Span] = []
                if row.critical > 0 { spans.append(Span("\(row.critical)C ", .critical, [.bold])) }
                if row.warning > 0 { spans.append(Span("\(row.warning)W ", .warning)) }
                if row.info > 0 { spans.append(Span("\(row.info)I", .info)) }
                return spans
            },
            .text("CPU%", width: 5, alignRight: true, priority: 70, ascending: { optionalLess($0.cpu, $1.cpu) }, descendingFirst: true) { Format.percent($0.cpu) },
            .text("MEM%", width: 5, alignRight: true, priority: 69, ascending: { optionalLess($0.memory, $1.memory) }, descendingFirst: true) {
                Format.percent($0.memory)
            },
            .text("DISK%", width: 5, alignRight: true, priority: 68, role: { ($0.disk ?? 0) >= 90 ? .critical : (($0.disk ?? 0) >= 80 ? .warning : .text) },
                  ascending: { optionalLess($0.disk, $1.disk) }, descendingFirst: true) { Format.percent($0.disk) },
            .text("LOAD", width: 5, alignRight: true, priority: 55, ascending: { optionalLess($0.load, $1.load) }, descendingFirst: true) {
                Format.load($0.load)
            },
            TableColumn("CPU", width: 16, priority: 40) { row, ctx in
                [Span(Sparkline.render(row.cpuHistory, width: ctx.width, unicode: ctx.glyphs.isUnicode, range: 0...100), .sparkline)]
            },
            .checks(failing: \.checksFailing, total: \.checksTotal),
            .text("WORST", width: 8, flexible: true, maxWidth: 24, priority: 60, role: { _ in .muted }) { $0.worst ?? "" },
        ]
    }
}

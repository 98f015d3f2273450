import Testing
@testable import VigilTUI

/// A pane with a dangerous action, to prove `--readonly` drops it.
final class DangerousPane: Pane {
    let title = "danger"
    var restarted = false
    var keyMap: KeyMap {
        KeyMap([
            KeyAction([.char("R")], "restart the service", section: "Danger", dangerous: true) { [self] in
                restarted = true
                return .redraw
            },
            KeyAction([.char("x")], "harmless", section: "Danger") { .redraw },
        ])
    }
    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext) {}
}

@Suite struct KeyMapTests {
    @Test func paneKeysShadowGlobalKeys() {
        var hits: [String] = []
        let global = KeyMap([
            KeyAction([.char("q"), .ctrl("c")], "quit", section: "Global") { hits.append("global-q"); return .quit },
            KeyAction([.char("?")], "help", section: "Global") { .redraw },
        ])
        let pane = KeyMap([KeyAction([.char("q")], "close", section: "Pane") { hits.append("pane-q"); return .pop }])
        let merged = pane.merged(over: global)
        _ = merged.action(for: .char("q"))!.handler()
        _ = merged.action(for: .ctrl("c"))!.handler()
        #expect(hits == ["pane-q", "global-q"])
        #expect(merged.actions.map(\.title) == ["close", "quit", "help"])
        #expect(merged.actions[1].keys == [.ctrl("c")])
    }

    @Test func readonlyDropsDangerousActions() {
        let pane = DangerousPane()
        let normal = ConsoleController(readOnly: false, root: pane)
        #expect(normal.mergedMap.action(for: .char("R")) != nil)
        let readonly = ConsoleController(readOnly: true, root: pane)
        #expect(readonly.mergedMap.action(for: .char("R")) == nil)
        #expect(readonly.mergedMap.action(for: .char("x")) != nil)
        readonly.handle(.char("R"), now: Fixtures.now)
        #expect(!pane.restarted)
        normal.handle(.char("R"), now: Fixtures.now)
        #expect(pane.restarted)
        // Help and hints come from the same map: neither mentions the dropped action.
        let help = HelpPane(documenting: readonly.mergedMap)
        #expect(!Fixtures.render(help, width: 100, height: 40).text.contains("restart the service"))
        #expect(Fixtures.render(HelpPane(documenting: normal.mergedMap), width: 100, height: 40).text.contains("restart the service (changes things)"))
        var canvas = Canvas(width: 100, height: 20)
        readonly.render(into: &canvas, now: Fixtures.now)
        #expect(canvas.text.contains("READ-ONLY"))
        #expect(!canvas.lines()[18].contains("restart"))
    }

    @Test func helpOverlayListsEveryKeyOfTheMergedMap() {
        let controller = ConsoleController(root: Fixtures.dashboard())
        controller.handle(.char("?"), now: Fixtures.now)
        guard let help = controller.top as? HelpPane else {
            Issue.record("? should open help")
            return
        }
        let merged = help.documented
        let text = Fixtures.render(help, width: 100, height: 80).text
        for action in merged.actions {
            #expect(text.contains(action.keyLabel), "help lacks \(action.keyLabel)")
            #expect(text.contains(action.title), "help lacks \(action.title)")
        }
        let labels = merged.allKeys.map(\.label)
        for key in ["Enter", "l", "Right", "j", "Down", "k", "Up", "PgDn", "PgUp", "Ctrl-F", "Ctrl-B", "g", "Home", "G", "End",
                    "s", ">", "<", "S", "/", ":", "?", "F1", "Tab", "r", "Ctrl-R", "Esc", "q", "Ctrl-L", "Ctrl-C"] {
            #expect(labels.contains(key), "merged map lacks \(key)")
        }
        for label in ["Enter/l/Right", "j/Down", "PgDn/Ctrl-F", "G/End", "s/>", "?/F1", "r/Ctrl-R", "Esc/h/Left", "Ctrl-L"] {
            #expect(text.contains(label), "help lacks \(label)")
        }
        #expect(text.contains("Hosts") && text.contains("Global") && text.contains(":host NAME"))
        #expect(text.contains(">=80 ok"))
        // Esc closes it.
        controller.handle(.escape, now: Fixtures.now)
        #expect(controller.top is DashboardPane)
    }

    @Test func hintLineIsGeneratedFromTheMergedMap() {
        let controller = ConsoleController(root: Fixtures.dashboard())
        var canvas = Canvas(width: 120, height: 30)
        controller.render(into: &canvas, now: Fixtures.now)
        let hints = canvas.lines()[28]
        #expect(hints.contains("Enter open host  L fleet logs  s sort  / filter  : command  ? help  q quit"), "\(hints)")
        let shown = controller.mergedMap.hints.map(\.title)
        #expect(shown == ["open host", "fleet logs", "sort", "filter", "command", "help", "quit"])
        // In a detail view, q means back and Esc is offered.
        controller.handle(.enter, now: Fixtures.now)
        #expect(controller.mergedMap.hints.map(\.title) == ["next section", "chat", "chart", "sort", "filter", "command", "help", "back"])
    }
}

/// One entry of a key map: the keys that trigger it, what it is called, and what it does.
struct KeyAction {
    /// The keys bound to the action; the first is the one the hint line shows.
    var keys: [Key]
    /// A short description for the hint line and the help overlay.
    var title: String
    /// Whether the hint line lists it (help always lists every action).
    var shownInHints: Bool
    /// Whether the action changes something outside the console; `--readonly` drops these.
    var dangerous: Bool
    /// The help section the action is listed under ("Global", a pane's title).
    var section: String
    var handler: () -> Reaction

    init(_ keys: [Key], _ title: String, section: String = "", shownInHints: Bool = true, dangerous: Bool = false,
         handler: @escaping () -> Reaction) {
        self.keys = keys
        self.title = title
        self.shownInHints = shownInHints
        self.dangerous = dangerous
        self.section = section
        self.handler = handler
    }

    /// `t` / `]` for the next (longer) time range and `[` for the previous one, as the audit and SLA panes cycle
    /// theirs: `step(+1)` or `step(-1)`, then a refresh.
    static func rangeCycle(section: String, title: String = "range", _ step: @escaping (Int) -> Void) -> [KeyAction] {
        [
            KeyAction([.char("t"), .char("]")], title, section: section) { step(1); return .refreshNow },
            KeyAction([.char("[")], "shorter \(title)", section: section, shownInHints: false) { step(-1); return .refreshNow },
        ]
    }

    /// The keys as help shows them, e.g. `j/Down`.
    var keyLabel: String { keys.map(\.label).joined(separator: "/") }
}

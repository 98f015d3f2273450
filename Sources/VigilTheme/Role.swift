/// A semantic role a cell is drawn in. Themes map roles to colours and attributes.
public enum Role: String, CaseIterable, Hashable, Sendable {
    case text
    case muted
    case title
    case border
    case borderFocus = "border-focus"
    case selection
    case header
    case hintKey = "hint-key"
    case hintText = "hint-text"
    case status
    case error
    case ok
    case warning
    case critical
    case info
    case sparkline
    case changed
    case command

    /// The related role a theme's missing role falls back to before the built-in default.
    public var parent: Role? {
        switch self {
        case .text, .title, .selection, .ok, .warning, .critical, .info, .muted: nil
        case .border: .muted
        case .borderFocus: .title
        case .header: .title
        case .hintKey: .title
        case .hintText: .muted
        case .status: .text
        case .error: .critical
        case .sparkline: .info
        case .changed: .warning
        case .command: .text
        }
    }

    /// What the role is for, as docs and error messages say it.
    public var summary: String {
        switch self {
        case .text: "ordinary text"
        case .muted: "secondary text: units, timestamps, debug logs"
        case .title: "pane and box titles"
        case .border: "box borders"
        case .borderFocus: "the border of the focused box"
        case .selection: "the selected row"
        case .header: "table column headers"
        case .hintKey: "keys in the hint line and help"
        case .hintText: "key descriptions in the hint line"
        case .status: "the status line"
        case .error: "error messages on the status line"
        case .ok: "health >= 80, passing checks, up hosts"
        case .warning: "health 50-79, stale hosts, warning logs"
        case .critical: "health < 50, failing checks, down hosts, error logs"
        case .info: "informational values, info logs"
        case .sparkline: "sparklines"
        case .changed: "rows whose values just changed"
        case .command: "the command and filter line"
        }
    }
}

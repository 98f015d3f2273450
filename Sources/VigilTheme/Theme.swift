/// A named set of role styles. Roles a theme leaves out fall back to a related role of the same theme, then to
/// the built-in default theme.
public struct Theme: Equatable, Sendable {
    public var name: String
    /// The roles this theme sets explicitly.
    public var styles: [Role: ThemeStyle]
    /// The file the theme came from (nil for the built-in default).
    public var path: String?

    public init(name: String, styles: [Role: ThemeStyle], path: String? = nil) {
        self.name = name
        self.styles = styles
        self.path = path
    }

    /// The style to draw `role` with: the role itself, else the nearest ancestor this theme sets, else the
    /// built-in default for the role.
    public func style(for role: Role) -> ThemeStyle {
        var current: Role? = role
        while let r = current {
            if let s = styles[r] { return s }
            current = r.parent
        }
        return Theme.builtinDefault.styles[role] ?? ThemeStyle()
    }

    /// Attributes that keep roles apart when there is no colour (`NO_COLOR`, monochrome terminals).
    public static func monochromeAttributes(for role: Role) -> TextAttributes {
        switch role {
        case .selection: [.reverse]
        case .title, .hintKey, .borderFocus, .critical, .error, .changed: [.bold]
        case .header: [.bold, .underline]
        case .warning: [.underline]
        case .muted, .border, .hintText: [.dim]
        case .status, .command: [.reverse]
        case .text, .ok, .info, .sparkline: []
        }
    }

    /// The built-in default theme (dark terminals); it matches `themes/default.yaml` and defines every role.
    public static let builtinDefault = Theme(name: "default", styles: [
        .text: ThemeStyle(fg: .terminalDefault, bg: .terminalDefault),
        .muted: ThemeStyle(fg: .index(245)),
        .title: ThemeStyle(fg: .index(81), attributes: [.bold]),
        .border: ThemeStyle(fg: .index(240)),
        .borderFocus: ThemeStyle(fg: .index(81)),
        .selection: ThemeStyle(fg: .index(231), bg: .index(25), attributes: [.bold]),
        .header: ThemeStyle(fg: .index(110), attributes: [.bold]),
        .hintKey: ThemeStyle(fg: .index(214), attributes: [.bold]),
        .hintText: ThemeStyle(fg: .index(250)),
        .status: ThemeStyle(fg: .index(252), bg: .index(236)),
        .error: ThemeStyle(fg: .index(210), bg: .index(236), attributes: [.bold]),
        .ok: ThemeStyle(fg: .index(78)),
        .warning: ThemeStyle(fg: .index(220)),
        .critical: ThemeStyle(fg: .index(203), attributes: [.bold]),
        .info: ThemeStyle(fg: .index(75)),
        .sparkline: ThemeStyle(fg: .index(75)),
        .changed: ThemeStyle(fg: .index(229), attributes: [.bold]),
        .command: ThemeStyle(fg: .index(255), bg: .index(235)),
    ])
}

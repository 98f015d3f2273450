/// How one role looks: foreground, background and attributes. Nil colours mean "not set here".
struct ThemeStyle: Equatable, Sendable {
    var fg: ThemeColor?
    var bg: ThemeColor?
    var attributes: TextAttributes

    init(fg: ThemeColor? = nil, bg: ThemeColor? = nil, attributes: TextAttributes = []) {
        self.fg = fg
        self.bg = bg
        self.attributes = attributes
    }
}

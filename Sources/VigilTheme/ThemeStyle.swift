/// How one role looks: foreground, background and attributes. Nil colours mean "not set here".
public struct ThemeStyle: Equatable, Sendable {
    public var fg: ThemeColor?
    public var bg: ThemeColor?
    public var attributes: TextAttributes

    public init(fg: ThemeColor? = nil, bg: ThemeColor? = nil, attributes: TextAttributes = []) {
        self.fg = fg
        self.bg = bg
        self.attributes = attributes
    }
}

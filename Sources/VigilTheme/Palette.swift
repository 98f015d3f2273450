/// How many colours the palette may use.
public enum ColorMode: Equatable, Sendable {
    /// 256 (or more) colours.
    case color256
    /// 16 colours.
    case color16
    /// The eight basic colours.
    case color8
    /// No colour: attributes only (`NO_COLOR`, monochrome terminals).
    case monochrome

    /// The mode for a terminal reporting `colors` colours, honouring `NO_COLOR` (set and non-empty).
    public static func detect(hasColors: Bool, colors: Int, environment: [String: String]) -> ColorMode {
        if let v = environment["NO_COLOR"], !v.isEmpty { return .monochrome }
        guard hasColors else { return .monochrome }
        if colors >= 256 { return .color256 }
        if colors >= 16 { return .color16 }
        if colors >= 8 { return .color8 }
        return .monochrome
    }

    public var colorCount: Int {
        switch self {
        case .color256: 256
        case .color16: 16
        case .color8: 8
        case .monochrome: 0
        }
    }
}

/// A theme compiled for one terminal: every role resolved to a colour pair number and attributes.
public struct Palette: Equatable, Sendable {
    /// One curses colour pair; -1 means the terminal default colour.
    public struct Pair: Equatable, Sendable {
        public init(number: Int16, fg: Int, bg: Int) {
            self.number = number
            self.fg = fg
            self.bg = bg
        }

        public var number: Int16
        public var fg: Int
        public var bg: Int
    }

    /// How a role is drawn.
    public struct Entry: Equatable, Sendable {
        public init(pair: Int16, attributes: TextAttributes) {
            self.pair = pair
            self.attributes = attributes
        }

        public var pair: Int16
        public var attributes: TextAttributes
    }

    public var mode: ColorMode
    public var pairs: [Pair]
    public var entries: [Role: Entry]

    /// The pair and attributes for `role` (pair 0, no attributes when unknown).
    public func entry(_ role: Role) -> Entry {
        entries[role] ?? Entry(pair: 0, attributes: [])
    }

    /// Compiles `theme` once into colour pairs for `mode`, allocating at most `maxPairs - 1` pairs (pair 0 is the
    /// terminal default); roles beyond that use pair 0.
    public static func compile(_ theme: Theme, mode: ColorMode, maxPairs: Int = 256) -> Palette {
        var pairs: [Pair] = []
        var entries: [Role: Entry] = [:]
        for role in Role.allCases {
            let style = theme.style(for: role)
            if mode == .monochrome {
                entries[role] = Entry(pair: 0, attributes: style.attributes.union(Theme.monochromeAttributes(for: role)))
                continue
            }
            let fg = number(style.fg, mode: mode)
            var bg = number(style.bg, mode: mode)
            var attributes = style.attributes
            // Downgrading can merge fg and bg (white on white): keep the text readable by reversing instead.
            if fg == bg && fg != -1 {
                attributes.insert(.reverse)
                bg = -1
            }
            if fg == -1 && bg == -1 {
                entries[role] = Entry(pair: 0, attributes: attributes)
                continue
            }
            if let existing = pairs.first(where: { $0.fg == fg && $0.bg == bg }) {
                entries[role] = Entry(pair: existing.number, attributes: attributes)
            } else if pairs.count + 1 < maxPairs {
                let p = Pair(number: Int16(pairs.count + 1), fg: fg, bg: bg)
                pairs.append(p)
                entries[role] = Entry(pair: p.number, attributes: attributes)
            } else {
                entries[role] = Entry(pair: 0, attributes: attributes.union(Theme.monochromeAttributes(for: role)))
            }
        }
        return Palette(mode: mode, pairs: pairs, entries: entries)
    }

    private static func number(_ color: ThemeColor?, mode: ColorMode) -> Int {
        switch color?.downgraded(toColors: mode.colorCount) {
        case .index(let i)?: i
        case .terminalDefault?, nil: -1
        }
    }
}

/// Terminal display width of characters, independent of the C locale (so tests and curses agree).
enum TextWidth {
    /// Columns a character takes: 0 for controls (they are never drawn), 2 for East Asian wide and emoji, else 1.
    static func of(_ character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first else { return 0 }
        let v = scalar.value
        if v < 0x20 || (v >= 0x7F && v < 0xA0) { return 0 }
        if isWide(v) { return 2 }
        return 1
    }

    /// Columns a string takes.
    static func of(_ string: some StringProtocol) -> Int {
        string.reduce(0) { $0 + of($1) }
    }

    /// Cuts `string` to at most `width` columns, ending with `ellipsis` when something was cut.
    static func truncate(_ string: String, to width: Int, ellipsis: String = "…") -> String {
        if width <= 0 { return "" }
        if of(string) <= width { return string }
        let ellipsisWidth = of(ellipsis)
        if width <= ellipsisWidth { return String(repeating: ".", count: width) }
        var out = ""
        var used = 0
        for ch in string {
            let w = of(ch)
            if used + w > width - ellipsisWidth { break }
            out.append(ch)
            used += w
        }
        return out + ellipsis
    }

    /// Pads or truncates `string` to exactly `width` columns.
    static func fit(_ string: String, to width: Int, alignRight: Bool = false, ellipsis: String = "…") -> String {
        let cut = truncate(string, to: width, ellipsis: ellipsis)
        let pad = String(repeating: " ", count: max(0, width - of(cut)))
        return alignRight ? pad + cut : cut + pad
    }

    private static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
             0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return true
        default:
            return false
        }
    }
}

import Foundation

/// A theme colour: the terminal's default, or an index into the 256-colour palette.
public enum ThemeColor: Equatable, Hashable, Sendable {
    case terminalDefault
    case index(Int)

    /// The eight basic colour names, then `bright-` variants 8-15.
    public static let basicNames = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]

    /// Parses `default`, a colour name (`red`, `bright-blue`, `grey`), a number 0-255 or `#rrggbb`.
    public static func parse(_ raw: String) -> ThemeColor? {
        let s = raw.trimmingCharacters(in: .whitespaces).lowercased()
        if s == "default" || s == "none" || s.isEmpty { return .terminalDefault }
        if let n = Int(s) { return (0...255).contains(n) ? .index(n) : nil }
        if s.hasPrefix("#") {
            let hex = s.dropFirst()
            guard hex.count == 6, let v = Int(hex, radix: 16) else { return nil }
            return .index(nearest256(r: (v >> 16) & 0xFF, g: (v >> 8) & 0xFF, b: v & 0xFF))
        }
        if let i = basicNames.firstIndex(of: s) { return .index(i) }
        if s == "gray" || s == "grey" { return .index(8) }
        for prefix in ["bright-", "bright_", "light-", "bright"] where s.hasPrefix(prefix) {
            if let i = basicNames.firstIndex(of: String(s.dropFirst(prefix.count))) { return .index(8 + i) }
        }
        return nil
    }

    /// The xterm RGB value of palette index `i`.
    public static func rgb(_ i: Int) -> (Int, Int, Int) {
        let basic: [(Int, Int, Int)] = [
            (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
            (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
        ]
        if i < 16 { return basic[max(0, i)] }
        if i < 232 {
            let steps = [0, 95, 135, 175, 215, 255]
            let c = i - 16
            return (steps[c / 36], steps[(c / 6) % 6], steps[c % 6])
        }
        let v = 8 + (i - 232) * 10
        return (v, v, v)
    }

    /// The nearest entry of the 6×6×6 cube or grey ramp (16-255) to an RGB colour.
    public static func nearest256(r: Int, g: Int, b: Int) -> Int {
        nearest(r: r, g: g, b: b, in: 16..<256)
    }

    /// The nearest palette index within `candidates` to an RGB colour (squared Euclidean distance).
    public static func nearest(r: Int, g: Int, b: Int, in candidates: Range<Int>) -> Int {
        var best = candidates.lowerBound
        var bestDistance = Int.max
        for i in candidates {
            let (cr, cg, cb) = rgb(i)
            let d = (cr - r) * (cr - r) + (cg - g) * (cg - g) + (cb - b) * (cb - b)
            if d < bestDistance {
                bestDistance = d
                best = i
            }
        }
        return best
    }

    /// The colour as a terminal with `colors` colours can show it. 256 → 16/8 keeps the hue: a channel is "on"
    /// when it is within 65% of the brightest one (nearest-RGB would turn teal greens cyan and greys muddy);
    /// 16 colours add the bright bit for bright colours.
    public func downgraded(toColors colors: Int) -> ThemeColor {
        guard case .index(let i) = self else { return self }
        if i < colors { return self }
        let (r, g, b) = Self.rgb(i)
        let base = Self.basic8(r: r, g: g, b: b)
        if colors >= 16 && base != 0 && max(r, g, b) >= 215 { return .index(base + 8) }
        return .index(base)
    }

    /// The basic colour (0-7) whose red/green/blue bits match the colour's dominant channels.
    public static func basic8(r: Int, g: Int, b: Int) -> Int {
        let brightest = max(r, g, b)
        if brightest < 60 { return 0 }
        let threshold = Double(brightest) * 0.65
        return (Double(r) >= threshold ? 1 : 0) | (Double(g) >= threshold ? 2 : 0) | (Double(b) >= threshold ? 4 : 0)
    }
}

import VigilTheme

/// Renders short histories as sparklines: braille (two values per cell, four dot rows) or ASCII (one value per
/// cell, ten levels from `" .:-=+*#%@"`).
enum Sparkline {
    /// The ASCII ramp, lowest to highest; a space means "no data".
    static let asciiRamp: [Character] = Array(" .:-=+*#%@")

    /// Braille dot bits for the left and right columns, bottom row first.
    private static let leftDots: [UInt32] = [0x40, 0x04, 0x02, 0x01]
    private static let rightDots: [UInt32] = [0x80, 0x20, 0x10, 0x08]

    /// Renders the newest values of `values` into exactly `width` cells, right-aligned (older slots blank).
    ///
    /// - Parameters:
    ///   - range: the value range mapped to the glyph height; nil scales to the data's min…max (0…max when flat).
    static func render(_ values: [Double?], width: Int, unicode: Bool, range: ClosedRange<Double>? = nil) -> String {
        guard width > 0 else { return "" }
        let perCell = unicode ? 2 : 1
        let wanted = width * perCell
        var slots = Array(values.suffix(wanted))
        if slots.count < wanted { slots = Array(repeating: nil, count: wanted - slots.count) + slots }
        let lo: Double
        let hi: Double
        if let range {
            lo = range.lowerBound
            hi = range.upperBound
        } else {
            let present = slots.compactMap { $0 }.filter { $0.isFinite }
            let mn = present.min() ?? 0
            let mx = present.max() ?? 0
            lo = min(0, mn)
            hi = mx > lo ? mx : lo + 1
        }
        func level(_ value: Double?, levels: Int) -> Int {
            guard let value, value.isFinite else { return 0 }
            let span = hi - lo
            let frac = span > 0 ? min(1, max(0, (value - lo) / span)) : 0
            return 1 + Int((frac * Double(levels - 1)).rounded())
        }
        if unicode {
            var out = ""
            for cell in 0..<width {
                let a = level(slots[cell * 2], levels: 4)
                let b = level(slots[cell * 2 + 1], levels: 4)
                var bits: UInt32 = 0
                for i in 0..<a { bits |= leftDots[i] }
                for i in 0..<b { bits |= rightDots[i] }
                out.append(Character(Unicode.Scalar(0x2800 + bits)!))
            }
            return out
        }
        return String(slots.map { asciiRamp[level($0, levels: asciiRamp.count - 1)] })
    }

    /// Which of the `width` cells that `render` draws hold a marked slot (`marks` aligned with its `values`).
    static func markedCells(_ marks: [Bool], width: Int, unicode: Bool) -> [Bool] {
        guard width > 0 else { return [] }
        let perCell = unicode ? 2 : 1
        let wanted = width * perCell
        var slots = Array(marks.suffix(wanted))
        if slots.count < wanted { slots = Array(repeating: false, count: wanted - slots.count) + slots }
        return (0..<width).map { cell in slots[(cell * perCell)..<(cell * perCell + perCell)].contains(true) }
    }

    /// `render` as spans: cells holding a marked slot (an anomaly) in `markRole`, underlined (visible without
    /// colour too); the others in `.sparkline`.
    static func spans(_ values: [Double?], marks: [Bool], width: Int, unicode: Bool, range: ClosedRange<Double>? = nil,
                      markRole: Role = .warning) -> [Span] {
        let text = render(values, width: width, unicode: unicode, range: range)
        guard marks.contains(true) else { return [Span(text, .sparkline)] }
        let marked = markedCells(marks, width: width, unicode: unicode)
        var out: [Span] = []
        var run = ""
        var runMarked = false
        for (i, ch) in text.enumerated() {
            let m = i < marked.count && marked[i]
            if m != runMarked && !run.isEmpty {
                out.append(runMarked ? Span(run, markRole, [.underline]) : Span(run, .sparkline))
                run = ""
            }
            runMarked = m
            run.append(ch)
        }
        if !run.isEmpty { out.append(runMarked ? Span(run, markRole, [.underline]) : Span(run, .sparkline)) }
        return out
    }
}

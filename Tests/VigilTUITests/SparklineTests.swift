import Testing
@testable import VigilTUI

@Suite struct SparklineTests {
    @Test func brailleGlyphsForKnownValues() {
        // Each cell holds two values (left, right column); 0 lights the bottom dot, 100 all four.
        #expect(Sparkline.render([0, 0], width: 1, unicode: true, range: 0...100) == "\u{28C0}") // ⣀
        #expect(Sparkline.render([100, 100], width: 1, unicode: true, range: 0...100) == "\u{28FF}") // ⣿
        #expect(Sparkline.render([0, 100], width: 1, unicode: true, range: 0...100) == "\u{28F8}") // ⣸
        #expect(Sparkline.render([100, 0], width: 1, unicode: true, range: 0...100) == "\u{28C7}") // ⣇
        #expect(Sparkline.render([nil, nil], width: 1, unicode: true) == "\u{2800}")
        #expect(Sparkline.render([0, 0, 100, 100], width: 2, unicode: true, range: 0...100) == "⣀⣿")
    }

    @Test func asciiRamp() {
        #expect(Sparkline.render([0, 50, 100, nil], width: 4, unicode: false, range: 0...100) == ".+@ ")
        #expect(Sparkline.render([0, 12.5, 25, 37.5, 50, 62.5, 75, 87.5, 100], width: 9, unicode: false, range: 0...100) == ".:-=+*#%@")
    }

    @Test func rightAlignsShortHistoriesAndKeepsNewest() {
        #expect(Sparkline.render([100], width: 3, unicode: false, range: 0...100) == "  @")
        #expect(Sparkline.render([0, 0, 0, 100, 100], width: 2, unicode: false, range: 0...100) == "@@")
    }

    @Test func autoRangeScalesFromZeroToMax() {
        #expect(Sparkline.render([0, 5, 10], width: 3, unicode: false) == ".+@")
        #expect(Sparkline.render([7, 7], width: 2, unicode: false) == "@@")
    }

    @Test func anomalyMarksColourTheirCellsOnly() {
        let values: [Double?] = [0, 50, 100, 50]
        #expect(Sparkline.spans(values, marks: [], width: 4, unicode: false, range: 0...100) == [Span(".+@+", .sparkline)])
        #expect(Sparkline.spans(values, marks: [false, false, true, false], width: 4, unicode: false, range: 0...100)
                == [Span(".+", .sparkline), Span("@", .warning, [.underline]), Span("+", .sparkline)])
        // Braille: two slots per cell; right-aligned like the values.
        #expect(Sparkline.markedCells([true, false, false, true], width: 2, unicode: true) == [true, true])
        #expect(Sparkline.markedCells([false, false, false, true], width: 3, unicode: true) == [false, false, true])
        #expect(Sparkline.markedCells([true, false, false], width: 2, unicode: false) == [false, false])
    }
}

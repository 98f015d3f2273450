import Testing
@testable import VigilCore

/// The detector's two-byte floats: rounding in the direction asked, never past the neighbouring value.
struct BFloat16Tests {
    @Test func valuesItHoldsStayExact() {
        for f: Float in [0, -0.0, 1, -1, 0.5, 7, 70, 1000, -1000, 65536, Float(bitPattern: 0x7149_0000), .infinity, -.infinity] {
            for rule in [FloatingPointRoundingRule.up, .down, .toNearestOrEven] {
                let b = BFloat16(f, rounding: rule)
                #expect(b.float == f && b.float.sign == f.sign, "\(f) \(rule)")
            }
        }
    }

    @Test func roundsUpDownAndToTheNearest() {
        // 1001 lies between 1000 and 1004 (a step of 4 between 512 and 1024), nearer 1000.
        #expect(BFloat16(1001, rounding: .up).float == 1004)
        #expect(BFloat16(1001, rounding: .down).float == 1000)
        #expect(BFloat16(1001, rounding: .toNearestOrEven).float == 1000)
        #expect(BFloat16(-1001, rounding: .up).float == -1000)
        #expect(BFloat16(-1001, rounding: .down).float == -1004)
        #expect(BFloat16(1003, rounding: .toNearestOrEven).float == 1004)
        // Halfway: to the even significand (1000 = 0x447A, 1004 = 0x447B; 1008 = 0x447C).
        #expect(BFloat16(1002, rounding: .toNearestOrEven).float == 1000)
        #expect(BFloat16(1006, rounding: .toNearestOrEven).float == 1008)
        // Past the largest finite value up is infinity; down stays finite.
        #expect(BFloat16(.greatestFiniteMagnitude, rounding: .up).float == .infinity)
        #expect(BFloat16(.greatestFiniteMagnitude, rounding: .down).float.isFinite)
        #expect(BFloat16(-.greatestFiniteMagnitude, rounding: .down).float == -.infinity)
        // The smallest positive Float rounds up to the smallest positive BFloat16, down to zero.
        #expect(BFloat16(.leastNonzeroMagnitude, rounding: .up).float > 0)
        #expect(BFloat16(.leastNonzeroMagnitude, rounding: .down).float == 0)
    }

    @Test func everyRoundingLandsOnANeighbour() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let f = Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng))
            guard f.isFinite else { continue }
            let up = BFloat16(f, rounding: .up).float
            let down = BFloat16(f, rounding: .down).float
            let nearest = BFloat16(f, rounding: .toNearestOrEven).float
            #expect(down <= f && f <= up, "\(f): \(down) ... \(up)")
            // Nothing a BFloat16 holds lies strictly between the two.
            #expect(up == down || BFloat16(down.nextUp, rounding: .up).float == up, "\(f)")
            #expect(nearest == up || nearest == down)
            if nearest.isInfinite {
                // Beyond half a step past the largest finite value, as IEEE rounding to the nearest does.
                #expect(nearest == (f > 0 ? up : down), "\(f)")
            } else {
                #expect(abs(Double(nearest) - Double(f)) <= abs(Double(up == nearest ? down : up) - Double(f)), "\(f)")
            }
        }
    }
}

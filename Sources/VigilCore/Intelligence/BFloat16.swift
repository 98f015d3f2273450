/// A 16-bit float with `Float`'s range: its sign, its 8-bit exponent and the top 7 bits of its significand (the
/// "brain float" of machine learning). Two bytes where a `Float` takes four, about 2.4 significant digits.
///
/// Made from a `Float` by rounding in a chosen direction, so a caller that keeps a range can round its high end up
/// and its low end down and the range never shrinks. ±infinity are kept. Callers pass no NaN (the detector drops
/// non-finite inputs before its windows see them).
struct BFloat16: Sendable, Equatable {
    let bits: UInt16

    static let infinity = BFloat16(bits: 0x7F80)
    static let negativeInfinity = BFloat16(bits: 0xFF80)

    init(bits: UInt16) { self.bits = bits }

    /// `f` rounded up (`.up`, toward +infinity), down (`.down`, toward −infinity) or to the nearest `BFloat16`
    /// (`.toNearestOrEven`, ties to an even significand).
    init(_ f: Float, rounding: FloatingPointRoundingRule) {
        precondition(rounding == .up || rounding == .down || rounding == .toNearestOrEven,
                     "BFloat16 rounds up, down or to the nearest")
        let full = f.bitPattern
        if rounding == .toNearestOrEven {
            // Adding just under half a step (and one more when the kept part is odd) carries into the kept part
            // exactly when the dropped part is above half a step (or half of one, to reach an even result).
            // No overflow: the largest pattern that is not a NaN is −infinity's, 0xFF80_0000.
            let kept = f.isNaN ? full : full + 0x7FFF + ((full >> 16) & 1)
            bits = UInt16(truncatingIfNeeded: kept >> 16)
            return
        }
        let truncated = UInt16(truncatingIfNeeded: full >> 16)
        // Truncating the significand moves a value toward zero: exact, or too low when positive, too high when
        // negative. One step away from zero fixes the side that needs it (the largest finite value steps to infinity).
        let inexact = full & 0xFFFF != 0 && !f.isNaN
        let awayFromZero = (rounding == .up) == (f.sign == .plus)
        bits = inexact && awayFromZero ? truncated + 1 : truncated
    }

    var float: Float { Float(bitPattern: UInt32(bits) << 16) }
}

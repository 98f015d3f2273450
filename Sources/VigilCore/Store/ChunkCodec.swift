/// Compact encodings of (timestamp, value) runs: the on-disk form of samples, and the head's sealed chunks.
///
/// Version 2 (written since issue #13) is a bit stream in the manner of Gorilla (Pelkonen et al., VLDB 2015):
/// timestamps as delta-of-delta in prefix-coded buckets (a regular scrape costs one bit), values either as
/// **scaled decimals** — when every value of the run is a decimal with at most six places (`43.27`, `1200`, as
/// agents report them), the difference of the scaled integers with a width reused from the previous sample — or,
/// for any other doubles, Gorilla's XOR with the previous value's leading/meaningful-bit window. Version 1 (byte
/// aligned: varint delta-of-delta, XOR with non-zero bytes) is still read; it is rewritten when its chunk is next
/// merged. Pure functions; the store decides when to cut chunks.
///
/// Layout of version 2: `0x00 0x02`, varint count, zigzag varint first timestamp, a mode byte (0–6: decimals
/// with that many places, then the first scaled value as a zigzag varint; 0x0F: raw doubles, then the first value's
/// 8 bytes little-endian), then the bit stream of the other samples, most significant bit first.
public enum ChunkCodec {
    /// Most samples in one chunk.
    public static let maxSamplesPerChunk = 120

    static let xorMode: UInt8 = 0x0F
    static let powersOfTen: [Double] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]

    public static func encode(_ points: [(ts: Int64, value: Double)]) -> [UInt8] {
        var out: [UInt8] = [0x00, 0x02]
        out.reserveCapacity(16 + points.count * 2)
        Varint.put(UInt64(points.count), into: &out)
        guard let first = points.first else { return out }
        Varint.put(Varint.zigzag(first.ts), into: &out)
        let places = decimalPlaces(points)
        if let places {
            out.append(UInt8(places))
            Varint.put(Varint.zigzag(Int64((first.value * powersOfTen[places]).rounded())), into: &out)
        } else {
            out.append(xorMode)
            let bits = first.value.bitPattern
            for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: bits >> (UInt64(k) * 8))) }
        }
        var w = BitWriter(out)
        var prevTs = first.ts
        var prevDelta: Int64 = 0
        var prevScaled = places.map { Int64((first.value * powersOfTen[$0]).rounded()) } ?? 0
        var width = 0
        var prevBits = first.value.bitPattern
        var lead = -1, trail = 0
        for p in points.dropFirst() {
            let delta = p.ts &- prevTs
            putTimestamp(Varint.zigzag(delta &- prevDelta), into: &w)
            prevDelta = delta
            prevTs = p.ts
            if let places {
                let scaled = Int64((p.value * powersOfTen[places]).rounded())
                putDecimal(Varint.zigzag(scaled &- prevScaled), width: &width, into: &w)
                prevScaled = scaled
            } else {
                let bits = p.value.bitPattern
                putXOR(bits ^ prevBits, lead: &lead, trail: &trail, into: &w)
                prevBits = bits
            }
        }
        return w.finish()
    }

    /// The fewest decimal places (0–6) that represent every value exactly, or nil (then values are XOR'd).
    static func decimalPlaces(_ points: [(ts: Int64, value: Double)]) -> Int? {
        var places = 0
        for p in points {
            while true {
                let m = powersOfTen[places]
                let s = (p.value * m).rounded()
                if abs(s) < 9.0e15, (s / m).bitPattern == p.value.bitPattern { break }
                places += 1
                if places == powersOfTen.count { return nil }
            }
        }
        return places
    }

    // Timestamps: '0' same delta; '10' 7 bits; '110' 9 bits; '1110' 12 bits; '11110' 32 bits; '11111' 64 bits.
    static let tsBuckets: [(prefix: UInt64, prefixBits: Int, bits: Int)] = [(0b10, 2, 7), (0b110, 3, 9), (0b1110, 4, 12), (0b11110, 5, 32)]

    @inline(__always) static func putTimestamp(_ z: UInt64, into w: inout BitWriter) {
        if z == 0 { w.put(0, bits: 1); return }
        for b in tsBuckets where z < (1 << UInt64(b.bits)) {
            w.put(b.prefix, bits: b.prefixBits)
            w.put(z, bits: b.bits)
            return
        }
        w.put(0b11111, bits: 5)
        w.put(z, bits: 64)
    }

    /// '0' unchanged; '10' then `width` bits (the previous width still fits and wastes at most 3 bits);
    /// '11', 6 bits of (width - 1), then `width` bits.
    @inline(__always) static func putDecimal(_ z: UInt64, width: inout Int, into w: inout BitWriter) {
        if z == 0 { w.put(0, bits: 1); return }
        let needed = 64 - z.leadingZeroBitCount
        if width > 0 && needed <= width && needed + 3 >= width {
            w.put(0b10, bits: 2)
            w.put(z, bits: width)
        } else {
            width = needed
            w.put(0b11, bits: 2)
            w.put(UInt64(width - 1), bits: 6)
            w.put(z, bits: width)
        }
    }

    /// Gorilla: '0' same value; '10' the meaningful bits within the previous window; '11', 5 bits of leading
    /// zeros, 6 bits of (length - 1), then the meaningful bits.
    @inline(__always) static func putXOR(_ x: UInt64, lead: inout Int, trail: inout Int, into w: inout BitWriter) {
        if x == 0 { w.put(0, bits: 1); return }
        let l = min(x.leadingZeroBitCount, 31)
        let t = x.trailingZeroBitCount
        if lead >= 0 && l >= lead && t >= trail {
            w.put(0b10, bits: 2)
            w.put(x >> UInt64(trail), bits: 64 - lead - trail)
        } else {
            lead = l
            trail = t
            w.put(0b11, bits: 2)
            w.put(UInt64(l), bits: 5)
            w.put(UInt64(64 - l - t - 1), bits: 6)
            w.put(x >> UInt64(t), bits: 64 - l - t)
        }
    }

    public enum DecodeError: Error { case corrupt }

    public static func decode(_ data: [UInt8]) throws(DecodeError) -> [(ts: Int64, value: Double)] {
        try decode(data, in: 0..<data.count)
    }

    /// Decodes the chunk in `data[range]` (chunks kept back to back in one array: the head's sealed chunks).
    static func decode(_ data: [UInt8], in range: Range<Int>) throws(DecodeError) -> [(ts: Int64, value: Double)] {
        guard range.lowerBound >= 0, range.upperBound <= data.count else { throw .corrupt }
        if !range.isEmpty && data[range.lowerBound] == 0 { return try decodeV2(data, range) }
        return try decodeV1(data, range)
    }

    static func decodeV2(_ data: [UInt8], _ range: Range<Int>) throws(DecodeError) -> [(ts: Int64, value: Double)] {
        var r = ByteReader(data, from: range.lowerBound, to: range.upperBound)
        guard r.byte() == 0, r.byte() == 2, let n = r.varint(), n < 1_000_000 else { throw .corrupt }
        var out: [(ts: Int64, value: Double)] = []
        guard n > 0 else { return out }
        out.reserveCapacity(Int(n))
        guard let z0 = r.varint(), let mode = r.byte() else { throw .corrupt }
        let firstTs = Varint.unzigzag(z0)
        var places: Int?
        var prevScaled: Int64 = 0
        var prevBits: UInt64 = 0
        if mode == xorMode {
            guard let bits = r.uint64le() else { throw .corrupt }
            prevBits = bits
        } else {
            guard Int(mode) < powersOfTen.count, let z = r.varint() else { throw .corrupt }
            places = Int(mode)
            prevScaled = Varint.unzigzag(z)
        }
        let scale = places.map { powersOfTen[$0] } ?? 1
        out.append((firstTs, places == nil ? Double(bitPattern: prevBits) : Double(prevScaled) / scale))
        var b = BitReader(data, byteOffset: r.pos, end: range.upperBound)
        var prevTs = firstTs
        var prevDelta: Int64 = 0
        var width = 0
        var lead = 0, trail = 0
        var haveWindow = false
        for _ in 1..<Int(n) {
            // Timestamp.
            var ones = 0
            while ones < 5 {
                guard let bit = b.bit() else { throw .corrupt }
                if bit == 0 { break }
                ones += 1
            }
            var z: UInt64 = 0
            if ones > 0 {
                let bits = ones == 5 ? 64 : tsBuckets[ones - 1].bits
                guard let v = b.read(bits) else { throw .corrupt }
                z = v
            }
            prevDelta = prevDelta &+ Varint.unzigzag(z)
            prevTs = prevTs &+ prevDelta
            // Value.
            guard let c0 = b.bit() else { throw .corrupt }
            if c0 == 1 {
                guard let c1 = b.bit() else { throw .corrupt }
                if places != nil {
                    if c1 == 1 {
                        guard let wv = b.read(6) else { throw .corrupt }
                        width = Int(wv) + 1
                    } else if width == 0 { throw .corrupt }
                    guard let zv = b.read(width) else { throw .corrupt }
                    prevScaled = prevScaled &+ Varint.unzigzag(zv)
                } else {
                    if c1 == 1 {
                        guard let l = b.read(5), let len = b.read(6) else { throw .corrupt }
                        lead = Int(l)
                        trail = 64 - lead - Int(len) - 1
                        guard trail >= 0 else { throw .corrupt }
                        haveWindow = true
                    } else if !haveWindow { throw .corrupt }
                    guard let m = b.read(64 - lead - trail) else { throw .corrupt }
                    prevBits ^= m << UInt64(trail)
                }
            }
            out.append((prevTs, places == nil ? Double(bitPattern: prevBits) : Double(prevScaled) / scale))
        }
        return out
    }

    static func decodeV1(_ data: [UInt8], _ range: Range<Int>) throws(DecodeError) -> [(ts: Int64, value: Double)] {
        var r = ByteReader(data, from: range.lowerBound, to: range.upperBound)
        guard let n = r.varint(), n < 1_000_000 else { throw .corrupt }
        var out: [(ts: Int64, value: Double)] = []
        out.reserveCapacity(Int(n))
        var prevTs: Int64 = 0
        var prevDelta: Int64 = 0
        var prevBits: UInt64 = 0
        for i in 0..<Int(n) {
            guard let z = r.varint() else { throw .corrupt }
            let v = Varint.unzigzag(z)
            let ts: Int64
            if i == 0 {
                ts = v
            } else {
                prevDelta = prevDelta &+ v
                ts = prevTs &+ prevDelta
            }
            prevTs = ts
            guard let control = r.byte() else { throw .corrupt }
            var x: UInt64 = 0
            if control != 0x80 {
                let lead = Int(control >> 4)
                let trail = Int(control & 0x0F)
                guard lead + trail < 8 else { throw .corrupt }
                var k = 7 - lead
                while k >= trail {
                    guard let b = r.byte() else { throw .corrupt }
                    x |= UInt64(b) << (UInt64(k) * 8)
                    k -= 1
                }
            }
            prevBits ^= x
            out.append((ts, Double(bitPattern: prevBits)))
        }
        return out
    }
}

/// Compact encodings of (timestamp, value) runs: the on-disk form of samples.
///
/// Timestamps are stored as delta-of-delta zigzag varints (regular 10 s scrapes cost one byte);
/// values as the XOR with the previous value, keeping only the non-zero bytes (an unchanged
/// value costs one byte). Pure functions; the store decides when to cut chunks.
public enum ChunkCodec {
    /// Most samples in one chunk.
    public static let maxSamplesPerChunk = 120

    public static func encode(_ points: [(ts: Int64, value: Double)]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(8 + points.count * 4)
        Varint.put(UInt64(points.count), into: &out)
        var prevTs: Int64 = 0
        var prevDelta: Int64 = 0
        var prevBits: UInt64 = 0
        for (i, p) in points.enumerated() {
            if i == 0 {
                Varint.put(Varint.zigzag(p.ts), into: &out)
            } else {
                let delta = p.ts &- prevTs
                Varint.put(Varint.zigzag(delta &- prevDelta), into: &out)
                prevDelta = delta
            }
            prevTs = p.ts
            let bits = p.value.bitPattern
            let x = bits ^ prevBits
            prevBits = bits
            if x == 0 {
                out.append(0x80)
                continue
            }
            let lead = x.leadingZeroBitCount / 8
            let trail = x.trailingZeroBitCount / 8
            out.append(UInt8(lead << 4 | trail))
            var k = 7 - lead
            while k >= trail {
                out.append(UInt8(truncatingIfNeeded: x >> (UInt64(k) * 8)))
                k -= 1
            }
        }
        return out
    }

    public enum DecodeError: Error { case corrupt }

    public static func decode(_ data: [UInt8]) throws(DecodeError) -> [(ts: Int64, value: Double)] {
        var r = ByteReader(data)
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

/// The head encoding of one ingest batch: samples grouped by series, cheap to write and to scan.
///
/// Layout: repeated `[series id varint][count varint]` then `count` × `[ts zigzag delta varint][8-byte value]`.
public enum SegmentCodec {
    public static func encode(_ groups: [(series: Int64, points: [(ts: Int64, value: Double)])]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(groups.count * 16)
        for g in groups {
            Varint.put(UInt64(g.series), into: &out)
            Varint.put(UInt64(g.points.count), into: &out)
            var prev: Int64 = 0
            for p in g.points {
                Varint.put(Varint.zigzag(p.ts &- prev), into: &out)
                prev = p.ts
                let bits = p.value.bitPattern
                for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: bits >> (UInt64(k) * 8))) }
            }
        }
        return out
    }

    /// Calls `body` for every sample of a series that `wanted` accepts (nil = all series).
    public static func scan(_ data: [UInt8], wanted: Set<Int64>?, _ body: (Int64, Int64, Double) -> Void) throws(ChunkCodec.DecodeError) {
        var r = ByteReader(data)
        while !r.atEnd {
            guard let sid = r.varint(), let n = r.varint() else { throw .corrupt }
            let series = Int64(bitPattern: sid)
            let keep = wanted?.contains(series) ?? true
            var prev: Int64 = 0
            for _ in 0..<n {
                guard let z = r.varint() else { throw .corrupt }
                prev = prev &+ Varint.unzigzag(z)
                if keep {
                    guard let bits = r.uint64le() else { throw .corrupt }
                    body(series, prev, Double(bitPattern: bits))
                } else {
                    guard r.skip(8) else { throw .corrupt }
                }
            }
        }
    }
}

enum Varint {
    @inline(__always) static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }
    @inline(__always) static func unzigzag(_ u: UInt64) -> Int64 { Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1) }

    @inline(__always) static func put(_ value: UInt64, into out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
}

struct ByteReader {
    let data: [UInt8]
    var pos = 0
    init(_ data: [UInt8]) { self.data = data }
    var atEnd: Bool { pos >= data.count }

    @inline(__always) mutating func byte() -> UInt8? {
        guard pos < data.count else { return nil }
        defer { pos += 1 }
        return data[pos]
    }

    @inline(__always) mutating func varint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while pos < data.count {
            let b = data[pos]
            pos += 1
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { return nil }
        }
        return nil
    }

    @inline(__always) mutating func uint64le() -> UInt64? {
        guard pos + 8 <= data.count else { return nil }
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(data[pos + k]) << (UInt64(k) * 8) }
        pos += 8
        return v
    }

    @inline(__always) mutating func skip(_ n: Int) -> Bool {
        guard pos + n <= data.count else { return false }
        pos += n
        return true
    }
}

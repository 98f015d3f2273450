/// Bits appended most significant first into bytes.
struct BitWriter {
    private var out: [UInt8]
    private var acc: UInt64 = 0
    private var used = 0

    init(_ prefix: [UInt8]) { out = prefix }

    /// Appends the low `bits` bits of `value` (1...64).
    @inline(__always) mutating func put(_ value: UInt64, bits: Int) {
        var n = bits
        let v = bits == 64 ? value : value & ((1 << UInt64(bits)) - 1)
        while n > 0 {
            let room = 64 - used
            let take = min(room, n)
            let chunk = take == 64 ? v : (v >> UInt64(n - take)) & ((1 << UInt64(take)) - 1)
            acc = take == 64 ? chunk : (acc << UInt64(take)) | chunk
            used += take
            n -= take
            if used == 64 { flush(64) }
        }
    }

    private mutating func flush(_ bits: Int) {
        var k = bits
        while k >= 8 {
            k -= 8
            out.append(UInt8(truncatingIfNeeded: acc >> UInt64(k)))
        }
        acc = 0
        used = 0
    }

    /// The bytes, the last one padded with zero bits.
    mutating func finish() -> [UInt8] {
        if used > 0 {
            let pad = (8 - used % 8) % 8
            acc <<= UInt64(pad)
            flush(used + pad)
        }
        return out
    }
}

/// Reads what `BitWriter` wrote, in `data[byteOffset..<end]` (to the array's end unless given: several runs can share
/// one array); nil past the end.
struct BitReader {
    let data: [UInt8]
    var bitPos: Int
    /// One past the last byte to read.
    let end: Int

    init(_ data: [UInt8], byteOffset: Int, end: Int? = nil) {
        self.data = data
        bitPos = byteOffset * 8
        self.end = end ?? data.count
    }

    @inline(__always) mutating func bit() -> UInt64? {
        let byte = bitPos >> 3
        guard byte < end else { return nil }
        let b = (data[byte] >> UInt8(7 - bitPos & 7)) & 1
        bitPos += 1
        return UInt64(b)
    }

    /// The next `bits` bits (1...64) as an unsigned number.
    @inline(__always) mutating func read(_ bits: Int) -> UInt64? {
        guard bitPos + bits <= end * 8 else { return nil }
        var v: UInt64 = 0
        var n = bits
        while n > 0 {
            let byte = data[bitPos >> 3]
            let offset = bitPos & 7
            let avail = 8 - offset
            let take = min(avail, n)
            let chunk = (UInt64(byte) >> UInt64(avail - take)) & ((1 << UInt64(take)) - 1)
            v = (v << UInt64(take)) | chunk
            bitPos += take
            n -= take
        }
        return v
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

/// Reads `data[from..<to]` (the whole array unless given).
struct ByteReader {
    let data: [UInt8]
    var pos: Int
    /// One past the last byte to read.
    let end: Int
    init(_ data: [UInt8], from: Int = 0, to end: Int? = nil) {
        self.data = data
        pos = from
        self.end = end ?? data.count
    }
    var atEnd: Bool { pos >= end }

    @inline(__always) mutating func byte() -> UInt8? {
        guard pos < end else { return nil }
        defer { pos += 1 }
        return data[pos]
    }

    @inline(__always) mutating func varint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while pos < end {
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
        guard pos + 8 <= end else { return nil }
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(data[pos + k]) << (UInt64(k) * 8) }
        pos += 8
        return v
    }

    @inline(__always) mutating func skip(_ n: Int) -> Bool {
        guard pos + n <= end else { return false }
        pos += n
        return true
    }
}

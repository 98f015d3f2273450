/// The metric names of one body, each made into a `String` and checked once: an agent sends a few dozen names for
/// hundreds of samples, and a `String` per sample (an allocation past 15 bytes, and the name's check) was a good part
/// of decoding. Keyed by the name's plain bytes (`JSONScanner.plainString`); a name seen before in the same body
/// is the same `String`. 64 slots by hash, a collision replaces: a miss only costs what no cache would.
struct MetricNameCache {
    private var slots = [(bytes: [UInt8], name: String)?](repeating: nil, count: 64)

    private static func slot(_ raw: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt32 = 2_166_136_261
        for b in raw { h = (h ^ UInt32(b)) &* 16_777_619 }
        return Int(h & 63)
    }

    /// The name these bytes spell, if this body had it before.
    func name(_ raw: UnsafeBufferPointer<UInt8>) -> String? {
        guard let entry = slots[Self.slot(raw)], entry.bytes.count == raw.count else { return nil }
        return entry.bytes.withUnsafeBufferPointer { $0.elementsEqual(raw) } ? entry.name : nil
    }

    /// Remembers a checked name by its bytes.
    mutating func remember(_ raw: UnsafeBufferPointer<UInt8>, as name: String) {
        slots[Self.slot(raw)] = (Array(raw), name)
    }
}

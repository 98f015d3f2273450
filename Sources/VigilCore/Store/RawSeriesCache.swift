import Foundation

/// Series ids by the bytes a sender wrote for them: host id, metric name and the label object as it came over the wire
/// (``VigilWire/PlainLabels``). A hit costs one keyed hash of those bytes and one comparison, with no dictionary
/// or string built; the writers decode the labels only on a miss.
///
/// One series may sit here under several spellings (another key order, other spacing): each maps to the same id,
/// which the writer resolved from the canonical labels. Open addressing with linear probing over a byte arena; the
/// hash is the standard library's seeded `Hasher`, so a sender cannot choose colliding keys. Bounded by `limit` and
/// `maxArenaBytes`: past them the cache starts over (ids are read back from the store as series are seen again).
struct RawSeriesCache {
    /// One cached spelling; `id == Slot.free` marks a free slot (series ids are positive).
    private struct Slot {
        static var free: Int64 { .min }
        static var empty: Slot { Slot(hash: 0, host: 0, start: 0, nameCount: 0, labelsCount: 0, id: free) }

        var hash: Int
        var host: Int64
        var start: Int
        var nameCount: Int32
        var labelsCount: Int32
        var id: Int64
    }

    private var slots: [Slot]
    private var arena: [UInt8] = []
    private(set) var count = 0
    let limit: Int
    /// The bytes of the spellings kept, at most (long label values could otherwise make `limit` series large).
    static let maxArenaBytes = 128 << 20

    init(limit: Int, initialCapacity: Int = 1024) {
        self.limit = limit
        var c = 16
        while c < initialCapacity * 2 { c <<= 1 }
        slots = Array(repeating: .empty, count: c)
    }

    /// The id cached for this series, if any.
    func find(host: Int64, name: String, labels: UnsafeBufferPointer<UInt8>) -> Int64? {
        var name = name
        return name.withUTF8 { n in
            let h = Self.hash(host, n, labels)
            var i = h & (slots.count - 1)
            while slots[i].id != Slot.free {
                let slot = slots[i]
                if slot.hash == h && slot.host == host && matches(slot, n, labels) { return slot.id }
                i = (i + 1) & (slots.count - 1)
            }
            return nil
        }
    }

    /// Caches `id` for this spelling of a series; starts over first when the cache holds `limit` series.
    mutating func insert(host: Int64, name: String, labels: UnsafeBufferPointer<UInt8>, id: Int64) {
        if count >= limit || arena.count > Self.maxArenaBytes { removeAll() }
        if (count + 1) * 2 > slots.count { grow() }
        var name = name
        name.withUTF8 { n in
            let h = Self.hash(host, n, labels)
            let start = arena.count
            arena.append(contentsOf: n)
            arena.append(contentsOf: labels)
            place(Slot(hash: h, host: host, start: start, nameCount: Int32(n.count), labelsCount: Int32(labels.count), id: id))
        }
        count += 1
    }

    mutating func removeAll() {
        for i in slots.indices { slots[i] = .empty }
        arena.removeAll(keepingCapacity: true)
        count = 0
    }

    private mutating func place(_ slot: Slot) {
        var i = slot.hash & (slots.count - 1)
        while slots[i].id != Slot.free { i = (i + 1) & (slots.count - 1) }
        slots[i] = slot
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: .empty, count: old.count * 2)
        for slot in old where slot.id != Slot.free { place(slot) }
    }

    private func matches(_ slot: Slot, _ name: UnsafeBufferPointer<UInt8>, _ labels: UnsafeBufferPointer<UInt8>) -> Bool {
        guard Int(slot.nameCount) == name.count && Int(slot.labelsCount) == labels.count else { return false }
        return arena.withUnsafeBytes { a in
            let s = slot.start
            return equal(a, at: s, name) && equal(a, at: s + name.count, labels)
        }
    }

    private func equal(_ arena: UnsafeRawBufferPointer, at offset: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let b = bytes.baseAddress, let a = arena.baseAddress else { return bytes.isEmpty }
        return memcmp(a + offset, b, bytes.count) == 0
    }

    private static func hash(_ host: Int64, _ name: UnsafeBufferPointer<UInt8>, _ labels: UnsafeBufferPointer<UInt8>) -> Int {
        var h = Hasher()
        h.combine(host)
        h.combine(bytes: UnsafeRawBufferPointer(name))
        h.combine(bytes: UnsafeRawBufferPointer(labels))
        return h.finalize()
    }
}

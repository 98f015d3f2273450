import Foundation

/// Series ids by the bytes a sender wrote for them: host id, metric name and the label object as it came over the wire
/// (``VigilWire/PlainLabels``). A hit costs one keyed hash of those bytes and one comparison, with no dictionary
/// or string built; the writers decode the labels only on a miss.
///
/// One series may sit here under several spellings (another key order, other spacing): each maps to the same id,
/// which the writer resolved from the canonical labels. Open addressing with linear probing over a byte arena; the
/// hash is the standard library's seeded `Hasher`, so a sender cannot choose colliding keys. Bounded by `limit` and
/// `maxArenaBytes`: past them the cache starts over (ids are read back from the store as series are seen again).
///
/// Agents send their series in the same order in every batch, so beside the table the cache keeps, per host, the
/// spellings of its last batch by position (`BatchOrder`): the sample at position i is first compared with the
/// spelling at i last time, which costs a comparison of bytes and no hash or probe into the table (two cache misses
/// a sample at 100,000 series, about a tenth of ingest).
struct RawSeriesCache {
    /// One host's last batch: the spelling at each position, as the table holds it. Taken out of the cache for a
    /// batch (`order(of:)`) and put back after it (`keep(_:for:)`).
    struct BatchOrder {
        fileprivate struct Entry {
            var start: Int
            var nameCount: Int32
            var labelsCount: Int32
            var id: Int64
        }

        /// The host whose batch this is (an order is never used for another).
        let host: Int64
        fileprivate var entries: [Entry] = []
        /// The cache's `generation` the entries point into (an older one's arena is gone).
        fileprivate var generation: Int

        /// Positions remembered past this many are not (a host's batches are a few hundred samples).
        static let maxEntries = 50_000

        fileprivate mutating func record(_ entry: Entry, at position: Int, generation: Int) {
            if generation != self.generation {
                entries.removeAll(keepingCapacity: true)
                self.generation = generation
            }
            if position < entries.count {
                entries[position] = entry
            } else if position == entries.count && position < Self.maxEntries {
                entries.append(entry)
            }
        }
    }

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
    private var orders: [Int64: BatchOrder] = [:]
    /// Raised when the cache starts over: orders of an older generation are stale.
    private var generation = 0
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
        return name.withUTF8 { n in slot(host, n, labels)?.id }
    }

    /// `host`'s last batch, to pass to `find(host:name:labels:at:in:)` for each sample of the next; empty the first time.
    mutating func order(of host: Int64) -> BatchOrder {
        orders.removeValue(forKey: host) ?? BatchOrder(host: host, generation: generation)
    }

    /// Keeps `order` for `host`'s next batch.
    mutating func keep(_ order: BatchOrder, for host: Int64) {
        orders[host] = order
    }

    /// The id cached for the sample at `position` of a batch of `host`'s: first the spelling at that position in the
    /// host's last batch (`order`), then the table; what is found is remembered at `position` in `order`.
    func find(host: Int64, name: String, labels: UnsafeBufferPointer<UInt8>, at position: Int, in order: inout BatchOrder) -> Int64? {
        var name = name
        return name.withUTF8 { n in
            if order.generation == generation && order.host == host && position < order.entries.count {
                let e = order.entries[position]
                if Int(e.nameCount) == n.count && Int(e.labelsCount) == labels.count && matches(at: e.start, n, labels) { return e.id }
            }
            guard let slot = slot(host, n, labels) else { return nil }
            remember(slot, at: position, in: &order)
            return slot.id
        }
    }

    private func slot(_ host: Int64, _ n: UnsafeBufferPointer<UInt8>, _ labels: UnsafeBufferPointer<UInt8>) -> Slot? {
        let h = Self.hash(host, n, labels)
        var i = h & (slots.count - 1)
        while slots[i].id != Slot.free {
            let slot = slots[i]
            if slot.hash == h && slot.host == host && Int(slot.nameCount) == n.count && Int(slot.labelsCount) == labels.count
                && matches(at: slot.start, n, labels) { return slot }
            i = (i + 1) & (slots.count - 1)
        }
        return nil
    }

    /// Remembers `slot` at `position` in `order` when `order` is its host's.
    private func remember(_ slot: Slot, at position: Int, in order: inout BatchOrder) {
        guard order.host == slot.host else { return }
        order.record(BatchOrder.Entry(start: slot.start, nameCount: slot.nameCount, labelsCount: slot.labelsCount, id: slot.id),
                     at: position, generation: generation)
    }

    /// Caches `id` for this spelling of a series; starts over first when the cache holds `limit` series.
    mutating func insert(host: Int64, name: String, labels: UnsafeBufferPointer<UInt8>, id: Int64) {
        // An order of its own, past the positions one remembers: nothing is remembered.
        var order = BatchOrder(host: host, generation: generation)
        insert(host: host, name: name, labels: labels, id: id, at: BatchOrder.maxEntries, in: &order)
    }

    /// `insert(host:name:labels:id:)`, remembering the spelling at `position` of `host`'s batch (`order`).
    mutating func insert(host: Int64, name: String, labels: UnsafeBufferPointer<UInt8>, id: Int64, at position: Int, in order: inout BatchOrder) {
        if count >= limit || arena.count > Self.maxArenaBytes { removeAll() }
        if (count + 1) * 2 > slots.count { grow() }
        var name = name
        name.withUTF8 { n in
            let h = Self.hash(host, n, labels)
            let start = arena.count
            arena.append(contentsOf: n)
            arena.append(contentsOf: labels)
            let slot = Slot(hash: h, host: host, start: start, nameCount: Int32(n.count), labelsCount: Int32(labels.count), id: id)
            place(slot)
            remember(slot, at: position, in: &order)
        }
        count += 1
    }

    mutating func removeAll() {
        for i in slots.indices { slots[i] = .empty }
        arena.removeAll(keepingCapacity: true)
        orders.removeAll()
        generation += 1
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

    /// Whether the arena holds `name` then `labels` at `start` (the caller has compared their lengths).
    private func matches(at start: Int, _ name: UnsafeBufferPointer<UInt8>, _ labels: UnsafeBufferPointer<UInt8>) -> Bool {
        arena.withUnsafeBytes { a in equal(a, at: start, name) && equal(a, at: start + name.count, labels) }
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

/// Maps token byte strings to dense integer ids (1, 2, …; 0 is reserved for the wildcard `<*>`), with an
/// open-addressing hash table over one byte arena: no allocation per lookup.
struct TokenInterner: Sendable {
    private var arena: [UInt8] = []
    /// Token `id` is `arena[starts[id]..<starts[id + 1]]`; `starts[0] == starts[1] == 0` (the wildcard).
    private var starts: [Int] = [0, 0]
    private var hashes: [UInt64] = [0]
    /// Whether token `id` has a masked part (`<*>` inside it); true for the wildcard itself.
    private(set) var hasMask: [Bool] = [true]
    private var table: [Int32]
    private var mask: Int
    /// The most distinct tokens kept (memory bound: about 35 bytes each). Past it an unknown token is interned as
    /// the wildcard (a variable part), so a flood of random words cannot grow the miner without end.
    let limit: Int
    /// Whether an unknown token was turned into the wildcard because the interner was full.
    private(set) var saturated = false

    init(limit: Int = 500_000) {
        self.limit = limit
        table = [Int32](repeating: 0, count: 1024)
        mask = 1023
        arena.reserveCapacity(1 << 16)
    }

    /// Number of ids handed out, the wildcard included.
    var count: Int { hashes.count }

    /// The id of `b[s..<e]`, adding it if new.
    mutating func intern(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Int32 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for k in s..<e { h = (h ^ UInt64(b[k])) &* 0x100_0000_01b3 }
        h |= 1
        var slot = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
        let n = e - s
        while true {
            let id = Int(table[slot])
            if id == 0 { break }
            if hashes[id] == h, starts[id + 1] - starts[id] == n {
                var same = true
                let base = starts[id]
                for k in 0..<n where arena[base + k] != b[s + k] { same = false; break }
                if same { return Int32(id) }
            }
            slot = (slot + 1) & mask
        }
        if hashes.count >= limit {
            saturated = true
            return 0
        }
        let id = hashes.count
        arena.append(contentsOf: UnsafeBufferPointer(rebasing: b[s..<e]))
        starts.append(arena.count)
        hashes.append(h)
        var masked = false
        if n >= 3 {
            for k in s..<(e - 2) where b[k] == UInt8(ascii: "<") && b[k + 1] == UInt8(ascii: "*") && b[k + 2] == UInt8(ascii: ">") {
                masked = true
                break
            }
        }
        hasMask.append(masked)
        table[slot] = Int32(id)
        if hashes.count * 2 > table.count { grow() }
        return Int32(id)
    }

    /// The text of `id` (`<*>` for 0).
    func text(_ id: Int32) -> String {
        if id == 0 { return LogTokenMasker.wildcard }
        return String(decoding: arena[starts[Int(id)]..<starts[Int(id) + 1]], as: UTF8.self)
    }

    /// Raw bytes of `id` (empty for the wildcard).
    func bytes(_ id: Int32) -> ArraySlice<UInt8> {
        arena[starts[Int(id)]..<starts[Int(id) + 1]]
    }

    private mutating func grow() {
        let size = table.count * 2
        table = [Int32](repeating: 0, count: size)
        mask = size - 1
        for id in 1..<hashes.count {
            let h = hashes[id]
            var slot = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
            while table[slot] != 0 { slot = (slot + 1) & mask }
            table[slot] = Int32(id)
        }
    }
}

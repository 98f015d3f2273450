/// Online log template mining: every message gets a template id; variable parts read `<*>`.
///
/// Algorithm: masked tokens, Drain-style buckets, exact template matching, and evidence-based
/// generalisation (one setting for every log source; only the `LogFormat` that finds the message differs):
///
/// 1. **Masking** (`LogTokenMasker`): the message is split on whitespace; numbers, hex ids, IPs,
///    host:port, paths, URLs, `key=value` values, booleans, snake_case ids with digits, timestamps and
///    sized/timed values (`12 ms`, `4 KB`) become `<*>`, and runs of variable tokens collapse to one. Each
///    distinct token text gets an integer id (0 = `<*>`). Repeated value lists (`blk_<*> blk_<*> …`)
///    collapse to one element, so list length does not split an event.
/// 2. **Bucketing** (the first levels of Drain's tree): candidate templates have the same token count and
///    the same first token. Messages of one event almost always agree on both, and the first token is the
///    most reliable constant (`cupsd startup succeeded` and `hcid startup succeeded` are different events).
/// 3. **Matching**: a message joins a template of its bucket when every position agrees (a template `<*>`
///    agrees with anything); the most specific such template (fewest `<*>`) wins. Otherwise the message
///    starts a new template. No similarity threshold: a single differing word (`HTTPS`/`SOCKS5`,
///    `password`/`none`, `ok`/`error`) is not taken for a variable on sight, because grouping two events
///    together is as wrong as splitting one.
/// 4. **Generalisation by evidence**: when `mergeDistinct` (3) templates of a bucket are identical except
///    at one position, each with a different word there (`user root`, `user cyrus`, `user news`), that
///    position is a variable: they merge into one template with `<*>` there. Templates that a new,
///    more general template covers are folded into it. Ids are never reused: a merged id resolves to the
///    surviving (oldest) one through `resolve(_:)`, so ids handed out earlier stay valid and the final
///    report can give each line its final template.
/// 5. **Safeguard**: a bucket that reaches `maxTemplatesPerBucket` templates stops growing; a message that
///    matches none of them joins the most similar one if half its positions agree (Drain's rule).
///
/// Everything is deterministic: the same messages in the same order give the same ids and templates.
/// Cost per message is linear in its length plus the size of its bucket; the miner keeps templates, not
/// messages. Work is on UTF-8 bytes with reusable buffers (no per-token allocation).
public struct LogTemplateMiner: Sendable {
    /// Tuning knobs. The defaults are used for every log source.
    public struct Options: Sendable, Equatable {
        /// How many leading tokens (when not wildcards) must agree exactly: they pick the bucket.
        public var prefixTokens: Int = 1
        /// How many templates differing only at one position (each with another constant there) make that
        /// position a variable.
        public var mergeDistinct: Int = 3
        /// A bucket (token count + first token) holding this many templates stops making new ones: a message
        /// that matches none joins the most similar template when at least `fallbackSimilarity` of its
        /// positions agree (Drain's rule). Bounds memory and time on sources with unmasked variables.
        public var maxTemplatesPerBucket: Int = 200
        public var fallbackSimilarity: Double = 0.5
        /// The most template ids the miner hands out in all; past it a message that matches no template joins the
        /// overflow template `(template-limit-reached) <*>` (``overflowed`` turns true). Bounds memory.
        public var maxTemplates: Int = 20_000
        public init() {}

        /// The names `set` takes.
        public static let names = ["prefix_tokens", "merge_distinct", "max_templates_per_bucket", "fallback_similarity"]

        /// Sets one knob from `name=value` (for the benchmarks' cross-validation); the error names what is wrong.
        public mutating func set(_ assignment: String) throws(KnobError) {
            let a = try KnobAssignment(assignment)
            switch a.name {
            case "prefix_tokens": prefixTokens = try a.int(0...2)
            case "merge_distinct": mergeDistinct = try a.int(2...100)
            case "max_templates_per_bucket": maxTemplatesPerBucket = try a.int(1...100_000)
            case "fallback_similarity": fallbackSimilarity = try a.number(0...1)
            default: throw a.unknown(Self.names)
            }
        }
    }

    /// What the store says (a warning setting) once the template limit is reached.
    static func limitWarning(_ maxTemplates: Int) -> String {
        "log template limit reached (\(maxTemplates) templates): new kinds of line now join "
            + "'(template-limit-reached) <*>'; a source whose variable parts are not masked is the usual cause"
    }

    struct Cluster: Sendable {
        var tokens: [Int32]
        /// What to show per position: the token, or for a position that was a masked value in the first
        /// message, its display text (`(<*>)`); 0 (`<*>`) for positions that generalised.
        var display: [Int32]
        var size: Int
        var wildcards: Int
    }

    struct BucketKey: Hashable, Sendable {
        var count: Int32
        var first: Int32
        var second: Int32
    }

    public let options: Options
    private var interner = TokenInterner()
    private var clusters: [Cluster] = []
    /// Union-find parent of each template id (itself when not merged away).
    private var parent: [Int32] = []
    private var buckets: [BucketKey: [Int32]] = [:]
    private var line = MaskedLine()
    private var ids: [Int32] = []
    private var shown: [Int32] = []
    /// The overflow template, once the template limit was reached.
    private var overflow: Int32?

    public init() { self.init(options: Options()) }

    public init(options: Options) {
        self.options = options
        ids.reserveCapacity(64)
    }

    /// Number of template ids handed out (merged ones included).
    public var idCount: Int { clusters.count }

    /// Whether the template limit was reached (messages that match no template now join the overflow template),
    /// or the token interner filled up (unknown words are treated as variables).
    public var overflowed: Bool { overflow != nil || interner.saturated }

    /// Number of distinct live templates.
    public var templateCount: Int {
        var n = 0
        for i in parent.indices where parent[i] == Int32(i) { n += 1 }
        return n
    }

    /// Mines one message; returns its template id (see `resolve(_:)` for ids merged later).
    @discardableResult
    public mutating func add(_ message: Substring) -> Int {
        if let id = message.utf8.withContiguousStorageIfAvailable({ add(bytes: $0, 0..<$0.count) }) { return id }
        var copy = String(message)
        return copy.withUTF8 { add(bytes: $0, 0..<$0.count) }
    }

    /// Mines one message; returns its template id.
    @discardableResult
    public mutating func add(_ message: String) -> Int {
        var copy = message
        return copy.withUTF8 { add(bytes: $0, 0..<$0.count) }
    }

    /// Mines one message if it fits a template there is (possibly generalising it); nil when it would start a
    /// new one (and nothing changed).
    public mutating func addIfKnown(_ message: String) -> Int? {
        var copy = message
        let id = copy.withUTF8 { add(bytes: $0, 0..<$0.count, mayCreate: false) }
        return id < 0 ? nil : id
    }

    /// Mines the message `bytes[range]` (UTF-8); returns its template id.
    public mutating func add(bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        add(bytes: bytes, range, mayCreate: true)
    }

    private mutating func add(bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, mayCreate: Bool) -> Int {
        LogTokenMasker.mask(bytes, range, into: &line)
        ids.removeAll(keepingCapacity: true)
        shown.removeAll(keepingCapacity: true)
        line.bytes.withUnsafeBufferPointer { buf in
            for i in 0..<line.count {
                let id = interner.intern(buf, line.starts[i], line.ends[i])
                ids.append(line.isVariable[i] ? 0 : id)
                shown.append(id)
                collapseRepeat()
            }
        }
        return Int(place(mayCreate: mayCreate))
    }

    /// The surviving id for an id returned by `add` (ids of merged templates point to the merged one).
    public func resolve(_ id: Int) -> Int {
        var i = Int32(id)
        while parent[Int(i)] != i { i = parent[Int(i)] }
        return Int(i)
    }

    /// The current template of `id` (resolved), tokens joined by single spaces, variables as `<*>`.
    public func template(_ id: Int) -> String {
        let c = clusters[resolve(id)]
        return c.display.map { interner.text($0) }.joined(separator: " ")
    }

    /// How many messages the template `id` (resolved) has absorbed.
    public func size(_ id: Int) -> Int { clusters[resolve(id)].size }

    // MARK: - internals

    /// Lists: when the last `p` tokens (p = 1…3) repeat the `p` before them and hold a masked value, drops
    /// the repeat, so
    /// `blk_<*> blk_<*> blk_<*>` reads `blk_<*>` and `node-<*> <*> <ok> node-<*> <*> <ok>` reads
    /// `node-<*> <*> <ok>`, whatever the list length (`user user` stays: plain words are not a value list).
    @inline(__always)
    private mutating func collapseRepeat() {
        var n = ids.count
        var p = 1
        while p <= 3 {
            if n >= 2 * p {
                var same = true
                var value = false
                for k in 0..<p {
                    let a = ids[n - 1 - k]
                    if a != ids[n - 1 - p - k] { same = false; break }
                    if interner.hasMask[Int(a)] { value = true }
                }
                if same, value {
                    ids.removeLast(p)
                    shown.removeLast(p)
                    n -= p
                    p = 1
                    continue
                }
            }
            p += 1
        }
    }

    private func key() -> BucketKey {
        let n = ids.count
        let first: Int32 = options.prefixTokens >= 1 && n > 0 ? ids[0] : -1
        let second: Int32 = options.prefixTokens >= 2 && n > 1 ? ids[1] : -1
        return BucketKey(count: Int32(n), first: first, second: second)
    }

    private mutating func place(mayCreate: Bool) -> Int32 {
        let k = key()
        let n = ids.count
        var best: Int32 = -1
        var bestWild = Int.max
        if let members = buckets[k] {
            for m in members {
                let c = clusters[Int(m)]
                if c.wildcards >= bestWild { continue }
                var ok = true
                c.tokens.withUnsafeBufferPointer { t in
                    ids.withUnsafeBufferPointer { l in
                        for p in 0..<n where t[p] != 0 && t[p] != l[p] { ok = false; break }
                    }
                }
                if ok { best = m; bestWild = c.wildcards }
            }
        }
        if best >= 0 {
            clusters[Int(best)].size += 1
            return best
        }
        if let members = buckets[k], members.count >= options.maxTemplatesPerBucket, n > 0 {
            // Safeguard for sources whose variables the rules above miss: join the most similar template.
            var bestAgree = -1
            for m in members {
                let t = clusters[Int(m)].tokens
                var agree = 0
                for p in 0..<n where t[p] != 0 && t[p] == ids[p] { agree += 1 }
                if agree > bestAgree { bestAgree = agree; best = m }
            }
            if best >= 0, Double(bestAgree) >= options.fallbackSimilarity * Double(n) {
                var c = clusters[Int(best)]
                for p in 0..<n where c.tokens[p] != ids[p] && c.tokens[p] != 0 {
                    c.tokens[p] = 0
                    c.display[p] = 0
                    c.wildcards += 1
                }
                c.size += 1
                clusters[Int(best)] = c
                _ = absorbCovered(by: best, key: k)
                return best
            }
        }
        if !mayCreate { return -1 }
        if clusters.count >= options.maxTemplates { return overflowTemplate() }
        let id = Int32(clusters.count)
        var wild = 0
        for t in ids where t == 0 { wild += 1 }
        clusters.append(Cluster(tokens: ids, display: shown, size: 1, wildcards: wild))
        parent.append(id)
        buckets[k, default: []].append(id)
        var survivor = id
        if wild > 0 { survivor = absorbCovered(by: survivor, key: k) }
        while let merged = generalise(survivor, key: k) {
            survivor = absorbCovered(by: merged, key: k)
        }
        return id
    }

    /// The one template every unmatched message joins past the limit, made on first need (in a bucket of its own
    /// kind, so the tracker sees it like any other).
    private mutating func overflowTemplate() -> Int32 {
        if let o = overflow {
            clusters[Int(o)].size += 1
            return o
        }
        let marker = Array("(template-limit-reached)".utf8)
        let token = marker.withUnsafeBufferPointer { interner.intern($0, 0, $0.count) }
        let id = Int32(clusters.count)
        clusters.append(Cluster(tokens: [token, 0], display: [token, 0], size: 1, wildcards: 1))
        parent.append(id)
        let key = BucketKey(count: 2, first: options.prefixTokens >= 1 ? token : -1, second: options.prefixTokens >= 2 ? 0 : -1)
        buckets[key, default: []].append(id)
        overflow = id
        return id
    }

    /// Looks for a position `p` where `c` and at least `options.mergeDistinct - 1` other templates of the
    /// bucket agree everywhere except at `p`, each with a different constant there. If found, they become one
    /// template (the oldest id survives) with `<*>` at `p`; returns the survivor.
    private mutating func generalise(_ c: Int32, key k: BucketKey) -> Int32? {
        guard let members = buckets[k], members.count >= options.mergeDistinct else { return nil }
        let t = clusters[Int(c)].tokens
        let n = t.count
        // For each other template differing from `c` at exactly one position (constants on both sides),
        // count it against that position.
        var hits = [Int32](repeating: 0, count: n)
        var found = false
        for m in members where m != c {
            let o = clusters[Int(m)].tokens
            var diff = -1
            var many = false
            for q in 0..<n where o[q] != t[q] {
                if diff >= 0 { many = true; break }
                diff = q
            }
            if many || diff < options.prefixTokens || o[diff] == 0 || t[diff] == 0 { continue }
            hits[diff] += 1
            if Int(hits[diff]) + 1 >= options.mergeDistinct { found = true }
        }
        guard found, let p = hits.firstIndex(where: { Int($0) + 1 >= options.mergeDistinct }) else { return nil }
        var cls: [Int32] = [c]
        for m in members where m != c {
            let o = clusters[Int(m)].tokens
            if o[p] == 0 { continue }
            var same = true
            for q in 0..<n where q != p && o[q] != t[q] { same = false; break }
            if same { cls.append(m) }
        }
        let survivor = cls.min()!
        var tokens = t
        tokens[p] = 0
        var size = 0
        for m in cls {
            size += clusters[Int(m)].size
            if m != survivor { parent[Int(m)] = survivor }
        }
        var display = clusters[Int(c)].display
        display[p] = 0
        clusters[Int(survivor)].tokens = tokens
        clusters[Int(survivor)].display = display
        clusters[Int(survivor)].size = size
        clusters[Int(survivor)].wildcards = tokens.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
        buckets[k] = members.filter { parent[Int($0)] == $0 }
        return survivor
    }

    /// Folds every other template of the bucket that `target`'s template covers (equal or `<*>` at every
    /// position) into `target`; returns the survivor (the oldest id).
    private mutating func absorbCovered(by target: Int32, key k: BucketKey) -> Int32 {
        guard let members = buckets[k], members.count > 1 else { return target }
        let t = clusters[Int(target)].tokens
        var group: [Int32] = [target]
        for m in members where m != target {
            let o = clusters[Int(m)].tokens
            var covered = true
            for p in 0..<t.count where t[p] != 0 && t[p] != o[p] { covered = false; break }
            if covered { group.append(m) }
        }
        if group.count == 1 { return target }
        let survivor = group.min()!
        var size = 0
        for m in group {
            size += clusters[Int(m)].size
            if m != survivor { parent[Int(m)] = survivor }
        }
        clusters[Int(survivor)].tokens = t
        clusters[Int(survivor)].display = clusters[Int(target)].display
        clusters[Int(survivor)].size = size
        clusters[Int(survivor)].wildcards = t.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
        buckets[k] = members.filter { parent[Int($0)] == $0 }
        return survivor
    }
}

// MARK: - Read-only views for keeping a copy in step (LogTemplateTracker)

extension LogTemplateMiner {
    /// The live templates sharing the bucket of `id` (resolved; same token count and first token), that one
    /// included: the only templates a later `add` can merge with it or generalise alongside it.
    public func bucketMates(of id: Int) -> [Int] {
        let c = clusters[resolve(id)]
        let n = c.tokens.count
        let first: Int32 = options.prefixTokens >= 1 && n > 0 ? c.tokens[0] : -1
        let second: Int32 = options.prefixTokens >= 2 && n > 1 ? c.tokens[1] : -1
        return (buckets[BucketKey(count: Int32(n), first: first, second: second)] ?? []).map(Int.init)
    }

    /// How many `<*>` positions the template `id` (resolved) has; it grows when the template generalises.
    public func wildcardCount(of id: Int) -> Int { clusters[resolve(id)].wildcards }
}

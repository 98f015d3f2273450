/// An order-free hash of a label set for the hot keys (`SeriesKey`, the writer's series cache): one sum of per-pair
/// FNV-1a hashes of the UTF-8 bytes. `Dictionary.hash(into:)` seeds and finalises a SipHash per pair, which was a
/// tenth of the ingest CPU (perf, bench/ingest.sh). The FNV basis is random per process; colliding labels would only
/// slow the lookups of one host's own series, which its series cap bounds.
enum LabelHash {
    static let basis: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64.random(in: 0...UInt64.max)

    static func mix(_ labels: [String: String]) -> UInt64 {
        var mix: UInt64 = 0
        for (k, v) in labels { mix &+= fnv(v, fnv(k, basis)) }
        return mix
    }

    @inline(__always)
    static func fnv(_ s: String, _ seed: UInt64) -> UInt64 {
        var x = seed
        for b in s.utf8 { x = (x ^ UInt64(b)) &* 0x100_0000_01b3 }
        return (x ^ 0xff) &* 0x100_0000_01b3
    }
}

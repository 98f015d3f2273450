import Testing
@testable import VigilCore

@Suite struct RawSeriesCacheTests {
    func find(_ c: RawSeriesCache, _ host: Int64, _ name: String, _ labels: String) -> Int64? {
        Array(labels.utf8).withUnsafeBufferPointer { c.find(host: host, name: name, labels: $0) }
    }

    func insert(_ c: inout RawSeriesCache, _ host: Int64, _ name: String, _ labels: String, _ id: Int64) {
        Array(labels.utf8).withUnsafeBufferPointer { c.insert(host: host, name: name, labels: $0, id: id) }
    }

    @Test func findsExactlyTheBytesItWasGiven() {
        var c = RawSeriesCache(limit: 100)
        insert(&c, 1, "disk.used_percent", #"{"mount":"/"}"#, 7)
        #expect(find(c, 1, "disk.used_percent", #"{"mount":"/"}"#) == 7)
        // Another host, name, spelling or split between name and labels is another key.
        #expect(find(c, 2, "disk.used_percent", #"{"mount":"/"}"#) == nil)
        #expect(find(c, 1, "disk.used_percen", #"t{"mount":"/"}"#) == nil)
        #expect(find(c, 1, "disk.used_percent", #"{ "mount":"/"}"#) == nil)
        #expect(find(c, 1, "disk.free_percent", #"{"mount":"/"}"#) == nil)
        // Several spellings of one series map to its one id.
        insert(&c, 1, "disk.used_percent", #"{ "mount":"/"}"#, 7)
        #expect(find(c, 1, "disk.used_percent", #"{ "mount":"/"}"#) == 7)
        #expect(c.count == 2)
    }

    @Test func growsPastItsFirstCapacityAndKeepsEveryEntry() {
        var c = RawSeriesCache(limit: 100_000, initialCapacity: 4)
        for i in 0..<5_000 { insert(&c, Int64(i % 7), "m\(i % 13)", #"{"i":"\#(i)"}"#, Int64(i + 1)) }
        #expect(c.count == 5_000)
        #expect((0..<5_000).allSatisfy { find(c, Int64($0 % 7), "m\($0 % 13)", #"{"i":"\#($0)"}"#) == Int64($0 + 1) })
        #expect(find(c, 0, "m0", #"{"i":"5000"}"#) == nil)
    }

    @Test func startsOverAtItsLimit() {
        var c = RawSeriesCache(limit: 3)
        for i in 0..<3 { insert(&c, 1, "m", #"{"i":"\#(i)"}"#, Int64(i + 1)) }
        #expect(c.count == 3 && find(c, 1, "m", #"{"i":"0"}"#) == 1)
        insert(&c, 1, "m", #"{"i":"3"}"#, 4)
        #expect(c.count == 1)
        #expect(find(c, 1, "m", #"{"i":"0"}"#) == nil && find(c, 1, "m", #"{"i":"3"}"#) == 4)
    }

    /// A batch's samples looked up by position in the host's last batch, as the writer does.
    func lookUp(_ c: inout RawSeriesCache, host: Int64, _ batch: [(String, String)], newIDs: inout Int64) -> [Int64] {
        var order = c.order(of: host)
        defer { c.keep(order, for: host) }
        return batch.enumerated().map { position, sample in
            Array(sample.1.utf8).withUnsafeBufferPointer { labels in
                if let id = c.find(host: host, name: sample.0, labels: labels, at: position, in: &order) { return id }
                newIDs += 1
                c.insert(host: host, name: sample.0, labels: labels, id: newIDs, at: position, in: &order)
                return newIDs
            }
        }
    }

    @Test func aBatchInTheLastOneOrderFindsTheSameIdsAsTheTable() {
        var c = RawSeriesCache(limit: 1_000)
        var next: Int64 = 0
        let batch = [("cpu", "{}"), ("disk", #"{"mount":"/"}"#), ("disk", #"{"mount":"/var"}"#)]
        let first = lookUp(&c, host: 1, batch, newIDs: &next)
        #expect(first == [1, 2, 3])
        #expect(lookUp(&c, host: 1, batch, newIDs: &next) == first)
        // Another order, a new series in the middle, one left out: each sample still gets its own series' id.
        let shuffled = [("disk", #"{"mount":"/var"}"#), ("net", #"{"if":"eth0"}"#), ("cpu", "{}")]
        #expect(lookUp(&c, host: 1, shuffled, newIDs: &next) == [3, 4, 1])
        #expect(lookUp(&c, host: 1, batch, newIDs: &next) == first)
        // A spelling at the same position as another host's, or with another split between name and labels, is not it.
        #expect(lookUp(&c, host: 2, batch, newIDs: &next) == [5, 6, 7])
        #expect(lookUp(&c, host: 1, [("cp", "u{}")], newIDs: &next) == [8])
        #expect(lookUp(&c, host: 1, batch, newIDs: &next) == first)
        // What the orders found is what the table holds.
        #expect(find(c, 1, "disk", #"{"mount":"/"}"#) == 2 && find(c, 2, "disk", #"{"mount":"/"}"#) == 6)
    }

    @Test func anOrderDoesNotOutliveTheCacheStartingOver() {
        var c = RawSeriesCache(limit: 3)
        var next: Int64 = 0
        let batch = [("a", "{}"), ("b", "{}"), ("c", "{}")]
        #expect(lookUp(&c, host: 1, batch, newIDs: &next) == [1, 2, 3])
        #expect(lookUp(&c, host: 1, batch, newIDs: &next) == [1, 2, 3])
        // A fourth series starts the cache over mid-batch: the positions remembered before point into a dropped arena.
        #expect(lookUp(&c, host: 1, [("d", "{}"), ("b", "{}"), ("c", "{}")], newIDs: &next) == [4, 5, 6])
        #expect(c.count == 3)
        // "a" is not among the three kept: the cache starts over again at position 0, and "b" and "c", found by
        // position in the order before, must not be: their bytes went with it.
        #expect(lookUp(&c, host: 1, batch, newIDs: &next) == [7, 8, 9])
        #expect(lookUp(&c, host: 1, batch, newIDs: &next) == [7, 8, 9])
    }
}

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
}

import Testing
@testable import VigilCore

@Suite struct SeriesKeyPoolTests {
    /// The address of a native string's bytes (names longer than 15 bytes are stored on the heap).
    private func storage(_ s: String) -> UnsafeRawPointer? {
        s.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
    }

    /// A dictionary is one reference to its storage.
    private func storage(_ d: [String: String]) -> Int { unsafeBitCast(d, to: Int.self) }

    @Test func keysOfTheSameSeriesOnDifferentHostsShareTheirNameAndLabels() {
        let pool = SeriesKeyPool()
        let text = #"{"device":"nvme0n1p1","mountpoint":"/var/lib/postgresql"}"#
        // Built from separate strings, as rows read from a database are.
        let a = pool.key(host: "db-primary-1.eu-west.example.com", name: String("disk.used_percent_of_filesystem".reversed().reversed()), labelsText: text)
        let b = pool.key(host: "db-replica-2.eu-west.example.com", name: String("disk.used_percent_of_filesystem".reversed().reversed()), labelsText: String(text.reversed().reversed()))
        #expect(a.labels == ["device": "nvme0n1p1", "mountpoint": "/var/lib/postgresql"])
        #expect(a.name == b.name && a.labels == b.labels && a.host != b.host)
        #expect(storage(a.name) != nil && storage(a.name) == storage(b.name))
        #expect(storage(a.labels) == storage(b.labels))
        // A different label set is its own.
        let c = pool.key(host: "db-primary-1.eu-west.example.com", name: a.name, labelsText: #"{"device":"sda1","mountpoint":"/"}"#)
        #expect(c.labels == ["device": "sda1", "mountpoint": "/"] && storage(c.labels) != storage(a.labels))
        #expect(pool.key(host: "h", name: "n", labelsText: "{}").labels.isEmpty)
    }

    @Test func startsAgainPastItsLimitAndTheKeysStayRight() {
        let pool = SeriesKeyPool()
        for i in 0...(SeriesKeyPool.limit / 2 + 1) {
            let key = pool.key(host: "host-\(i)", name: "net.bytes_received", labelsText: #"{"if":"eth\#(i)"}"#)
            #expect(key.host == "host-\(i)" && key.labels == ["if": "eth\(i)"], "series \(i)")
        }
        // Two new entries a series: without starting again it would hold more than its limit by now.
        #expect(pool.entries <= SeriesKeyPool.limit)
    }
}

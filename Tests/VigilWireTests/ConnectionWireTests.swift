import Testing
@testable import VigilWire

/// `connections` in a batch: round trip through the writer, and every bad record named by its field.
struct ConnectionWireTests {
    func decode(_ json: String) throws(WireError) -> IngestBatch {
        try IngestDecoder().decode(Array(json.utf8), nowMs: 1_764_400_000_000)
    }

    @Test func roundTripsThroughTheWriter() throws {
        var batch = IngestBatch(host: "web-1")
        batch.connections = [
            ConnectionRecord(direction: .outbound, process: "php-fpm", localAddr: "10.0.0.5", remoteAddr: "10.0.0.7", remotePort: 5432, count: 12),
            ConnectionRecord(direction: .inbound, process: "", localAddr: "fe80::1", localPort: 443, remoteAddr: "10.0.0.9"),
        ]
        let decoded = try decode(batch.json())
        #expect(decoded.connections == batch.connections)
        #expect(!decoded.isEmpty)
    }

    @Test(arguments: [
        (#"[{"process":"x","local_addr":"a","remote_addr":"b","remote_port":1}]"#, "connections[0].dir"),
        (#"[{"dir":"sideways","local_addr":"a","remote_addr":"b","remote_port":1}]"#, "connections[0].dir"),
        (#"[{"dir":"out","local_addr":"a","remote_addr":"b"}]"#, "connections[0].remote_port"),
        (#"[{"dir":"in","local_addr":"a","remote_addr":"b"}]"#, "connections[0].local_port"),
        (#"[{"dir":"out","local_addr":"a","remote_addr":"b","remote_port":70000}]"#, "connections[0].remote_port"),
        (#"[{"dir":"out","remote_addr":"b","remote_port":1}]"#, "connections[0].local_addr"),
        (#"[{"dir":"out","local_addr":"a","remote_addr":"b","remote_port":1,"count":0}]"#, "connections[0].count"),
        (#"{}"#, "connections"),
    ])
    func badRecordsAreNamed(_ records: String, _ field: String) {
        do {
            _ = try decode(#"{"host":"h","connections":"# + records + "}")
            Issue.record("accepted \(records)")
        } catch {
            #expect(error.field == field, "\(records): \(error)")
        }
    }

    @Test func atMost200Records() {
        let one = #"{"dir":"out","local_addr":"a","remote_addr":"b","remote_port":1}"#
        let many = "[" + Array(repeating: one, count: 201).joined(separator: ",") + "]"
        #expect(throws: WireError.self) { try decode(#"{"host":"h","connections":"# + many + "}") }
    }
}

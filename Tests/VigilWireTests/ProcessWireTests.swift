import Testing
@testable import VigilWire

/// `processes` in an ingest batch: written and read back, and refused with the field named when wrong.
@Suite struct ProcessWireTests {
    let now: Int64 = 1_764_400_000_000

    @Test func processesRoundTripAndMistakesNameTheField() throws {
        var b = IngestBatch(host: "web-1")
        b.processes = [ProcessSample(pid: 4242, user: "www-data", command: "nginx: worker process", cpuPercent: 12.5, rssBytes: 48_000_000,
                                     state: "S", startedAt: now - 3_600_000, ts: now - 1000)]
        let back = try IngestDecoder().decode(Array(b.json().utf8), nowMs: now)
        #expect(back.processes == b.processes && !back.isEmpty)
        func error(_ processes: String) -> WireError? {
            do { _ = try IngestDecoder().decode(Array(#"{"host":"h","processes":\#(processes)}"#.utf8), nowMs: now); return nil } catch { return error }
        }
        #expect(error(#"[{"command":"x"}]"#)?.field == "processes[0].pid")
        #expect(error(#"[{"pid":1}]"#)?.field == "processes[0].command")
        #expect(error(#"[{"pid":1,"command":"x","cpu_percent":-1}]"#)?.field == "processes[0].cpu_percent")
        #expect(error(#"[{"pid":0,"command":"x"}]"#)?.field == "processes[0].pid")
        #expect(error(#"{"pid":1}"#)?.field == "processes")
        let many = "[" + Array(repeating: #"{"pid":1,"command":"x"}"#, count: IngestDecoder.maxProcesses + 1).joined(separator: ",") + "]"
        #expect(error(many)?.field == "processes[\(IngestDecoder.maxProcesses)]")
        #expect(error(#"[{"pid":1,"command":"\#(String(repeating: "a", count: 300))"}]"#)?.field == "processes[0].command")
    }
}

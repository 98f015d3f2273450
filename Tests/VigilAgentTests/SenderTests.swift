import Foundation
import Testing
import VigilWire
@testable import VigilAgentCore

@Suite struct SenderTests {
    private func batch(_ id: Int, samples: Int = 1) -> IngestBatch {
        IngestBatch(host: "web-1", samples: (0..<samples).map { Sample(name: "test.seq", value: Double(id * 100 + $0), ts: 1_700_000_000_000 + Int64($0)) })
    }

    private func gz(_ b: IngestBatch) -> [UInt8] { Gzip.compress(Array(b.json().utf8)) }

    private func decode(_ r: TestHTTPServer.Request) -> IngestBatch? {
        let plain = r.header("Content-Encoding") == "gzip" ? (try? Gzip.decompress(r.body, limit: 1 << 26)) : r.body
        return plain.flatMap { try? IngestDecoder().decode($0, nowMs: 1 << 50) }
    }

    private func values(_ server: TestHTTPServer, acceptedOnly statuses: [Int]) -> [Double] {
        zip(server.requests, statuses).filter { $0.1 == 200 }.flatMap { decode($0.0)?.samples.map(\.value) ?? [] }
    }

    @Test func outageKeepsBatchesThenDeliversThemInOrder() throws {
        let dir = TempDir()
        let server = TestHTTPServer { n, _ in n == 0 ? (503, "{\"error\":\"store busy\"}") : (200, "{\"accepted\":{\"samples\":1,\"logs\":0,\"checks\":0},\"jobs\":[]}") }
        defer { server.stop() }
        let logs = LogCapture()
        let spool = try Spool(directory: dir.path)
        let sender = Sender(ingestURL: server.url + "/api/v1/ingest", token: "s3cret", spool: spool, intervalMs: 10_000, log: logs.log)
        for i in 1...3 { try spool.append(gz(batch(i))) }

        let failed = sender.flush(monotonicMs: 0)
        #expect(failed.delivered == 0)
        #expect(failed.remaining == 3)
        #expect(failed.stoppedBy == "listener error (HTTP 503): {\"error\":\"store busy\"}")
        #expect(sender.nextRetryMs == 1000)
        // Backoff: no attempt before the retry time.
        #expect(sender.flush(monotonicMs: 500).delivered == 0)
        #expect(server.requests.count == 1)

        let ok = sender.flush(monotonicMs: 1000)
        #expect(ok.delivered == 3)
        #expect(ok.remaining == 0)
        #expect(spool.count == 0)
        let values = server.requests.dropFirst().compactMap { decode($0)?.samples.first?.value }
        #expect(values == [100, 200, 300])
        let r = server.requests[1]
        #expect(r.head.hasPrefix("POST /api/v1/ingest HTTP/1.1"))
        #expect(r.header("Authorization") == "Bearer s3cret")
        #expect(r.header("Content-Type") == "application/json")
        #expect(r.header("Content-Encoding") == "gzip")
        #expect(logs.lines.contains { $0.contains("listener error (HTTP 503)") && $0.contains("spooled 3 batches") })
        #expect(logs.lines.contains { $0.contains("listener reachable again; delivered 3 spooled batches") })
    }

    @Test func unreachableListenerIsReportedAndNothingIsLost() throws {
        let dir = TempDir()
        let logs = LogCapture()
        let spool = try Spool(directory: dir.path)
        let sender = Sender(ingestURL: "http://127.0.0.1:\(TestSocket.closedPort())/api/v1/ingest", token: "t", spool: spool,
                            intervalMs: 10_000, log: logs.log)
        try spool.append(gz(batch(1)))
        let r = sender.flush(monotonicMs: 0)
        #expect(r.stoppedBy == "listener unreachable (connection refused)")
        #expect(r.remaining == 1)
        #expect(logs.lines.last?.hasPrefix("vigil-agent: warning: listener unreachable (connection refused); spooled 1 batch (") == true)
    }

    @Test func badRequestDropsOnlyThatBatch() throws {
        let dir = TempDir()
        let server = TestHTTPServer { n, _ in n == 0 ? (400, "{\"error\":\"bad sample\"}") : (200, "{}") }
        defer { server.stop() }
        let logs = LogCapture()
        let spool = try Spool(directory: dir.path)
        let sender = Sender(ingestURL: server.url + "/api/v1/ingest", token: "t", spool: spool, intervalMs: 10_000, log: logs.log)
        for i in 1...2 { try spool.append(gz(batch(i))) }
        let r = sender.flush(monotonicMs: 0)
        #expect(r.dropped == 1)
        #expect(r.delivered == 1)
        #expect(r.remaining == 0)
        #expect(logs.lines.contains { $0.contains("HTTP 400") && $0.contains("bad sample") })
    }

    @Test func tooLargeBatchesAreSplitUntilAccepted() throws {
        let dir = TempDir()
        let statuses = StatusLog()
        let server = TestHTTPServer { _, req in
            let count = (try? Gzip.decompress(req.body, limit: 1 << 26)).flatMap { try? IngestDecoder().decode($0, nowMs: 1 << 50) }?.samples.count ?? 0
            let status = count > 2 ? 413 : 200
            statuses.append(status)
            return (status, "{}")
        }
        defer { server.stop() }
        let spool = try Spool(directory: dir.path)
        let sender = Sender(ingestURL: server.url + "/api/v1/ingest", token: "t", spool: spool, intervalMs: 10_000, log: .silent)
        try spool.append(gz(batch(1, samples: 5)))
        try spool.append(gz(batch(2, samples: 1)))
        let r = sender.flush(monotonicMs: 0)
        #expect(r.remaining == 0)
        #expect(r.dropped == 0)
        #expect(values(server, acceptedOnly: statuses.all) == [100, 101, 102, 103, 104, 200])
    }

    @Test func unsupportedGzipIsResentPlain() throws {
        let dir = TempDir()
        let server = TestHTTPServer { _, req in req.header("Content-Encoding") == "gzip" ? (415, "{}") : (200, "{}") }
        defer { server.stop() }
        let spool = try Spool(directory: dir.path)
        let sender = Sender(ingestURL: server.url + "/api/v1/ingest", token: "t", spool: spool, intervalMs: 10_000, log: .silent)
        try spool.append(gz(batch(7)))
        let r = sender.flush(monotonicMs: 0)
        #expect(r.delivered == 1)
        #expect(server.requests.count == 2)
        #expect(decode(server.requests[1])?.samples.first?.value == 700)
    }

    @Test func halvesKeepOrderAndItems() {
        var b = batch(1, samples: 3)
        b.logs = [LogEntry(ts: 1_700_000_000_000, source: "/x", level: .info, message: "m")]
        b.checks = [CheckResult(name: "c", kind: .tcp, target: "h:1", ok: true, latencyMs: 1)]
        let (x, y) = Sender.halves(b)
        #expect(x.samples.count == 2 && x.logs.isEmpty && x.checks.isEmpty)
        #expect(y.samples.count == 1 && y.logs.count == 1 && y.checks.count == 1)
        #expect(x.host == "web-1" && y.host == "web-1")
    }
}

final class StatusLog: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int] = []
    func append(_ v: Int) { lock.lock(); values.append(v); lock.unlock() }
    var all: [Int] { lock.lock(); defer { lock.unlock() }; return values }
}

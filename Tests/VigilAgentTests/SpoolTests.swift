import Foundation
import Testing
@testable import VigilAgentCore

@Suite struct SpoolTests {
    private func body(_ n: Int, size: Int = 10) -> [UInt8] { [UInt8](repeating: UInt8(n), count: size) }

    @Test func appendsInOrderAndReplaysOldestFirst() throws {
        let dir = TempDir()
        let spool = try Spool(directory: dir.file("spool"), maxBytes: 1000)
        for i in 1...3 { try spool.append(body(i)) }
        #expect(spool.count == 3)
        #expect(spool.totalBytes == 30)
        #expect(spool.entries.map(\.name) == ["00000000000000000001.batch.gz", "00000000000000000002.batch.gz",
                                              "00000000000000000003.batch.gz"])
        let first = try #require(spool.oldest)
        #expect(try spool.read(first) == body(1))
        spool.remove(first)
        #expect(try spool.read(try #require(spool.oldest)) == body(2))
        #expect(spool.totalBytes == 20)
        #expect(!FileManager.default.fileExists(atPath: dir.file("spool/00000000000000000001.batch.gz")))
    }

    @Test func boundDropsTheOldest() throws {
        let dir = TempDir()
        let spool = try Spool(directory: dir.path, maxBytes: 35)
        for i in 1...3 { #expect(try spool.append(body(i)) == 0) }
        #expect(try spool.append(body(4)) == 1)
        #expect(spool.droppedBatches == 1)
        #expect(spool.entries.map(\.key) == [[2], [3], [4]])
        #expect(try spool.append(body(5, size: 25)) == 2)
        #expect(spool.entries.map(\.key) == [[4], [5]])
        #expect(spool.totalBytes == 35)
        // A batch larger than the whole spool is refused rather than emptying it.
        #expect(try spool.append(body(6, size: 36)) == 1)
        #expect(spool.entries.map(\.key) == [[4], [5]])
        #expect(spool.droppedBatches == 4)
    }

    @Test func survivesReopenAndContinuesTheSequence() throws {
        let dir = TempDir()
        do {
            let spool = try Spool(directory: dir.path, maxBytes: 1000)
            for i in 1...3 { try spool.append(body(i)) }
            spool.remove(spool.oldest!)
        }
        // An interrupted write leaves a temporary file: it is cleaned up, strangers are ignored.
        dir.write("00000000000000000009.batch.gz.tmp", "partial")
        dir.write("README", "not a batch")
        let spool = try Spool(directory: dir.path, maxBytes: 1000)
        #expect(spool.entries.map(\.key) == [[2], [3]])
        #expect(spool.totalBytes == 20)
        #expect(!FileManager.default.fileExists(atPath: dir.file("00000000000000000009.batch.gz.tmp")))
        try spool.append(body(4))
        #expect(spool.entries.map(\.key) == [[2], [3], [4]])
        #expect(try spool.read(spool.entries[2]) == body(4))
    }

    @Test func replaceKeepsThePlaceInTheOrder() throws {
        let dir = TempDir()
        let spool = try Spool(directory: dir.path, maxBytes: 1000)
        for i in 1...2 { try spool.append(body(i)) }
        try spool.replace(spool.entries[0], with: [body(7, size: 4), body(8, size: 5)])
        #expect(spool.entries.map(\.name) == ["00000000000000000001-1.batch.gz", "00000000000000000001-2.batch.gz",
                                              "00000000000000000002.batch.gz"])
        #expect(spool.totalBytes == 19)
        // Split again: stays before its sibling and the later batches, also after a reopen.
        try spool.replace(spool.entries[0], with: [body(9, size: 1), body(9, size: 1)])
        let reopened = try Spool(directory: dir.path, maxBytes: 1000)
        #expect(reopened.entries.map(\.key) == [[1, 1, 1], [1, 1, 2], [1, 2], [2]])
        try reopened.append(body(3))
        #expect(reopened.entries.last?.key == [3])
    }
}

@Suite struct SenderStateTests {
    @Test func acknowledgementResetsFailures() {
        var s = SenderState(intervalMs: 10_000)
        #expect(s.handle(.transport("connection refused"), items: 5, compressed: true, nowMs: 0)
                == .stop(reason: "listener unreachable (connection refused)", retryAtMs: 1000))
        #expect(!s.mayAttempt(nowMs: 999))
        #expect(s.mayAttempt(nowMs: 1000))
        #expect(s.handle(.status(200, body: "{}"), items: 5, compressed: true, nowMs: 1000) == .acknowledged)
        #expect(s.consecutiveFailures == 0)
        #expect(s.problem == nil)
        #expect(s.mayAttempt(nowMs: 1000))
    }

    @Test func backoffDoublesAndIsCappedAtTheInterval() {
        var s = SenderState(intervalMs: 10_000)
        var retries: [Int64] = []
        for _ in 0..<6 {
            if case .stop(_, let at) = s.handle(.status(503, body: ""), items: 1, compressed: true, nowMs: 0) { retries.append(at) }
        }
        #expect(retries == [1000, 2000, 4000, 8000, 10_000, 10_000])
    }

    @Test func badBatchIsDroppedWithTheListenersWords() {
        var s = SenderState(intervalMs: 10_000)
        let a = s.handle(.status(400, body: "{\"error\":\"samples[3].value must be a number\"}"), items: 9, compressed: true, nowMs: 0)
        #expect(a == .drop(reason: "listener rejected a batch (HTTP 400): {\"error\":\"samples[3].value must be a number\"}; batch dropped"))
        #expect(s.consecutiveFailures == 0)
    }

    @Test func tokenProblemsKeepSpooling() {
        var s = SenderState(intervalMs: 10_000)
        for status in [401, 403] {
            guard case .stop(let reason, _) = s.handle(.status(status, body: ""), items: 1, compressed: true, nowMs: 0) else {
                Issue.record("expected stop for \(status)")
                continue
            }
            #expect(reason.contains("token"))
            #expect(reason.contains("HTTP \(status)"))
        }
    }

    @Test func tooLargeSplitsUnlessSingleItem() {
        var s = SenderState(intervalMs: 10_000)
        #expect(s.handle(.status(413, body: ""), items: 2, compressed: true, nowMs: 0) == .split)
        guard case .drop = s.handle(.status(413, body: ""), items: 1, compressed: true, nowMs: 0) else {
            Issue.record("a single item too large must be dropped")
            return
        }
    }

    @Test func unsupportedMediaTypeRetriesUncompressedOnce() {
        var s = SenderState(intervalMs: 10_000)
        #expect(s.handle(.status(415, body: ""), items: 3, compressed: true, nowMs: 0) == .resendUncompressed)
        guard case .drop = s.handle(.status(415, body: ""), items: 3, compressed: false, nowMs: 0) else {
            Issue.record("415 without compression must drop")
            return
        }
    }

    @Test func serverErrorsAndOddStatusesStop() {
        var s = SenderState(intervalMs: 10_000)
        for status in [500, 502, 503, 429, 404, 301] {
            guard case .stop = s.handle(.status(status, body: ""), items: 1, compressed: true, nowMs: 0) else {
                Issue.record("expected stop for \(status)")
                continue
            }
        }
        #expect(s.consecutiveFailures == 6)
    }
}

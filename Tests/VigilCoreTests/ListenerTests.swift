import Foundation
import Testing
@testable import VigilCore
import VigilWire

/// The listener over real HTTP on loopback, with a real SQLite file behind it.
@Suite struct ListenerTests {
    func batchJSON(host: String = "web-1", samples: Int = 3, badAt: Int? = nil) -> [UInt8] {
        let now = WallClock.nowMs()
        let items = (0..<samples).map { i in
            i == badAt ? "{\"name\":\"m\",\"value\":\"oops\",\"ts\":\(now)}" : "{\"name\":\"cpu.usage_percent\",\"value\":\(i),\"ts\":\(now - Int64(i))}"
        }
        return Array("{\"host\":\"\(host)\",\"samples\":[\(items.joined(separator: ","))],\"logs\":[{\"ts\":\(now),\"source\":\"s\",\"level\":\"info\",\"message\":\"hello\"}]}".utf8)
    }

    @Test func acceptsAValidBatchAndCommitsIt() async throws {
        let e = try await RunningEngine.start()
        defer { Task { await e.stop() } }
        let (_, secret) = try await e.store.createAgentToken(host: "web-1", expiresAt: nil, comment: "", now: WallClock.nowMs(), actor: "test")
        let r = try await e.post(batchJSON(), token: secret)
        #expect(r.status == 200)
        #expect(r.text == "{\"accepted\":{\"samples\":3,\"logs\":1,\"checks\":0},\"jobs\":[]}")
        let stats = try await e.store.stats()
        #expect(stats.hosts == 1 && stats.logs == 1)
        #expect(try await e.store.points(SeriesKey(host: "web-1", name: "cpu.usage_percent"), from: 0, to: WallClock.nowMs()).count == 3)
        // gzip bodies too.
        let gz = try await e.post(Gzip.compress(batchJSON()), token: secret, encoding: "gzip")
        #expect(gz.status == 200)
        await e.stop()
    }

    @Test func refusesWithTheRightStatusAndStoresNothing() async throws {
        var limits = WireLimits.default
        limits.maxBodyBytes = 64 * 1024
        let e = try await RunningEngine.start(limits: limits)
        let now = WallClock.nowMs()
        let (bound, boundSecret) = try await e.store.createAgentToken(host: "web-1", expiresAt: nil, comment: "", now: now, actor: "test")
        let (_, fleetSecret) = try await e.store.createAgentToken(host: nil, expiresAt: nil, comment: "", now: now, actor: "test")
        let (_, expiredSecret) = try await e.store.createAgentToken(host: nil, expiresAt: now - 1, comment: "", now: now - 10, actor: "test")

        // 401: missing, malformed, unknown, expired.
        var r = try await e.post(batchJSON(), token: nil)
        #expect(r.status == 401 && r.text.contains("Authorization"))
        r = try await e.post(batchJSON(), token: "vgl_unknown")
        #expect(r.status == 401 && r.text.contains("unknown agent token"))
        r = try await e.post(batchJSON(), token: expiredSecret)
        #expect(r.status == 401 && r.text.contains("expired"))
        // 415: wrong content type, unknown encoding.
        r = try await e.post(batchJSON(), token: fleetSecret, contentType: "text/plain")
        #expect(r.status == 415)
        r = try await e.post(batchJSON(), token: fleetSecret, encoding: "br")
        #expect(r.status == 415)
        // 400: malformed JSON, a bad field deep in the batch (nothing of the batch is stored), bad gzip.
        r = try await e.post(Array("{\"host\":".utf8), token: fleetSecret)
        #expect(r.status == 400 && r.text.contains("malformed JSON"))
        r = try await e.post(batchJSON(samples: 10, badAt: 7), token: fleetSecret)
        #expect(r.status == 400)
        #expect(r.text.contains("\"field\":\"samples[7].value\""))
        r = try await e.post(Array("not gzip at all".utf8), token: fleetSecret, encoding: "gzip")
        #expect(r.status == 400)
        // 403: a token bound to web-1 reporting web-2.
        r = try await e.post(batchJSON(host: "web-2"), token: boundSecret)
        #expect(r.status == 403 && r.text.contains(bound.id))
        // 413: over the body limit, plain and as a gzip bomb.
        let big = batchJSON(samples: 2000)
        #expect(big.count > limits.maxBodyBytes)
        r = try await e.post(big, token: fleetSecret)
        #expect(r.status == 413)
        let bomb = Gzip.compress(Array("{\"host\":\"h\",\"pad\":\"".utf8) + [UInt8](repeating: 0x61, count: 1_000_000) + Array("\"}".utf8))
        #expect(bomb.count < limits.maxBodyBytes)
        r = try await e.post(bomb, token: fleetSecret, encoding: "gzip")
        #expect(r.status == 413)

        let stats = try await e.store.stats()
        #expect(stats.hosts == 0, "a refused batch must store nothing")
        #expect(stats.headSegments == 0 && stats.logs == 0)

        // Revocation takes effect (the auth cache lives 5 s at most).
        #expect(try await e.post(batchJSON(), token: boundSecret).status == 200)
        _ = try await e.store.revokeAgentToken(id: bound.id, now: WallClock.nowMs(), actor: "test")
        try await Task.sleep(for: .milliseconds(5200))
        r = try await e.post(batchJSON(), token: boundSecret)
        #expect(r.status == 401 && r.text.contains("revoked"))

        // /metrics counts the refusals by reason.
        let m = try await e.get("/metrics")
        #expect(m.status == 200)
        #expect(m.text.contains("vigil_ingest_rejected_total{reason=\"unauthorized\"} 4"))
        #expect(m.text.contains("vigil_ingest_rejected_total{reason=\"too_large\"} 2"))
        #expect(m.text.contains("vigil_ingest_rejected_total{reason=\"host_mismatch\"} 1"))
        #expect(m.text.contains("vigil_ingested_samples_total 3"))
        #expect(m.text.contains("vigil_store_hosts 1"))
        await e.stop()
    }

    @Test func healthz() async throws {
        let e = try await RunningEngine.start()
        let r = try await e.get("/healthz")
        #expect(r.status == 200 && r.text.contains("\"status\":\"ok\""))
        #expect(try await e.get("/nope").status == 404)
        await e.stop()
    }

    @Test func listenAddressParsing() throws {
        #expect(try ListenAddress.parse("0.0.0.0:9470") == ListenAddress(host: "0.0.0.0", port: 9470))
        #expect(try ListenAddress.parse(":8080") == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(try ListenAddress.parse("[::1]:9000") == ListenAddress(host: "::1", port: 9000))
        #expect(throws: StoreError.self) { try ListenAddress.parse("localhost:99999") }
        #expect(throws: StoreError.self) { try ListenAddress.parse("nonsense") }
    }
}

import Foundation
import Testing
@testable import VigilCore
import VigilHTTP
import VigilWire

/// `GET /api/v1/logs` over real HTTP: lines an agent pushed, searched with the log query language.
@Suite struct LogsAPITests {
    func get(_ e: RunningEngine, _ path: String, token: String?) async throws -> HTTPResponse {
        var headers: [(String, String)] = []
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        let req = HTTPRequest(method: "GET", url: e.url + path, headers: headers, body: [], timeoutMs: 120_000)
        return try await offPool { try HTTPClient().perform(req) }
    }

    @Test func pushedLinesAreFoundByQueryAndMistakesNameTheirPlace() async throws {
        let e = try await RunningEngine.start()
        let now = WallClock.nowMs()
        _ = try await e.store.resolveUser(osUser: "admin", now: now)
        let (_, viewer) = try await e.store.createUserToken(user: "intern", expiresAt: nil, comment: "", now: now, actor: "admin")
        let (_, agent) = try await e.store.createAgentToken(host: nil, expiresAt: nil, comment: "", now: now, actor: "admin")
        var b = IngestBatch(host: "web-1", labels: ["env": "prod"])
        b.logs = [LogEntry(ts: now - 3000, source: "nginx", level: .error, message: "upstream timed out while reading response"),
                  LogEntry(ts: now - 2000, source: "nginx", level: .info, message: "GET /healthcheck 200"),
                  LogEntry(ts: now - 1000, source: "app", level: .warning, message: "upstream slow: 950ms")]
        #expect(try await e.post(Array(b.json().utf8), token: agent).status == 200)

        func search(_ q: String, limit: Int? = nil) async throws -> (Int, LogsAPI.ResultJSON?, String) {
            var path = "/api/v1/logs?q=" + q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            if let limit { path += "&limit=\(limit)" }
            let r = try await get(e, path, token: viewer)
            return (r.status, try? JSONDecoder().decode(LogsAPI.ResultJSON.self, from: Data(r.body)), r.text)
        }
        var (status, result, text) = try await search("upstream -level:info")
        #expect(status == 200, "\(text)")
        #expect(result?.lines.map(\.message) == ["upstream slow: 950ms", "upstream timed out while reading response"])
        #expect(result?.lines.first?.host == "web-1" && result?.complete == true)
        (status, result, _) = try await search(#"env=prod source:nginx /\d{3}$/"#)
        #expect(result?.lines.map(\.message) == ["GET /healthcheck 200"])
        (status, result, _) = try await search("upstream", limit: 1)
        #expect(result?.lines.count == 1)
        (status, _, text) = try await search("level>=eror")
        #expect(status == 400 && text.contains("\"field\":\"q\"") && text.contains("at character 8") && text.contains("'eror' is not a level"), "\(text)")
        (status, _, text) = try await search("x", limit: 0)
        #expect(status == 400 && text.contains("\"field\":\"limit\""))
        #expect(try await get(e, "/api/v1/logs?q=x", token: nil).status == 401)
        #expect(try await get(e, "/api/v1/logs?q=x", token: agent).status == 401, "agent tokens cannot read the API")
        await e.stop()
    }
}

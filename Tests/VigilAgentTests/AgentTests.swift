import Foundation
import Glibc
import Testing
import VigilWire
@testable import VigilAgentCore

@Suite struct AgentTests {
    private func decode(_ r: TestHTTPServer.Request) -> IngestBatch? {
        guard let plain = try? Gzip.decompress(r.body, limit: 1 << 26) else { return nil }
        return try? IngestDecoder().decode(plain, nowMs: WallClock.nowMs())
    }

    private func config(_ dir: TempDir, url: String, checkPort: UInt16) -> AgentConfig {
        var c = AgentConfig()
        c.url = url
        c.token = "tok"
        c.host = "web-1"
        c.labels = ["env": "test"]
        c.stateDirectory = dir.file("state")
        c.logs = [LogFileConfig(path: dir.file("app.log"))]
        c.checks = [CheckConfig(name: "port", kind: .tcp, target: "127.0.0.1:\(checkPort)", timeoutMs: 1000)]
        return c
    }

    @Test func cycleShipsSamplesLogsAndChecksInOneBatch() throws {
        let dir = TempDir()
        dir.write("app.log", "history\n")
        let (fd, port) = TestSocket.listen()
        defer { close(fd) }
        let server = TestHTTPServer { _, _ in (200, "{\"accepted\":{\"samples\":1,\"logs\":1,\"checks\":1},\"jobs\":[]}") }
        defer { server.stop() }
        let agent = try Agent(config: config(dir, url: server.url, checkPort: port), log: .silent)
        agent.prime()
        dir.append("app.log", "WARN disk filling up\n")
        let report = agent.cycle()
        #expect(report.delivered == 1 && report.remaining == 0)
        let batch = try #require(server.requests.first.flatMap(decode))
        #expect(batch.host == "web-1")
        #expect(batch.labels == ["env": "test"])
        #expect(batch.agent?.version == VigilVersion.current)
        #expect(batch.samples.contains { $0.name == "mem.used_percent" })
        #expect(batch.logs.map(\.message) == ["WARN disk filling up"])
        #expect(batch.logs.first?.level == .warning)
        #expect(batch.checks.map(\.name) == ["port"])
        #expect(batch.checks.first?.ok == true)
    }

    @Test func outageAcrossRestartLosesNothing() throws {
        let dir = TempDir()
        dir.write("app.log", "")
        let (fd, port) = TestSocket.listen()
        defer { close(fd) }
        // Listener down: three cycles are spooled.
        do {
            let agent = try Agent(config: config(dir, url: "http://127.0.0.1:\(TestSocket.closedPort())", checkPort: port), log: .silent)
            for i in 1...3 {
                dir.append("app.log", "line \(i)\n")
                let r = agent.cycle(forceFlush: true)
                #expect(r.remaining == i)
            }
            agent.shutdown()
        }
        // Restarted with the listener back: the spool is replayed in order, then the new batch.
        let server = TestHTTPServer { _, _ in (200, "{}") }
        defer { server.stop() }
        let agent = try Agent(config: config(dir, url: server.url, checkPort: port), log: .silent)
        dir.append("app.log", "line 4\n")
        let r = agent.cycle()
        #expect(r.delivered == 4 && r.remaining == 0)
        let logs = server.requests.compactMap(decode).flatMap { $0.logs.map(\.message) }
        #expect(logs == ["line 1", "line 2", "line 3", "line 4"])
    }

    @Test func printModeWritesNothing() throws {
        let dir = TempDir()
        var c = AgentConfig()
        c.stateDirectory = dir.file("state")
        let agent = try Agent(config: c, log: .silent, persistent: false)
        #expect(agent.spool == nil)
        #expect(agent.makeBatch().samples.contains { $0.name == "load.1" })
        #expect(!FileManager.default.fileExists(atPath: dir.file("state")))
    }
}

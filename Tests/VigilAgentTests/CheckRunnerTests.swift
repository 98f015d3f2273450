import Foundation
import Glibc
import Testing
import VigilWire
@testable import VigilAgentCore

@Suite struct CheckRunnerTests {
    private let runner = CheckRunner(checks: [], defaultIntervalMs: 10_000)

    @Test func tcpOpenPortIsOk() {
        let (fd, port) = TestSocket.listen()
        defer { close(fd) }
        let r = runner.run(CheckConfig(name: "db", kind: .tcp, target: "127.0.0.1:\(port)", timeoutMs: 2000), nowMs: 42)
        #expect(r.ok)
        #expect(r.detail == "connected")
        #expect(r.ts == 42)
        #expect(r.kind == .tcp)
        #expect(r.latencyMs >= 0 && r.latencyMs < 2000)
    }

    @Test func tcpClosedPortFails() {
        let port = TestSocket.closedPort()
        let r = runner.run(CheckConfig(name: "db", kind: .tcp, target: "127.0.0.1:\(port)", timeoutMs: 2000), nowMs: 1)
        #expect(!r.ok)
        #expect(r.detail == "connection refused")
    }

    @Test func tcpTargets() {
        #expect(TCPProbe.split("db.local:5432")! == ("db.local", 5432))
        #expect(TCPProbe.split("[::1]:22")! == ("::1", 22))
        #expect(TCPProbe.split("::1:22") == nil)
        #expect(TCPProbe.split("host") == nil)
        #expect(TCPProbe.split("host:0") == nil)
        #expect(TCPProbe.split("host:99999") == nil)
    }

    @Test func httpStatusDecides() {
        let server = TestHTTPServer { n, _ in [(200, "ok"), (503, "down"), (204, ""), (301, "")][n % 4] }
        defer { server.stop() }
        let plain = CheckConfig(name: "api", kind: .http, target: server.url + "/health", timeoutMs: 30_000)
        let r1 = runner.run(plain, nowMs: 1)
        #expect(r1.ok && r1.detail == "HTTP 200")
        let r2 = runner.run(plain, nowMs: 1)
        #expect(!r2.ok && r2.detail == "HTTP 503")
        var expecting = plain
        expecting.expectStatus = 200
        let r3 = runner.run(expecting, nowMs: 1)
        #expect(!r3.ok && r3.detail == "HTTP 204")
        let r4 = runner.run(plain, nowMs: 1)
        #expect(r4.ok && r4.detail == "HTTP 301")
        #expect(server.requests.first?.head.hasPrefix("GET /health HTTP/1.1") == true)
    }

    @Test func httpTransportErrorIsTheDetail() {
        let port = TestSocket.closedPort()
        let r = runner.run(CheckConfig(name: "api", kind: .http, target: "http://127.0.0.1:\(port)/", timeoutMs: 2000), nowMs: 1)
        #expect(!r.ok)
        #expect(r.detail.lowercased().contains("connect"))
    }

    private func fakeSystemctl(_ dir: TempDir, _ script: String) -> String {
        dir.write("systemctl", "#!/bin/sh\n" + script)
        chmod(dir.file("systemctl"), 0o755)
        return dir.file("systemctl")
    }

    @Test func systemdActiveUnit() {
        let dir = TempDir()
        // Records its arguments so the test sees the exact argv.
        let path = fakeSystemctl(dir, "printf '%s|' \"$@\" > \"$(dirname \"$0\")/args\"\nif [ \"$2\" = nginx.service ]; then echo active; exit 0; fi\necho inactive; exit 3\n")
        let r = CheckRunner(checks: [], defaultIntervalMs: 1000, systemctlPath: path)
        let ok = r.run(CheckConfig(name: "nginx", kind: .systemd, target: "nginx.service"), nowMs: 1)
        #expect(ok.ok && ok.detail == "active")
        #expect((try? String(contentsOfFile: dir.file("args"), encoding: .utf8)) == "is-active|nginx.service|")
        let down = r.run(CheckConfig(name: "db", kind: .systemd, target: "postgresql@15-main.service"), nowMs: 1)
        #expect(!down.ok && down.detail == "inactive")
    }

    @Test func systemdUnitNamesAreValidatedBeforeRunning() {
        let dir = TempDir()
        let path = fakeSystemctl(dir, "touch \"$(dirname \"$0\")/ran\"\necho active\n")
        let r = CheckRunner(checks: [], defaultIntervalMs: 1000, systemctlPath: path)
        let bad = r.run(CheckConfig(name: "x", kind: .systemd, target: "a b; rm -rf /"), nowMs: 1)
        #expect(!bad.ok)
        #expect(bad.detail == "invalid unit name a b; rm -rf /")
        #expect(!FileManager.default.fileExists(atPath: dir.file("ran")))
        #expect(CheckConfig.isValidUnitName("getty@tty1.service"))
        #expect(!CheckConfig.isValidUnitName("--all"))
        #expect(!CheckConfig.isValidUnitName(""))
    }

    @Test func systemdTimeoutAndMissingBinary() {
        let dir = TempDir()
        let path = fakeSystemctl(dir, "sleep 30\necho active\n")
        let r = CheckRunner(checks: [], defaultIntervalMs: 1000, systemctlPath: path)
        let slow = r.run(CheckConfig(name: "x", kind: .systemd, target: "x.service", timeoutMs: 300), nowMs: 1)
        #expect(!slow.ok)
        #expect(slow.detail == "systemctl timed out after 300 ms")
        #expect(slow.latencyMs < 15_000, "the 30 s systemctl was killed")
        let missing = CheckRunner(checks: [], defaultIntervalMs: 1000, systemctlPath: dir.file("nope"))
            .run(CheckConfig(name: "x", kind: .systemd, target: "x.service"), nowMs: 1)
        #expect(!missing.ok)
        #expect(missing.detail.hasPrefix("cannot run \(dir.file("nope")): "))
    }

    @Test func checksRunOnTheirOwnIntervals() {
        let (fd, port) = TestSocket.listen()
        defer { close(fd) }
        let fast = CheckConfig(name: "fast", kind: .tcp, target: "127.0.0.1:\(port)", intervalMs: 1000)
        let slow = CheckConfig(name: "slow", kind: .tcp, target: "127.0.0.1:\(port)")
        let r = CheckRunner(checks: [fast, slow], defaultIntervalMs: 10_000)
        #expect(r.runDue(nowMs: 0, monotonicMs: 100_000).map(\.name) == ["fast", "slow"])
        #expect(r.runDue(nowMs: 0, monotonicMs: 100_500).isEmpty)
        #expect(r.runDue(nowMs: 0, monotonicMs: 101_000).map(\.name) == ["fast"])
        #expect(r.nextDueMs == 102_000)
        #expect(r.runDue(nowMs: 0, monotonicMs: 110_000).map(\.name) == ["fast", "slow"])
    }

    @Test func processRunnerCapturesOutputAndExitCode() throws {
        let r = try ProcessRunner.run(["/bin/sh", "-c", "echo out; echo err >&2; exit 7"], timeoutMs: 5000)
        #expect(r.exitCode == 7)
        #expect(r.text == "out\nerr")
        #expect(!r.timedOut)
    }
}

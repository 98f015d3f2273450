import Foundation
import Glibc
import VigilSteps
import XCTest

final class ServiceTests: XCTestCase {
    /// A stand-in systemctl that appends its argv to argv.log and answers is-active from the file `state`.
    private func standIn(state: String = "active") -> (TempTree, [String: String]) {
        let t = TempTree("service")
        let script = """
            #!/bin/sh
            printf '%s\\n' "$*" >> \(t.at("argv.log"))
            if [ "$1" = "is-active" ]; then
                s=$(cat \(t.at("state")))
                echo "$s"
                [ "$s" = active ]
                exit $?
            fi
            exit 0

            """
        t.write("systemctl", script)
        chmod(t.at("systemctl"), 0o755)
        t.write("state", state + "\n")
        return (t, ["VIGIL_STEP_SYSTEMCTL": t.at("systemctl"), "VIGIL_STEP_ALLOW_UNITS": "nginx.service,worker@1"])
    }

    private func calls(_ t: TempTree) -> [String] {
        (try? String(contentsOfFile: t.at("argv.log"), encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
    }

    func testRestartsAnAllowListedUnit() {
        let (t, env) = standIn()
        let r = step(["service-restart", "--unit", "nginx.service"], env: env)
        XCTAssertEqual(r.code, 0, r.output)
        XCTAssertEqual(calls(t), ["restart nginx.service"])
        // A bare name means NAME.service, both in arguments and the allow-list.
        let bare = step(["service-restart", "--unit", "nginx"], env: env)
        XCTAssertEqual(bare.code, 0, bare.output)
        let template = step(["service-restart", "--unit", "worker@1.service"], env: env)
        XCTAssertEqual(template.code, 0, template.output)
        XCTAssertEqual(calls(t), ["restart nginx.service", "restart nginx.service", "restart worker@1.service"])
    }

    func testRefusesUnitsNotAllowListed() {
        let (t, env) = standIn()
        let r = step(["service-restart", "--unit", "sshd.service"], env: env)
        XCTAssertEqual(r.code, 2, r.output)
        XCTAssertTrue(r.output.contains("--unit: sshd.service is not in allow_units"), r.output)
        XCTAssertEqual(calls(t), [])
    }

    func testDryRunDoesNotCallSystemctl() {
        let (t, env) = standIn()
        let r = step(["service-restart", "--unit", "nginx.service", "--dry-run"], env: env)
        XCTAssertEqual(r.code, 0, r.output)
        XCTAssertTrue(r.output.contains("would run: \(t.at("systemctl")) restart nginx.service"), r.output)
        XCTAssertEqual(calls(t), [])
    }

    func testInjectionAttemptsAreRejected() {
        let (t, env) = standIn()
        let attempts = ["nginx; rm -rf /", "$(reboot)", "../etc", "nginx\nreboot", "nginx.service\n", "`reboot`",
                        "-nginx", "nginx.service --now", "", "..service", "nginx.", "a/b.service", "nginx\u{0}"]
        for bad in attempts {
            let r = step(["service-restart", "--unit", bad], env: env)
            XCTAssertEqual(r.code, 2, "\(bad.debugDescription): \(r.output)")
            XCTAssertTrue(r.output.contains("--unit"), r.output)
            XCTAssertFalse(r.output.contains("\n\n"), "output lines must not be forged: \(r.output.debugDescription)")
            let check = step(["service-check", "--unit", bad, "--timeout-seconds", "1"], env: env)
            XCTAssertEqual(check.code, 2, "\(bad.debugDescription): \(check.output)")
        }
        let message = step(["service-restart", "--unit", "nginx; rm -rf /"], env: env).output
        XCTAssertTrue(message.contains("--unit: 'nginx; rm -rf /' is not a valid unit name"), message)
        for (arg, bad) in [("--tcp", "127.0.0.1:80;reboot"), ("--tcp", "$(reboot):80"), ("--http", "http://x/$(reboot)"),
                           ("--http", "file:///etc/passwd"), ("--tcp", "host:0"), ("--timeout-seconds", "1; reboot")] {
            let r = step(["service-check", "--unit", "nginx.service", arg, bad], env: env)
            XCTAssertEqual(r.code, 2, "\(arg) \(bad): \(r.output)")
            XCTAssertTrue(r.output.contains(arg + ":"), r.output)
        }
        XCTAssertEqual(calls(t), [], "nothing may run for a rejected argument")
    }

    func testServiceCheckWaitsForActiveAndProbe() throws {
        let (t, env) = standIn(state: "activating")
        // A real listener for the tcp probe.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        XCTAssertEqual(listen(fd, 8), 0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let port = Int(UInt16(bigEndian: addr.sin_port))

        // Becomes active once the step has asked twice (the first answer, activating, is then surely given), at most
        // 30 s later.
        let statePath = t.at("state")
        let argvPath = t.at("argv.log")
        let flip = Thread {
            _ = waitUntil(seconds: 30) { ((try? String(contentsOfFile: argvPath, encoding: .utf8)) ?? "").split(separator: "\n").count >= 2 }
            _ = FileManager.default.createFile(atPath: statePath, contents: Data("active\n".utf8))
        }
        flip.start()
        let r = step(["service-check", "--unit", "nginx.service", "--tcp", "127.0.0.1:\(port)", "--timeout-seconds", "60"], env: env)
        XCTAssertEqual(r.code, 0, r.output)
        XCTAssertTrue(r.output.contains("waiting: nginx.service is activating"), r.output)
        XCTAssertTrue(calls(t).allSatisfy { $0 == "is-active nginx.service" })
        XCTAssertGreaterThanOrEqual(calls(t).count, 2)
    }

    func testServiceCheckTimesOut() {
        let (t, env) = standIn(state: "failed")
        defer { withExtendedLifetime(t) {} }
        let start = Date()
        let r = step(["service-check", "--unit", "nginx.service", "--timeout-seconds", "2"], env: env)
        XCTAssertEqual(r.code, 1, r.output)
        XCTAssertTrue(r.output.contains("not healthy after 2 s: nginx.service is failed"), r.output)
        XCTAssertLessThan(Date().timeIntervalSince(start), 20)
    }

    func testServiceCheckFailsWhenTheProbeFails() {
        let (t, env) = standIn(state: "active")
        defer { withExtendedLifetime(t) {} }
        // Port 1 on loopback: nothing listens there.
        let r = step(["service-check", "--unit", "nginx.service", "--tcp", "127.0.0.1:1", "--timeout-seconds", "1"], env: env)
        XCTAssertEqual(r.code, 1, r.output)
        XCTAssertTrue(r.output.contains("tcp 127.0.0.1:1"), r.output)
    }

    func testMissingSystemctlIsReportedOnce() {
        let t = TempTree("service")
        let env = ["VIGIL_STEP_SYSTEMCTL": t.at("missing-systemctl"), "VIGIL_STEP_ALLOW_UNITS": "nginx.service"]
        let r = step(["service-check", "--unit", "nginx.service", "--timeout-seconds", "2"], env: env)
        XCTAssertEqual(r.code, 1, r.output)
        XCTAssertTrue(r.output.contains("not healthy after 2 s: cannot run \(t.at("missing-systemctl"))"), r.output)
        XCTAssertEqual(r.output.components(separatedBy: "cannot run").count - 1, 2, "one waiting line and the summary")
        let restart = step(["service-restart", "--unit", "nginx.service"], env: env)
        XCTAssertEqual(restart.code, 1, restart.output)
        XCTAssertTrue(restart.output.hasSuffix("service-restart: restart of nginx.service failed"), restart.output)
    }
}

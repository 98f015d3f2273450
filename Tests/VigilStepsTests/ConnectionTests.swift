import Foundation
import Glibc
import VigilSteps
import XCTest

final class ConnectionTests: XCTestCase {
    /// A loopback listener with `count` accepted connections whose clients closed: the accepted ends sit in
    /// CLOSE_WAIT as long as their descriptors stay open.
    final class CloseWaitSockets {
        var listener: Int32 = -1
        var accepted: [Int32] = []
        var port = 0

        init(count: Int) {
            listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            listen(listener, 16)
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) }
            }
            port = Int(UInt16(bigEndian: addr.sin_port))
            for _ in 0..<count {
                let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                _ = withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                accepted.append(accept(listener, nil, nil))
                close(client)
            }
        }

        deinit {
            for fd in accepted { close(fd) }
            close(listener)
        }
    }

    func testConnReportCountsRealCloseWaitSockets() {
        let s = CloseWaitSockets(count: 3)
        XCTAssertTrue(waitUntil(seconds: 3) { SocketTable.scan(port: s.port, state: .closeWait).count == 3 })
        let r = step(["conn-report", "--port", "\(s.port)"])
        XCTAssertEqual(r.code, 1, r.output)
        XCTAssertTrue(r.output.contains("conn-report: 3 socket(s) in close-wait on local port \(s.port) (more than 0)"), r.output)
        XCTAssertTrue(r.output.contains("127.0.0.1:\(s.port) <- 127.0.0.1:"), r.output)
        XCTAssertEqual(step(["conn-report", "--port", "\(s.port)", "--max", "3"]).code, 0)
        let tw = step(["conn-report", "--port", "\(s.port)", "--state", "time-wait"])
        XCTAssertEqual(tw.code, 0, tw.output)
    }

    func testConnResetWithSsKill() throws {
        let ss = "/usr/bin/ss"
        guard FileManager.default.isExecutableFile(atPath: ss) else { throw XCTSkip("needs \(ss) (iproute2)") }
        let s = CloseWaitSockets(count: 2)
        XCTAssertTrue(waitUntil(seconds: 3) { SocketTable.scan(port: s.port, state: .closeWait).count == 2 })

        let dry = step(["conn-reset", "--port", "\(s.port)", "--dry-run"])
        XCTAssertEqual(dry.code, 0, dry.output)
        XCTAssertTrue(dry.output.contains("would run: /usr/bin/ss -K -t -n state close-wait ( sport = :\(s.port) )"), dry.output)
        XCTAssertEqual(SocketTable.scan(port: s.port, state: .closeWait).count, 2, "dry run must not reset")

        let r = step(["conn-reset", "--port", "\(s.port)"])
        let after = SocketTable.scan(port: s.port, state: .closeWait).count
        XCTAssertTrue(r.output.contains("before 2, after \(after)"), r.output)
        if r.code == 0 {
            // The kernel supports sock_destroy: the sockets are gone and our descriptors see the reset.
            XCTAssertEqual(after, 0)
            var buf = [UInt8](repeating: 0, count: 8)
            let n = recv(s.accepted[0], &buf, buf.count, Int32(MSG_DONTWAIT))
            XCTAssertLessThanOrEqual(n, 0)
        } else {
            XCTAssertEqual(r.code, 1, r.output)
            XCTAssertEqual(after, 2)
            XCTAssertTrue(r.output.contains("ss -K could not destroy 2 socket(s)")
                || r.output.contains("ss -K failed and could not destroy 2 socket(s)"), r.output)
        }
    }

    func testConnResetRefusesBadArguments() {
        let s = CloseWaitSockets(count: 1)
        XCTAssertTrue(waitUntil(seconds: 3) { SocketTable.scan(port: s.port, state: .closeWait).count == 1 })
        for args in [["--port", "80; reboot"], ["--port", "0"], ["--port", "65536"], ["--port", "$(reboot)"],
                     ["--port", "\(s.port)", "--state", "established"],
                     ["--port", "\(s.port)", "--restart-unit", "nginx.service"],
                     ["--port", "\(s.port)", "--restart-unit", "nginx;reboot"], ["--port", "\(s.port)\n"]] {
            let r = step(["conn-reset"] + args, env: ["VIGIL_STEP_ALLOW_UNITS": "web.service"])
            XCTAssertEqual(r.code, 2, "\(args): \(r.output)")
            XCTAssertTrue(r.output.contains(args[args.count - 2] + ":"), "\(args): \(r.output)")
        }
        XCTAssertEqual(SocketTable.scan(port: s.port, state: .closeWait).count, 1, "refused runs must not reset")
    }

    func testParsesProcNetTcpLines() {
        let text = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:1F90 0100007F:D431 08 00000000:00000000 00:00000000 00000000     0        0 1 1 0 20 4 30 10 -1
               1: 0100007F:1F90 0100007F:D432 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 20 4 30 10 -1
               2: 0100007F:1F91 0100007F:D433 08 00000000:00000000 00:00000000 00000000     0        0 3 1 0 20 4 30 10 -1
            """
        let found = SocketTable.matching(text, port: 8080, state: .closeWait)
        XCTAssertEqual(found, [SocketTable.Socket(local: "127.0.0.1:8080", remote: "127.0.0.1:54321")])
        let v6 = "h\n 0: 00000000000000000000000001000000:1F90 0000000000000000FFFF00000100007F:D431 08 0\n"
        XCTAssertEqual(SocketTable.matching(v6, port: 8080, state: .closeWait).map(\.remote), ["127.0.0.1:54321"])
        XCTAssertEqual(SocketTable.matching(v6, port: 8080, state: .closeWait).map(\.local), ["[0:0:0:0:0:0:0:1]:8080"])
    }
}

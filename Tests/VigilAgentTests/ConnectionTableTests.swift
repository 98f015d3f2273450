import Foundation
import Testing
@testable import VigilAgentCore
import VigilWire

/// The agent's view of the host's TCP connections: `/proc/net/tcp{,6}` parsed, sockets matched to processes, and
/// real connections between real processes on loopback.
struct ConnectionTableTests {
    static let tcp = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   107        0 1001 1 0000000000000000 100 0 0 10 0
           1: 0500000A:C350 0700000A:1538 01 00000000:00000000 00:00000000 00000000  1000        0 1002 1 0000000000000000 20 4 30 10 -1
           2: 0500000A:C351 0700000A:1538 01 00000000:00000000 00:00000000 00000000  1000        0 1003 1 0000000000000000 20 4 30 10 -1
           3: 0500000A:01BB 0900000A:D431 01 00000000:00000000 00:00000000 00000000    33        0 1004 1 0000000000000000 20 4 30 10 -1
           4: 00000000:01BB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1005 1 0000000000000000 100 0 0 10 0
           5: 0100007F:9C40 0100007F:1538 01 00000000:00000000 00:00000000 00000000  1000        0 1006 1 0000000000000000 20 4 30 10 -1
           6: garbage
        """
    static let tcp6 = """
          sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0000000000000000FFFF00000500000A:D000 0000000000000000FFFF00000800000A:0050 01 00000000:00000000 00:00000000 00000000  1000        0 2001 1
           1: 000080FE00000000000000000100000A:D001 000080FE00000000000000000200000A:0050 01 00000000:00000000 00:00000000 00000000  1000        0 2002 1
           2: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  0        0 2003 1
        """

    @Test func parsesBothTables() {
        let v4 = ConnectionTable.parse(Self.tcp)
        #expect(v4.count == 6, "the malformed line is skipped")
        #expect(v4[0] == TCPSocket(localAddr: "127.0.0.1", localPort: 5432, remoteAddr: "0.0.0.0", remotePort: 0, state: .listen, inode: 1001))
        #expect(v4[1] == TCPSocket(localAddr: "10.0.0.5", localPort: 50000, remoteAddr: "10.0.0.7", remotePort: 5432, state: .established, inode: 1002))
        let v6 = ConnectionTable.parse(Self.tcp6)
        #expect(v6[0].localAddr == "10.0.0.5" && v6[0].remoteAddr == "10.0.0.8" && v6[0].remotePort == 80, "IPv4-mapped reads as IPv4")
        #expect(v6[1].localAddr == "fe80::a00:1" && v6[1].remoteAddr == "fe80::a00:2", "\(v6[1])")
        #expect(v6[2].localAddr == "::1" && v6[2].state == .listen)
    }

    @Test func groupsByDirectionProcessAndPeer() throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("net"), withIntermediateDirectories: true)
        try Self.tcp.write(toFile: dir.file("net/tcp"), atomically: true, encoding: .utf8)
        try Self.tcp6.write(toFile: dir.file("net/tcp6"), atomically: true, encoding: .utf8)
        for (pid, comm, inodes) in [("311", "php-fpm", [1002, 1003]), ("42", "nginx", [1004, 1005])] {
            try FileManager.default.createDirectory(atPath: dir.file("\(pid)/fd"), withIntermediateDirectories: true)
            try "\(comm)\n".write(toFile: dir.file("\(pid)/comm"), atomically: true, encoding: .utf8)
            for (i, inode) in inodes.enumerated() {
                try FileManager.default.createSymbolicLink(atPath: dir.file("\(pid)/fd/\(i + 3)"), withDestinationPath: "socket:[\(inode)]")
            }
            try FileManager.default.createSymbolicLink(atPath: dir.file("\(pid)/fd/0"), withDestinationPath: "/dev/null")
        }
        let records = ConnectionTable(procRoot: dir.path).collect()
        // Two php-fpm connections to 10.0.0.7:5432 in one record; nginx serving 10.0.0.9 on :443 inbound (it listens on
        // 0.0.0.0:443); 127.0.0.1 → 127.0.0.1 is the host talking to itself and left out; the IPv6 ones have no owner.
        #expect(records.first == ConnectionRecord(direction: .outbound, process: "php-fpm", localAddr: "10.0.0.5", remoteAddr: "10.0.0.7",
                                                  remotePort: 5432, count: 2))
        #expect(records.contains(ConnectionRecord(direction: .inbound, process: "nginx", localAddr: "10.0.0.5", localPort: 443, remoteAddr: "10.0.0.9")))
        #expect(records.contains(ConnectionRecord(direction: .outbound, process: "", localAddr: "10.0.0.5", remoteAddr: "10.0.0.8", remotePort: 80)))
        #expect(!records.contains { $0.remoteAddr == "127.0.0.1" })
        #expect(records.count == 4, "\(records)")
    }

    /// Real processes: a python3 server on 127.0.0.2 and a python3 client holding two connections to it.
    @Test func seesRealConnectionsBetweenRealProcesses() async throws {
        let server = try Self.python("""
            import socket, sys, time
            s = socket.socket(); s.bind(("127.0.0.2", 0)); s.listen(8)
            print(s.getsockname()[1], flush=True)
            conns = [s.accept()[0] for _ in range(2)]
            print("accepted", flush=True)
            time.sleep(600)
            """)
        defer { Self.end(server.process) }
        let port = try #require(Int(server.line()), "the server printed its port")
        let client = try Self.python("""
            import socket, time
            a = socket.create_connection(("127.0.0.2", \(port))); b = socket.create_connection(("127.0.0.2", \(port)))
            print("connected", flush=True); time.sleep(600)
            """)
        defer { Self.end(client.process) }
        #expect(client.line() == "connected")
        // Until the server has accepted both (a connection still in the accept queue belongs to no process yet). Both
        // stay up until the test ends them: under the thread sanitizer and a full suite, starting them took 70 s once,
        // and with 30 s to live they had closed before the first read.
        #expect(server.line() == "accepted")
        // The kernel hands /proc/net/tcp out a page per read() and finds its place again by position, so a socket can
        // be skipped when others come and go between two reads (as they do with the rest of the suite running
        // beside this test). The agent samples every minute and a miss costs one sample; here a few tries.
        let outbound: @Sendable (ConnectionRecord) -> Bool = {
            $0.direction == .outbound && $0.process == "python3" && $0.remoteAddr == "127.0.0.2" && $0.remotePort == port && $0.count == 2
        }
        let inbound: @Sendable (ConnectionRecord) -> Bool = {
            $0.direction == .inbound && $0.process == "python3" && $0.localAddr == "127.0.0.2" && $0.localPort == port && $0.count == 2
        }
        var records: [ConnectionRecord] = []
        for attempt in 0..<10 {
            if attempt > 0 { try await Task.sleep(for: .milliseconds(100)) }
            records = try await offPool { ConnectionTable().collect() }
            if records.contains(where: outbound) && records.contains(where: inbound) { break }
        }
        #expect(records.contains(where: outbound), "\(records)")
        #expect(records.contains(where: inbound), "\(records)")
    }

    /// A python3 process running `script`, and its first line of output. Its standard error goes nowhere: inherited,
    /// it would be the test runner's output pipe, which `swift test` reads to its end, so a child outliving its test
    /// would hold the whole run open.
    static func python(_ script: String) throws -> (process: Process, line: () -> String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", script]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        return (p, {
            var bytes: [UInt8] = []
            while let b = try? out.fileHandleForReading.read(upToCount: 1), let c = b.first, c != 10 { bytes.append(c) }
            return String(decoding: bytes, as: UTF8.self)
        })
    }

    /// Ends `p` with SIGKILL and reaps it. Not `terminate()`: a child started from a thread of the test pool inherits
    /// that thread's blocked signals, SIGTERM among them, and went on sleeping after the test (ten minutes, holding
    /// `swift test` open with it).
    static func end(_ p: Process) {
        guard p.isRunning else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }
}

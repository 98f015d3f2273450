import Foundation
import Testing
@testable import VigilAgentCore
import VigilWire

/// The top processes from a /proc fixture: CPU from the change in ticks between two looks, memory from RSS pages,
/// the user from `status`, the command from `cmdline` (the stat name for kernel threads).
@Suite struct ProcessTopTests {
    func write(_ root: String, _ pid: Int, name: String, ticks: Int, start: Int, rssPages: Int, uid: Int = 0, cmdline: String) throws {
        let dir = "\(root)/\(pid)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // Fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime
        // cstime priority nice threads itrealvalue starttime vsize rss
        let stat = "\(pid) (\(name)) S 1 1 1 0 -1 0 0 0 0 0 \(ticks) 0 0 0 20 0 1 0 \(start) 1000000 \(rssPages) 0"
        try stat.write(toFile: dir + "/stat", atomically: true, encoding: .utf8)
        try "Name:\t\(name)\nUid:\t\(uid)\t\(uid)\t\(uid)\t\(uid)\n".write(toFile: dir + "/status", atomically: true, encoding: .utf8)
        try Data(cmdline.replacingOccurrences(of: " ", with: "\0").utf8).write(to: URL(fileURLWithPath: dir + "/cmdline"))
    }

    @Test func topByCPUAndMemoryFromAFixture() throws {
        let root = NSTemporaryDirectory() + "vigil-proc-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try "cpu  1 2 3 4\nbtime 1764000000\n".write(toFile: root + "/stat", atomically: true, encoding: .utf8)
        try write(root, 10, name: "busy (worker)", ticks: 100, start: 500, rssPages: 100, cmdline: "python3 busy.py --threads 4")
        try write(root, 11, name: "big", ticks: 0, start: 500, rssPages: 100_000, cmdline: "java -Xmx2g big.jar")
        try write(root, 12, name: "kworker/0:1", ticks: 50, start: 10, rssPages: 0, cmdline: "")
        let top = ProcessTop(procRoot: root, count: 1)
        let first = top.sample(nowMs: 1_000, monotonicNs: 1_000_000_000)
        #expect(first.map(\.pid) == [11], "the first look: memory only")
        #expect(first[0].command == "java -Xmx2g big.jar" && first[0].rssBytes == 100_000 * Int64(sysconf(Int32(_SC_PAGESIZE))))
        #expect(first[0].startedAt == 1_764_000_000_000 + Int64(500.0 / Double(sysconf(Int32(_SC_CLK_TCK))) * 1000))
        // 2 s later the busy one has used one CPU (2 s of ticks) and the kernel thread a little.
        let hz = Int(sysconf(Int32(_SC_CLK_TCK)))
        try write(root, 10, name: "busy (worker)", ticks: 100 + 2 * hz, start: 500, rssPages: 100, cmdline: "python3 busy.py --threads 4")
        try write(root, 12, name: "kworker/0:1", ticks: 50 + hz / 10, start: 10, rssPages: 0, cmdline: "")
        let second = top.sample(nowMs: 3_000, monotonicNs: 3_000_000_000)
        #expect(second.map(\.pid) == [10, 11], "top 1 by CPU and top 1 by memory")
        let busy = try #require(second.first { $0.pid == 10 })
        #expect(abs(busy.cpuPercent - 100) < 0.6 && busy.user == "root" && busy.state == "S" && busy.ts == 3_000)
        // A pid reused by another process (another start time) has no rate yet.
        try write(root, 10, name: "other", ticks: 10_000, start: 900, rssPages: 1, cmdline: "other")
        let third = top.sample(nowMs: 5_000, monotonicNs: 5_000_000_000)
        #expect(third.first { $0.pid == 10 } == nil || third.first { $0.pid == 10 }?.cpuPercent == 0)
        #expect(ProcessTop.parse("7 (a) b) c) R 1 1 1 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 99 1 5 0", pid: 7)?.name == "a) b) c")
    }
}

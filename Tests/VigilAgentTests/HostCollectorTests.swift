import Foundation
import Testing
import VigilWire
@testable import VigilAgentCore

@Suite struct HostCollectorTests {
    /// A fake /proc and /sys built from the fixtures.
    private func makeRoots() -> (TempDir, String, String) {
        let dir = TempDir()
        let fm = FileManager.default
        for d in ["proc/net", "proc/self", "proc/1", "proc/4242", "proc/77", "proc/fs", "sys/block/vda", "sys/block/nvme0n1", "sys/block/sda"] {
            try! fm.createDirectory(atPath: dir.file(d), withIntermediateDirectories: true)
        }
        for (fixture, target) in [("stat", "proc/stat"), ("loadavg", "proc/loadavg"), ("meminfo", "proc/meminfo"),
                                  ("uptime", "proc/uptime"), ("diskstats", "proc/diskstats"), ("net_dev", "proc/net/dev"),
                                  ("net_tcp", "proc/net/tcp"), ("net_tcp6", "proc/net/tcp6"),
                                  ("mountinfo", "proc/self/mountinfo"), ("pid_stat", "proc/4242/stat")] {
            dir.write(target, Fixture.text(fixture))
        }
        dir.write("proc/1/stat", "1 (systemd) S 0 1 1 0 -1 4194560\n")
        dir.write("proc/77/stat", "77 (a b) Z 1 77 77 0 -1\n")
        return (dir, dir.file("proc"), dir.file("sys"))
    }

    private func collector(_ proc: String, _ sys: String) -> HostCollector {
        let c = HostCollector(procRoot: proc, sysRoot: sys, osReleasePath: Fixture.path("os-release"))
        c.filesystemUsage = { mount in
            mount == "/boot/efi" ? FilesystemUsage(usedPercent: 12.5, inodesUsedPercent: nil)
                                 : FilesystemUsage(usedPercent: 40, inodesUsedPercent: 3)
        }
        return c
    }

    private func value(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first(where: { $0.name == name && $0.labels == labels })?.value
    }

    @Test func firstCollectYieldsGaugesOnly() {
        let (dir, proc, sys) = makeRoots()
        _ = dir
        let samples = collector(proc, sys).collect(nowMs: 1_000, monotonicNs: 1_000_000_000)
        let names = Set(samples.map(\.name))
        #expect(names == ["load.1", "load.5", "load.15", "mem.used_percent", "mem.available_bytes", "swap.used_percent",
                          "disk.used_percent", "disk.inodes_used_percent", "proc.count", "proc.zombies",
                          "tcp.established", "tcp.time_wait", "tcp.close_wait", "uptime.seconds"])
        #expect(samples.allSatisfy { $0.ts == 1_000 })
        #expect(value(samples, "load.5") == 0.69)
        #expect(value(samples, "mem.available_bytes") == Double(24_322_092 * 1024))
        #expect(value(samples, "proc.count") == 3)
        #expect(value(samples, "proc.zombies") == 2)
        #expect(value(samples, "tcp.established") == 4)
        #expect(value(samples, "tcp.time_wait") == 3)
        #expect(value(samples, "tcp.close_wait") == 1)
        #expect(value(samples, "uptime.seconds") == 418.14)
        let mounts = samples.filter { $0.name == "disk.used_percent" }.compactMap { $0.labels["mount"] }
        #expect(mounts == ["/", "/boot/efi", "/srv/data files", "/var/lib/docker/overlay2/abc123/merged", "/home"])
        #expect(value(samples, "disk.used_percent", ["mount": "/boot/efi"]) == 12.5)
        #expect(value(samples, "disk.inodes_used_percent", ["mount": "/boot/efi"]) == nil)
        #expect(value(samples, "disk.inodes_used_percent", ["mount": "/home"]) == 3)
        // Every name is a valid wire metric name.
        #expect(samples.allSatisfy { WireNames.isValidMetricName($0.name) })
    }

    @Test func secondCollectHasRatesAndSkipsResetCounters() {
        let (dir, proc, sys) = makeRoots()
        let c = collector(proc, sys)
        _ = c.collect(nowMs: 1_000, monotonicNs: 1_000_000_000)
        dir.write("proc/stat", Fixture.text("stat_later"))
        // vda: +1024 sectors read, +2048 written; nvme0n1's read counter went backwards (reset).
        dir.write("proc/diskstats", Fixture.text("diskstats")
            .replacingOccurrences(of: "vda 34474 5840 2972274 14120 16190 35171 2179768",
                                  with: "vda 34475 5840 2973298 14120 16191 35171 2181816")
            .replacingOccurrences(of: "nvme0n1 120034 3021 18342290", with: "nvme0n1 120034 3021 100"))
        // eth0: rx +1000 bytes, tx counter reset, errors +2.
        dir.write("proc/net/dev", Fixture.text("net_dev")
            .replacingOccurrences(of: "eth0: 26079250     539    2    3    0     0          0         0    29879     344    1    4",
                                  with: "eth0: 26080250     540    4    3    0     0          0         0       10     344    1    4"))
        let samples = c.collect(nowMs: 3_000, monotonicNs: 3_000_000_000)
        #expect(value(samples, "cpu.usage_percent") == 53.125)
        #expect(value(samples, "cpu.iowait_percent") == 15.625)
        #expect(value(samples, "cpu.steal_percent") == 6.25)
        #expect(value(samples, "disk.read_bytes_per_s", ["device": "vda"]) == 262_144.0)
        #expect(value(samples, "disk.write_bytes_per_s", ["device": "vda"]) == 524_288.0)
        #expect(value(samples, "disk.read_bytes_per_s", ["device": "nvme0n1"]) == nil)
        #expect(value(samples, "disk.write_bytes_per_s", ["device": "nvme0n1"]) == 0)
        // Only whole disks listed in /sys/block; never partitions, loop or ram devices.
        let devices = Set(samples.compactMap { $0.labels["device"] })
        #expect(devices == ["vda", "nvme0n1", "sda"])
        #expect(value(samples, "net.rx_bytes_per_s", ["interface": "eth0"]) == 500)
        #expect(value(samples, "net.tx_bytes_per_s", ["interface": "eth0"]) == nil)
        #expect(value(samples, "net.errors_per_s", ["interface": "eth0"]) == 1)
        #expect(value(samples, "net.drops_per_s", ["interface": "eth0"]) == 0)
        #expect(value(samples, "net.rx_bytes_per_s", ["interface": "lo"]) == nil)
        #expect(samples.allSatisfy { $0.value >= 0 })
    }

    @Test func agentInfoAndHostname() {
        let (dir, proc, sys) = makeRoots()
        _ = dir
        let info = collector(proc, sys).agentInfo()
        #expect(info.version == VigilVersion.current)
        #expect(info.os == "Debian GNU/Linux 12 (bookworm)")
        #expect(info.memory == 24_683_652 * 1024)
        #expect(info.cpus >= 1)
        #expect(!info.kernel.isEmpty && !info.arch.isEmpty)
        let kernelName = try! String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(HostCollector().hostname() == kernelName)
    }

    @Test func realMachineCollects() {
        let c = HostCollector()
        _ = c.collect(nowMs: 1)
        usleep(200_000)
        let samples = c.collect(nowMs: 2)
        #expect(samples.contains { $0.name == "cpu.usage_percent" })
        #expect(samples.contains { $0.name == "disk.used_percent" && $0.labels["mount"] == "/" })
        #expect(samples.allSatisfy { $0.value.isFinite && $0.value >= 0 })
    }
}

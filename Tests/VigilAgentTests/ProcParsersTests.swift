import Testing
@testable import VigilAgentCore

@Suite struct ProcParsersTests {
    private func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-9 }

    @Test func procStatAggregateLine() throws {
        let cpu = try #require(ProcStat.parse(Fixture.text("stat")))
        #expect(cpu == CPUTimes(user: 21669, nice: 0, system: 4322, idle: 56782, iowait: 433, irq: 0, softirq: 49, steal: 21))
        #expect(cpu.total == 83276)
    }

    @Test func procStatUsageBetweenReadings() throws {
        let a = try #require(ProcStat.parse(Fixture.text("stat")))
        let b = try #require(ProcStat.parse(Fixture.text("stat_later")))
        let u = try #require(b.usage(since: a))
        #expect(u.usagePercent == 53.125)
        #expect(u.iowaitPercent == 15.625)
        #expect(u.stealPercent == 6.25)
    }

    @Test func procStatCounterResetGivesNoUsage() throws {
        let a = try #require(ProcStat.parse(Fixture.text("stat_later")))
        let b = try #require(ProcStat.parse(Fixture.text("stat")))
        #expect(b.usage(since: a) == nil)
        #expect(a.usage(since: a) == nil)   // no time passed
    }

    @Test func procStatMalformed() {
        #expect(ProcStat.parse("") == nil)
        #expect(ProcStat.parse("cpu  1 2 x 4\n") == nil)
        #expect(ProcStat.parse("cpu0 1 2 3 4\n") == nil)
        // Very old kernels have only four columns.
        #expect(ProcStat.parse("cpu 1 2 3 4\n") == CPUTimes(user: 1, nice: 2, system: 3, idle: 4))
    }

    @Test func memInfoWithoutSwap() throws {
        let m = try #require(MemInfo.parse(Fixture.text("meminfo")))
        #expect(m.totalBytes == 24_683_652 * 1024)
        #expect(m.availableBytes == 24_322_092 * 1024)
        #expect(close(m.usedPercent, Double(24_683_652 - 24_322_092) / 24_683_652 * 100))
        #expect(m.swapTotalBytes == 0)
        #expect(m.swapUsedPercent == 0)
    }

    @Test func memInfoWithSwap() throws {
        let m = try #require(MemInfo.parse(Fixture.text("meminfo_swap")))
        #expect(m.usedPercent == 50)
        #expect(m.swapUsedPercent == 25)
    }

    @Test func memInfoOldKernelWithoutMemAvailable() throws {
        let m = try #require(MemInfo.parse("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n"))
        #expect(m.availableBytes == 400 * 1024)
        #expect(m.usedPercent == 60)
        #expect(MemInfo.parse("MemFree: 1 kB\n") == nil)
    }

    @Test func loadAverageAndUptime() throws {
        #expect(LoadAverage.parse(Fixture.text("loadavg")) == LoadAverage(one: 0.43, five: 0.69, fifteen: 0.33))
        #expect(Uptime.parse(Fixture.text("uptime")) == 418.14)
        #expect(LoadAverage.parse("garbage") == nil)
        #expect(Uptime.parse("") == nil)
    }

    @Test func diskStatsParse() {
        let all = DiskStats.parse(Fixture.text("diskstats"))
        #expect(all.count == 12)
        #expect(all.first(where: { $0.device == "vda" }) == DiskCounters(device: "vda", readBytes: 2_972_274 * 512, writeBytes: 2_179_768 * 512))
        // A pre-4.18 line with only 11 fields still parses.
        #expect(all.first(where: { $0.device == "sda" }) == DiskCounters(device: "sda", readBytes: 80_000 * 512, writeBytes: 40 * 512))
    }

    @Test func diskStatsWholeDisksOnly() {
        let all = DiskStats.parse(Fixture.text("diskstats"))
        let sysBlock: Set<String> = ["loop0", "loop1", "vda", "nvme0n1", "dm-0", "zram0", "sda"]
        #expect(DiskStats.select(all, wholeDisks: sysBlock).map(\.device) == ["vda", "nvme0n1", "dm-0", "zram0", "sda"])
        // Without /sys only loop and ram devices are left out.
        #expect(DiskStats.select(all, wholeDisks: nil).map(\.device) ==
                ["vda", "vda1", "nvme0n1", "nvme0n1p1", "nvme0n1p2", "dm-0", "zram0", "sda", "sda1"])
        // /sys/block spells a '/' in a device name as '!'.
        let cciss = [DiskCounters(device: "cciss/c0d0", readBytes: 1, writeBytes: 1)]
        #expect(DiskStats.select(cciss, wholeDisks: ["cciss!c0d0"]).count == 1)
    }

    @Test func netDevParse() {
        let all = NetDev.parse(Fixture.text("net_dev"))
        #expect(all.map(\.interface) == ["lo", "eth0", "docker0", "veth1a2b3c4", "wlan0"])
        #expect(all[1] == InterfaceCounters(interface: "eth0", rxBytes: 26_079_250, txBytes: 29_879, errors: 3, drops: 7))
        #expect(all[3].rxBytes == 18_446_744_073_709_551_000)
        // Old kernels glue the first counter to the colon.
        #expect(all[4] == InterfaceCounters(interface: "wlan0", rxBytes: 1_234_567_890_123, txBytes: 987_654_321, errors: 0, drops: 7))
    }

    @Test func tcpStates() {
        let v4 = TCPStateCounter.parse(Fixture.text("net_tcp"))
        #expect((v4.established, v4.timeWait, v4.closeWait) == (3, 1, 1))
        let v6 = TCPStateCounter.parse(Fixture.text("net_tcp6"))
        #expect((v6.established, v6.timeWait, v6.closeWait) == (1, 2, 0))
    }

    @Test func tcpStatesStreamedInTinyChunksAcrossFiles() {
        var c = TCPStateCounter()
        for name in ["net_tcp", "net_tcp6"] {
            let bytes = Array(Fixture.text(name).utf8)
            var i = 0
            while i < bytes.count {
                let chunk = Array(bytes[i..<min(i + 7, bytes.count)])
                chunk.withUnsafeBytes { c.feed($0) }
                i += 7
            }
            c.finishFile()
        }
        #expect((c.established, c.timeWait, c.closeWait) == (4, 3, 1))
    }

    @Test func mountInfoParseAndUnescape() {
        let mounts = MountInfo.parse(Fixture.text("mountinfo"))
        #expect(mounts.count == 28)
        let data = mounts.first(where: { $0.device == "259:2" })
        #expect(data == Mount(device: "259:2", root: "/", mountPoint: "/srv/data files", fsType: "xfs", source: "/dev/nvme0n1p2"))
        #expect(MountInfo.unescape("a\\011b\\134c\\04") == "a\tb\\c\\04")
    }

    @Test func mountFilterSkipsPseudoFilesystemsAndDuplicates() {
        let chosen = MountFilter.default.select(MountInfo.parse(Fixture.text("mountinfo")))
        #expect(chosen.map(\.mountPoint) == ["/", "/boot/efi", "/srv/data files", "/var/lib/docker/overlay2/abc123/merged", "/home"])
        for skipped in ["proc", "sysfs", "tmpfs", "devtmpfs", "devpts", "cgroup2", "squashfs", "nsfs", "autofs", "debugfs",
                        "tracefs", "securityfs", "pstore", "bpf", "mqueue", "hugetlbfs", "configfs", "fusectl", "binfmt_misc"] {
            #expect(MountFilter.defaultSkippedTypes.contains(skipped), "\(skipped)")
        }
        #expect(!MountFilter.defaultSkippedTypes.contains("overlay"))
    }

    @Test func mountFilterPrefersTheRootMountOverABindMountWhateverTheOrder() {
        let bind = Mount(device: "8:1", root: "/www", mountPoint: "/w", fsType: "ext4", source: "/dev/sda1")
        let real = Mount(device: "8:1", root: "/", mountPoint: "/srv/data", fsType: "ext4", source: "/dev/sda1")
        #expect(MountFilter.default.select([bind, real]).map(\.mountPoint) == ["/srv/data"])
        #expect(MountFilter.default.select([real, bind]).map(\.mountPoint) == ["/srv/data"])
    }

    @Test func processStateWithParenthesesInName() {
        #expect(ProcessStat.state(Fixture.text("pid_stat")) == "Z")
        #expect(ProcessStat.state("1 (systemd) S 0 1 1 0") == "S")
        #expect(ProcessStat.state("garbage") == nil)
    }

    @Test func osRelease() {
        #expect(OSRelease.prettyName(Fixture.text("os-release")) == "Debian GNU/Linux 12 (bookworm)")
        #expect(OSRelease.prettyName("NAME='Alpine Linux'\nVERSION=3.19\n") == "Alpine Linux 3.19")
        #expect(OSRelease.prettyName("") == "Linux")
    }

    @Test func counterRates() {
        #expect(CounterRate.perSecond(previous: 100, current: 600, seconds: 2) == 250)
        #expect(CounterRate.perSecond(previous: 600, current: 100, seconds: 2) == nil)
        #expect(CounterRate.perSecond(previous: 1, current: 2, seconds: 0) == nil)
        #expect(CounterRate.perSecond(previous: 5, current: 5, seconds: 1) == 0)
    }
}

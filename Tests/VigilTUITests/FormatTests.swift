import Testing
@testable import VigilTUI

@Suite struct FormatTests {
    @Test func ages() {
        #expect(Format.age(3_400) == "3s")
        #expect(Format.age(4 * 60_000 + 10) == "4m")
        #expect(Format.age(2 * 3_600_000 + 5) == "2h")
        #expect(Format.age(3 * 86_400_000) == "3d")
        #expect(Format.age(-500) == "0s")
    }

    @Test func unitsFromSeriesNames() {
        #expect(Format.seriesValue(42.123, name: "cpu.usage_percent") == "42.1%")
        #expect(Format.seriesValue(1_572_864, name: "net.rx_bytes_per_s") == "1.5 MiB/s")
        #expect(Format.seriesValue(2048, name: "disk.read_bytes_per_s") == "2.0 KiB/s")
        #expect(Format.seriesValue(3.5 * 1_073_741_824, name: "mem.available_bytes") == "3.5 GiB")
        #expect(Format.seriesValue(512, name: "mem.available_bytes") == "512 B")
        #expect(Format.seriesValue(3 * 86_400 + 4 * 3_600, name: "uptime.seconds") == "3d 4h")
        #expect(Format.seriesValue(12.4, name: "check.latency_ms") == "12 ms")
        #expect(Format.seriesValue(3.5, name: "net.errors_per_s") == "3.50/s")
        #expect(Format.seriesValue(123, name: "proc.count") == "123")
        #expect(Format.seriesValue(250_000, name: "tcp.established") == "250k")
        #expect(Format.seriesValue(nil, name: "proc.count") == "-")
    }

    @Test func tableNumbers() {
        #expect(Format.percent(12.345) == "12.3")
        #expect(Format.percent(100) == "100")
        #expect(Format.percent(nil) == "-")
        #expect(Format.load(0.421) == "0.42")
        #expect(Format.load(12.44) == "12.4")
        #expect(Format.bytes(1536) == "1.5 KiB")
        #expect(Format.bytes(10 * 1_048_576) == "10 MiB")
        #expect(Format.duration(seconds: 0.34) == "340ms")
        #expect(Format.duration(seconds: 725) == "12m 5s")
    }

    @Test func healthThresholds() {
        #expect(Format.healthRole(100) == .ok)
        #expect(Format.healthRole(80) == .ok)
        #expect(Format.healthRole(79) == .warning)
        #expect(Format.healthRole(50) == .warning)
        #expect(Format.healthRole(49) == .critical)
        #expect(Format.healthRole(0) == .critical)
    }
}

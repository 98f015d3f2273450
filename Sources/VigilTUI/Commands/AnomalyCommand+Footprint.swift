import ArgumentParser
import Foundation
import VigilCore
import VigilWire

extension AnomalyCommand {
    /// `vigil anomaly footprint`: the scanner's memory and cost per series as the engine runs it, on synthetic
    /// series (a daily cycle, noise and the odd spike), in this process.
    struct Footprint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure the anomaly scanner's memory per series and cost per sample (synthetic series, this process)."
        )
        @Option(help: "How many series.")
        var series = 10_000
        @Option(help: "Points fed to each series, one a minute (8640 or more fill every window).")
        var points = 9_000

        func run() throws {
            guard series > 0, points > 0 else { throw ValidationError("--series and --points must be above 0") }
            let before = Self.residentBytes()
            var scanner = AnomalyScanner(maxSeries: series)
            let t0: Int64 = 1_800_000_000_000
            let keys = (0..<series).map { SeriesKey(host: "host-\($0 / 17)", name: "metric-\($0 % 17)") }
            for key in keys { _ = scanner.restore(key, history: [], scoredUntil: nil, alertFrom: 0) }
            var fed = 0
            var nsPerSample: [Double] = []
            // Fed as the engine does: every series gets its next points, a batch of 60 (an hour) at a time.
            var start = 0
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            while start < points {
                let n = min(60, points - start)
                let began = DispatchTime.now().uptimeNanoseconds
                for (k, key) in keys.enumerated() {
                    var batch: [SeriesPoint] = []
                    batch.reserveCapacity(n)
                    for i in start..<(start + n) {
                        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                        let noise = Double(state >> 11) / Double(1 << 53)
                        let day = sin(Double(i) / 1440 * 2 * .pi)
                        let spike = (i + k) % 5000 == 0 ? 40.0 : 0
                        batch.append(SeriesPoint(ts: t0 + Int64(i) * 60_000, value: 50 + 20 * day + 5 * noise + spike))
                    }
                    _ = scanner.feed(key, points: batch)
                }
                let spent = Double(DispatchTime.now().uptimeNanoseconds - began)
                nsPerSample.append(spent / Double(n * series))
                fed += n * series
                start += n
            }
            let after = Self.residentBytes()
            // The last third of the rounds in time: the windows fullest.
            let late = Array(nsPerSample.suffix(max(1, nsPerSample.count / 3))).sorted()
            nsPerSample.sort()
            let median = nsPerSample[nsPerSample.count / 2]
            let fullMedian = late[late.count / 2]
            print("series \(series), points per series \(points), samples \(fed)")
            print("state per series: \(scanner.stateBytes / series) bytes (detector buffers' capacity and entry)")
            print("resident memory: \((after - before) / series) bytes per series (\((after - before) / 1_048_576) MiB for all)")
            print(String(format: "cost: %.2f µs per sample (median of the hourly rounds), %.2f µs with the windows fullest", median / 1000, fullMedian / 1000))
        }

        static func residentBytes() -> Int {
            guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
            let fields = text.split(separator: " ")
            return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
        }
    }
}

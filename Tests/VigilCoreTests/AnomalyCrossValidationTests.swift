import Foundation
import Testing
@testable import VigilCore

/// The detector as shipped, scored on the shared NAB files with NAB's rules (the standard profile, as
/// /work/shared/tools/nab_score.py scores them), its alert threshold chosen leaving each file out: the file scored
/// never helps choose its threshold. bench/nab_cv.py also cross-validates the constants and runs the peers; this
/// keeps the shipped detector above a floor. Skipped with a message when the data is absent.
@Suite struct AnomalyCrossValidationTests {
    static let dataDir = ProcessInfo.processInfo.environment["VIGIL_NAB_DIR"] ?? "/work/shared/data/nab"
    static var hasData: Bool { FileManager.default.fileExists(atPath: dataDir + "/combined_windows.json") }

    @Test(.enabled(if: hasData, "no NAB data at \(dataDir) (set VIGIL_NAB_DIR)"))
    func leaveOneFileOutFloor() async throws {
        // Seconds of scoring on a thread of its own: on the cooperative pool it would hold up other tests' timers.
        let files = try await offPool { try Self.load() }
        #expect(files.count == 19 && files.reduce(0) { $0 + $1.windows } == 34, "the shared subset: 19 files, 34 windows")
        let thresholds = (300...1000).map { Double($0) / 1000 } + [1.01]
        let raw = files.map { f in thresholds.map { f.score(threshold: $0) } }
        let windows = Double(files.reduce(0) { $0 + $1.windows })
        func normalised(_ total: Double) -> Double { 100 * (total + windows) / (2 * windows) }

        // In sample (what NAB reports): the threshold best on every file.
        let inSample = thresholds.indices.map { t in raw.reduce(0) { $0 + $1[t] } }.max()!
        // Leave one file out: the threshold best on the other 18 scores the 19th.
        var held = 0.0
        for i in files.indices {
            let best = thresholds.indices.max { a, b in
                raw.indices.reduce(0) { $0 + ($1 == i ? 0 : raw[$1][a]) } < raw.indices.reduce(0) { $0 + ($1 == i ? 0 : raw[$1][b]) }
            }!
            held += raw[i][best]
        }
        print(String(format: "NAB standard, shipped detector: %.1f in sample, %.1f with its threshold chosen leaving each file out",
                     normalised(inSample), normalised(held)))
        // Measured 67.9 in sample and 64.9 cross-validated (docs/BENCHMARKS.md); the floors leave room for the
        // threshold grid (0.001 here, with quantiles in the bench) and nothing more.
        #expect(normalised(inSample) >= 67, "in sample: \(normalised(inSample))")
        #expect(normalised(held) >= 63, "leave one file out: \(normalised(held))")
        #expect(normalised(held) <= normalised(inSample))
    }

    /// One NAB file: its scores by the shipped detector, and per row the window it is in and NAB's weight.
    struct File: Sendable {
        var name: String
        var windows: Int
        /// Rows past probation with a score above 0: (score, window index or -1, NAB's unweighted score).
        var candidates: [(score: Double, window: Int, weight: Double)]

        /// The raw standard-profile score at `threshold`: each window's first detection earns its weight (scaled to 1
        /// at the window's start), a detection outside costs 0.11 × its weight, a missed window costs 1.
        func score(threshold: Double) -> Double {
            var detected = Set<Int>()
            var total = 0.0
            for c in candidates where c.score >= threshold {
                if c.window < 0 {
                    total += 0.11 * c.weight
                } else if detected.insert(c.window).inserted {
                    total += c.weight / File.scaledSigmoid(-1)
                }
            }
            return total - Double(windows - detected.count)
        }

        static func scaledSigmoid(_ pos: Double) -> Double {
            pos > 3 ? -1 : 2 / (1 + exp(5 * pos)) - 1
        }
    }

    static func load() throws -> [File] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dataDir + "/combined_windows.json")))
        guard let labelled = json as? [String: [[String]]] else { throw StoreError("combined_windows.json: not file → windows") }
        var out: [File] = []
        for (rel, spans) in labelled.sorted(by: { $0.key < $1.key }) {
            let path = dataDir + "/" + rel
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let rows = try NABCSV.parse(String(contentsOfFile: path, encoding: .utf8))
            var parameters = AnomalyDetector.Parameters()
            // For experiments: VIGIL_NAB_SET="name=value,name=value" (`vigil anomaly score --set`'s names).
            for a in (ProcessInfo.processInfo.environment["VIGIL_NAB_SET"] ?? "").split(separator: ",") { try parameters.set(String(a)) }
            var detector = AnomalyDetector(parameters: parameters)
            let scores = rows.map { detector.score(timestampMs: $0.timestampMs, value: $0.number) }
            // Windows as row ranges (their bounds are rows' timestamps, with microseconds).
            let index = Dictionary(rows.enumerated().map { ($1.timestamp, $0) }, uniquingKeysWith: { a, _ in a })
            let wins = try spans.map { s -> (Int, Int) in
                guard let a = index[String(s[0].prefix(19))], let b = index[String(s[1].prefix(19))] else {
                    throw StoreError("\(rel): window \(s) is not on rows of the file")
                }
                return (a, b)
            }.sorted { $0.0 < $1.0 }
            // NAB's sweep: inside a window, the weight by position; after one, decaying by distance from its end.
            var candidates: [(Double, Int, Double)] = []
            let probation = Int(floor(min(0.15 * Double(rows.count), 0.15 * 5000)))
            var w = 0
            var current: (lo: Int, hi: Int, id: Int)?
            var previous: (right: Int, width: Double)?
            for i in rows.indices {
                if current == nil, w < wins.count, i >= wins[w].0 {
                    current = (wins[w].0, wins[w].1, w)
                    w += 1
                }
                var window = -1
                var weight = -1.0
                if let c = current {
                    let width = Double(c.hi - c.lo + 1)
                    weight = File.scaledSigmoid(-Double(c.hi - i + 1) / width)
                    window = c.id
                } else if let p = previous {
                    weight = File.scaledSigmoid(p.width > 1 ? Double(abs(p.right - i)) / (p.width - 1) : 4)
                }
                if i >= probation, scores[i] > 0 { candidates.append((scores[i], window, weight)) }
                if let c = current, i == c.hi {
                    previous = (c.hi, Double(c.hi - c.lo + 1))
                    current = nil
                }
            }
            out.append(File(name: rel, windows: wins.count, candidates: candidates))
        }
        return out
    }
}

import ArgumentParser
import Foundation
import VigilCore
import VigilWire

extension RulesCommand {
    /// `vigil rules bench`: how long one evaluation of R rules over H hosts takes on this machine (capacity
    /// planning, and the figure in docs/BENCHMARKS.md). Synthetic fleet, real evaluator and state machines.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Time rule evaluation: R threshold rules over H hosts (in memory).")
        @Option(help: "Hosts in the synthetic fleet.") var hosts: Int = 1000
        @Option(help: "Threshold rules to evaluate.") var rules: Int = 1000
        @Option(help: "Points per series in the rules' window (5 min at 10 s = 30).") var points: Int = 30
        @Option(help: "Evaluations to time (the median is reported).") var rounds: Int = 5
        @Flag(help: "Values stay below every threshold (a healthy fleet), instead of uniform 0–100 (many alerts).") var healthy = false

        func validate() throws {
            guard hosts >= 1, rules >= 1, points >= 1, rounds >= 1 else { throw ValidationError("every count must be at least 1") }
        }

        func run() throws {
            let now = WallClock.nowMs()
            var rng = SplitMix64(seed: 7)
            var input = RuleInput()
            var windows: [SeriesKey: [SeriesPoint]] = [:]
            let groups = ["frontend", "backend", "data", "edge"]
            for h in 0..<hosts {
                let name = String(format: "host-%04d", h)
                input.hostLabels[name] = ["group": groups[h % groups.count], "env": h % 10 == 0 ? "staging" : "prod"]
                input.hostCPUs[name] = 8
                input.hostLastSeen[name] = now
                for metric in ["cpu.usage_percent", "mem.used_percent"] {
                    var series: [SeriesPoint] = []
                    for k in 0..<points {
                        let ts: Int64 = now - Int64(points - k) * 10_000
                        series.append(SeriesPoint(ts: ts, value: rng.nextDouble() * (healthy ? 45 : 100)))
                    }
                    windows[SeriesKey(host: name, name: metric)] = series
                }
            }
            input.points = windows
            let aggregations: [Aggregation] = [.avg, .max, .last, .min]
            var ruleList: [AlertRule] = []
            for r in 0..<rules {
                let matcher = try LabelMatcher.parse("group=\(groups[r % groups.count])").get()
                let metric: String = r % 2 == 0 ? "cpu.usage_percent" : "mem.used_percent"
                let limit: Double = 50 + Double(r % 50)
                let spec = RuleKind.Threshold(metric: metric, matchers: [matcher], aggregation: aggregations[r % aggregations.count],
                                              window: 300_000, op: ComparisonOp.greater, threshold: limit)
                let kind = RuleKind.threshold(spec)
                ruleList.append(AlertRule(name: "Rule\(r)", severity: .warning, kind: kind, forDuration: 60_000))
            }
            let data = EvaluationData(input: input, logs: [:])
            var book = AlertBook()
            var times: [Double] = []
            var updates = 0
            for round in 0..<rounds {
                let t0 = WallClock.monotonicNs()
                updates = book.step(rules: ruleList, data: data, now: now + Int64(round) * 10_000).count
                times.append(Double(WallClock.monotonicNs() - t0) / 1e6)
            }
            let sorted = times.sorted()
            print(String(format: "%d rules × %d hosts (%d series, %d points each): median %.1f ms per evaluation (min %.1f, max %.1f), %d alerts tracked, %d updates",
                         rules, hosts, windows.count, points, sorted[sorted.count / 2], sorted.first!, sorted.last!, book.activeCount, updates))
        }
    }
}

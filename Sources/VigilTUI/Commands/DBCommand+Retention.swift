import ArgumentParser
import Foundation
import VigilCore
import VigilWire

extension DBCommand {
    /// `vigil db retention [show|set KEY=VALUE…|run]`.
    struct Retention: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show, change or apply how long data is kept (raw samples, rollups, logs, checks, …).",
            discussion: """
                One policy per database, kept in the store: every vigil serve on it applies the same. The lease holder \
                applies it every 10 minutes: raw samples older than an hour are rolled up into 5-minute and then 1-hour \
                buckets (min, max, avg, count, last), and data older than its key's age is deleted. Raw samples are \
                never deleted before they are rolled up.
                """,
            subcommands: [Show.self, SetPolicy.self, Run.self],
            defaultSubcommand: Show.self)

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print the policy, the rollup watermarks and the rollups stored.")
            @OptionGroup var store: StoreOptions

            func run() throws {
                let store = try self.store.open()
                let (policy, stored, marks, rollups) = try Blocking.run {
                    (try await RetentionPolicy.load(from: store),
                     Set(try await store.settings(prefix: RetentionPolicy.settingPrefix).map(\.key)),
                     try await VigilCore.Retention.tiers.asyncMap { try await VigilCore.Retention.watermark(store, step: $0.step) },
                     try await store.rollupStats())
                }
                print("retention of \(store.description)")
                for (key, what) in RetentionPolicy.keys {
                    let source = stored.contains(RetentionPolicy.settingPrefix + key) ? "set" : "default"
                    print("  \(key.padding(toLength: 15, withPad: " ", startingAt: 0))\(policy.text(key).padding(toLength: 8, withPad: " ", startingAt: 0))\(what) (\(source))")
                }
                for (i, tier) in VigilCore.Retention.tiers.enumerated() {
                    let r = rollups[tier.step] ?? (0, 0, 0)
                    let until = marks[i].map { "rolled up until \(TimeText.iso($0))" } ?? "nothing rolled up yet"
                    print("  \(tier.step / 60_000)-minute rollups: \(until); \(r.buckets) buckets in \(r.blocks) blocks, \(r.bytes) bytes")
                }
            }
        }

        struct SetPolicy: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "set",
                abstract: "Change the policy: KEY=VALUE… (raw=30d rollup_5m=180d logs=14d log_bytes=5GB).",
                discussion: "Keys: \(RetentionPolicy.keys.map { "\($0.key) (\($0.what))" }.joined(separator: ", ")). KEY=default goes back to the default. Admins only; audited.")
            @OptionGroup var store: StoreOptions
            @Argument(help: "KEY=VALUE pairs.") var pairs: [String]

            func run() throws {
                let store = try self.store.open()
                let user = try Operator.require(.manageRetention, store: store)
                var policy = try Blocking.run { try await RetentionPolicy.load(from: store) }
                var changes: [(key: String, value: String?)] = []
                for pair in pairs {
                    let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    guard parts.count == 2 else { throw ValidationError("'\(pair)' is not KEY=VALUE (e.g. raw=30d)") }
                    do {
                        if parts[1] == "default" {
                            try policy.reset(parts[0])
                            changes.append((parts[0], nil))
                        } else {
                            try policy.set(parts[0], parts[1])
                            changes.append((parts[0], parts[1]))
                        }
                    } catch { throw ValidationError(error.message) }
                }
                let now = WallClock.nowMs()
                let done = changes
                try Blocking.run {
                    for c in done { try await store.setSetting(RetentionPolicy.settingPrefix + c.key, to: c.value, now: now) }
                    _ = try await store.audit(actor: user.name, action: "retention.set", target: "store",
                                              detail: done.map { "\($0.key)=\($0.value ?? "default")" }.joined(separator: " "), now: now)
                }
                for c in changes { print("\(c.key) = \(policy.text(c.key))\(c.value == nil ? " (default)" : "")") }
            }
        }

        struct Run: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Apply the policy now (what the lease holder does every 10 minutes).")
            @OptionGroup var store: StoreOptions

            func run() throws {
                let store = try self.store.open()
                let started = ContinuousClock.now
                let report = try Blocking.run {
                    try await VigilCore.Retention.run(store, policy: try await RetentionPolicy.load(from: store), now: WallClock.nowMs())
                }
                print("retention: \(report.summary) in \(ContinuousClock.now - started)")
            }
        }
    }

    /// `vigil db query METRIC --host H`: a series over a time range, at the resolution the range needs.
    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a series over a time range, raw or rolled up (5m, 1h) as the range needs.",
            discussion: "Examples: vigil db query cpu.usage_percent --host web-1 --since 7d; --host web-1,web-2; --host '*' (every host with the metric: one summary line each).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The metric, e.g. cpu.usage_percent.") var metric: String
        @Option(help: "The host; several separated by commas, or * for every host with the metric.") var host: String
        @Option(name: .customLong("label"), help: "A label of the series, NAME=VALUE (repeat for several).") var labels: [String] = []
        @Option(help: "How far back (e.g. 1h, 24h, 30d).") var since: String = "1h"
        @Option(help: "At most about this many points.") var points: Int = 60

        func run() throws {
            guard let back = DurationText.milliseconds(since), back > 0 else { throw ValidationError("--since '\(since)' is not a duration (e.g. 24h)") }
            guard points > 0 else { throw ValidationError("--points must be positive") }
            var labelMap: [String: String] = [:]
            for l in labels {
                let parts = l.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("--label '\(l)' is not NAME=VALUE") }
                labelMap[parts[0]] = parts[1]
            }
            let store = try self.store.open()
            let hosts = host.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            let now = WallClock.nowMs()
            let metric = self.metric
            let wantedLabels = labelMap
            let (result, took, keys) = try Blocking.run { () -> (RangeQuery.Result, Duration, [SeriesKey]) in
                let keys = hosts == ["*"] ? try await store.seriesKeys(metrics: [metric]).filter { wantedLabels.isEmpty || $0.labels == wantedLabels }
                                          : hosts.map { SeriesKey(host: $0, name: metric, labels: wantedLabels) }
                let policy = try await RetentionPolicy.load(from: store)
                let started = ContinuousClock.now
                let result = try await RangeQuery.run(store, keys: keys, from: now - back, to: now, maxPoints: points, now: now, policy: policy)
                return (result, ContinuousClock.now - started, keys)
            }
            let labelText = labels.isEmpty ? "" : " {\(labels.joined(separator: ","))}"
            guard !result.series.isEmpty else {
                throw CommandFailure("no samples of \(metric)\(labelText) on \(host == "*" ? "any host" : host) in the last \(since)")
            }
            if hosts != ["*"], keys.count == 1, let rows = result.series[keys[0]] {
                print("\(metric) on \(host), last \(since): \(rows.count) points at \(Self.resolution(result)) (\(took))")
                print(TimeText.table(header: ["TIME", "MIN", "AVG", "MAX", "LAST", "SAMPLES"],
                                     rows: rows.map { r in [TimeText.iso(r.ts)] + [r.min, r.avg, r.max, r.last].map(Self.number) + [String(r.count)] }))
                return
            }
            let total = result.series.values.reduce(0) { $0 + $1.count }
            print("\(metric)\(labelText), last \(since): \(result.series.count) series, \(total) points at \(Self.resolution(result)) (\(took))")
            let rows = keys.compactMap { key -> [String]? in
                guard let r = result.series[key], !r.isEmpty else { return nil }
                let all = Rollup.merge(r, step: Int64.max / 4)[0]
                let cells: [String] = [key.host, String(r.count), Self.number(all.min), Self.number(all.avg), Self.number(all.max),
                                       Self.number(all.last), String(all.count)]
                return cells
            }
            print(TimeText.table(header: ["HOST", "POINTS", "MIN", "AVG", "MAX", "LAST", "SAMPLES"], rows: rows))
        }

        static func resolution(_ r: RangeQuery.Result) -> String {
            if r.tier == 0 { return "raw resolution" }
            let minutes = r.step / 60_000
            let size = minutes % 60 == 0 ? "\(minutes / 60)-hour" : "\(minutes)-minute"
            return r.step == r.tier ? "\(size) rollups" : "\(size) buckets from \(r.tier / 60_000)-minute rollups"
        }

        static func number(_ v: Double) -> String {
            v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.2f", v)
        }
    }
}

extension Array {
    func asyncMap<T>(_ body: (Element) async throws -> T) async throws -> [T] {
        var out: [T] = []
        for e in self { out.append(try await body(e)) }
        return out
    }
}

import ArgumentParser
import Foundation
import VigilCore
import VigilWire

/// `vigil demo`: seeds a realistic demo fleet so a newcomer can explore a busy console at once.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Seed a demo fleet (hosts with labels and groups, a week of history, checks, logs, incidents that unfold live)."
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "How many hosts (at least 1).") var hosts: Int = 24
    @Option(help: "Days of history (1 to 30).") var days: Int = 7

    func validate() throws {
        guard hosts >= 1 && hosts <= 1000 else { throw ValidationError("--hosts must be from 1 to 1000") }
        guard days >= 1 && days <= 30 else { throw ValidationError("--days must be from 1 to 30") }
    }

    func run() throws {
        let store = try self.store.open()
        let now = WallClock.nowMs()
        let fleet = DemoFleet(hostCount: hosts, days: days, now: now)
        let existing = try Blocking.run { try await store.fleetSnapshot(now: now) }
        let clash = Set(existing.hosts.map(\.name)).intersection(fleet.hosts.map(\.name))
        if !clash.isEmpty {
            throw ValidationError("the store \(store.description) already holds hosts named like the demo's (\(clash.sorted().prefix(3).joined(separator: ", "))…); use a fresh --db PATH")
        }
        let started = Date()
        // A few hosts at a time (enough for group commit to batch them), compacting every million samples or so:
        // memory stays bounded whatever the fleet's size (1,000 hosts once needed 4.8 GB when every host was
        // ingested at once and compacted at the end).
        let counts = try Blocking.run { () -> (Int, Int, Int) in
            var total = (0, 0, 0)
            var sinceCompaction = 0
            for wave in stride(from: 0, to: fleet.hosts.count, by: 4) {
                let hosts = fleet.hosts[wave..<min(wave + 4, fleet.hosts.count)]
                let c = try await withThrowingTaskGroup(of: (Int, Int, Int).self) { group in
                    for host in hosts {
                        group.addTask {
                            var c = (0, 0, 0)
                            for batch in fleet.batches(for: host) {
                                let r = try await store.ingest(batch, receivedAt: batch.samples.last?.ts ?? now)
                                c.0 += r.samples; c.1 += r.logs; c.2 += r.checks
                            }
                            return c
                        }
                    }
                    var sum = (0, 0, 0)
                    for try await c in group { sum.0 += c.0; sum.1 += c.1; sum.2 += c.2 }
                    return sum
                }
                total.0 += c.0; total.1 += c.1; total.2 += c.2
                sinceCompaction += c.0
                if sinceCompaction >= 1_000_000 {
                    _ = try await store.compact(olderThan: now - 120_000)
                    MemoryTrim.releaseFreeMemory()
                    sinceCompaction = 0
                }
            }
            _ = try await store.compact(olderThan: now - 120_000)
            return total
        }
        let secs = Date().timeIntervalSince(started)
        print("seeded \(fleet.hosts.count) hosts, \(days) days: \(counts.0) samples, \(counts.1) log lines, \(counts.2) check results in \(String(format: "%.1f", secs)) s into \(store.description)")
        try Blocking.run { try await DemoSettings(epoch: now, hosts: fleet.hosts.count, days: days).save(to: store, now: now) }
        print("the night goes bad from now: web-3 CPU saturated with upstream timeouts, cache-1 going down, worker-4's consumer check failing, worker-2 zombies, api-2 memory leak, lb-2 going quiet, db-2 data disk filling")
        print("explore it: vigil --db \(self.store.location.pathForDisplay)   (the console, or vigil serve on this store, keeps the demo hosts reporting)")
    }
}

extension StoreLocation {
    /// The store as a shell word to paste: quoted when it needs it (`?` and `&` in a URL), never with a password.
    var pathForDisplay: String {
        var text: String
        switch self {
        case .sqlite(let path): text = path
        case .postgres(let url):
            var c = URLComponents(string: url)
            c?.password = nil
            text = c?.string ?? url
        }
        if text.contains(where: { " &?;$*'\"|<>()#!".contains($0) }) {
            text = "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
        return text
    }
}

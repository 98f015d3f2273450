import Foundation
import VigilWire

/// A realistic demo fleet: two dozen hosts in groups, a week of history, checks, logs and a bad night of
/// incidents, so a newcomer can explore a busy console at once (`vigil demo`).
///
/// Deterministic for a given seed, `now` and `epoch`. History is coarse far back (5 min), finer for the last
/// day (1 min) and fine for the last 30 minutes (10 s), like a store that has been downsampled.
///
/// The incidents are scheduled from `epoch` (when the demo was seeded), so an engine simulating the fleet on
/// (`DemoSimulator`) sees them begin one after another over the first minutes, as on a real bad night:
/// web-3's CPU is already saturating, worker-4's consumer check starts failing at +30 s, cache-1 goes down at
/// +20 s, worker-2 collects zombies from +1 min, api-2's slow leak surges from +90 s, lb-2 goes quiet from
/// +2½ min for three minutes, and db-2's data disk keeps filling.
public struct DemoFleet: Sendable {
    public struct Host: Sendable {
        public var name: String
        public var role: String
        public var labels: [String: String]
        public var cpus: Int
        public var memory: Int64
    }

    public let hosts: [Host]
    /// Each host's connections (`plan`), made once: a 1,000-host fleet would otherwise redo a quadratic search per batch.
    let connectionPlan: [String: [ConnectionRecord]]
    /// The end of the history.
    public var now: Int64
    /// When the bad night starts (the time the demo was seeded): incident onsets are offsets from it.
    public var epoch: Int64
    public var days: Int
    public var seed: UInt64

    /// When each planted incident begins, in ms after `epoch` (negative: before the demo was seeded).
    public enum Onset {
        public static let web3CPU: Int64 = -8 * 60_000
        public static let cache1Down: Int64 = 20_000
        public static let worker4Check: Int64 = 30_000
        public static let worker2Zombies: Int64 = 60_000
        public static let api2Surge: Int64 = 90_000
        public static let lb2Quiet: Int64 = 150_000
        public static let lb2Back: Int64 = 330_000
        public static let api2Leak: Int64 = -5 * 3_600_000
        public static let db2Fill: Int64 = -6 * 3_600_000
    }

    public init(hostCount: Int = 24, days: Int = 7, now: Int64, epoch: Int64? = nil, seed: UInt64 = 42) {
        self.now = now
        self.epoch = epoch ?? now
        self.days = max(1, days)
        self.seed = seed
        let plan: [(String, Int, String)] = [("lb", 2, "edge"), ("web", 6, "frontend"), ("api", 4, "backend"), ("worker", 5, "backend"),
                                             ("db", 3, "data"), ("cache", 2, "data"), ("mon", 1, "ops"), ("bastion", 1, "ops")]
        var hosts: [Host] = []
        var k = 0
        outer: for (role, n, group) in plan {
            for i in 1...n {
                if hosts.count >= hostCount { break outer }
                let dc = k % 3 == 2 ? "fra1" : "ams1"
                let env = role == "worker" && i == 5 ? "staging" : "prod"
                let big = role == "db" || role == "cache"
                hosts.append(Host(name: "\(role)-\(i)", role: role,
                                  labels: ["role": role, "group": group, "env": env, "dc": dc],
                                  cpus: big ? 16 : (role == "worker" ? 8 : 4), memory: (big ? 64 : 16) * 1_073_741_824))
                k += 1
            }
        }
        while hosts.count < hostCount {
            let i = hosts.count + 1
            hosts.append(Host(name: "node-\(i)", role: "worker", labels: ["role": "worker", "group": "backend", "env": "prod", "dc": "ams1"],
                              cpus: 8, memory: 16 * 1_073_741_824))
        }
        self.hosts = hosts
        connectionPlan = Self.plan(hosts)
    }

    /// Timestamps of the history: 5-minute steps, then 1-minute for the last day, 10 s for the last 30 minutes.
    public func timeline() -> [Int64] {
        var out: [Int64] = []
        let start = now - Int64(days) * 86_400_000
        let day = now - 86_400_000
        let recent = now - 30 * 60_000
        var t = start
        while t < day { out.append(t); t += 300_000 }
        t = max(t, day)
        while t < recent { out.append(t); t += 60_000 }
        t = max(t, recent)
        while t <= now { out.append(t); t += 10_000 }
        return out
    }

    /// ms since an incident's onset at `t` (negative before it).
    func since(_ onset: Int64, _ t: Int64) -> Int64 { t - (epoch + onset) }

    /// Whether `host` reports at `t`: cache-1 goes down for good, lb-2 goes quiet for three minutes.
    public func isReporting(_ host: Host, at t: Int64) -> Bool {
        switch host.name {
        case "cache-1": since(Onset.cache1Down, t) < 0
        case "lb-2": since(Onset.lb2Quiet, t) < 0 || since(Onset.lb2Back, t) >= 0
        default: true
        }
    }

    /// The history of one host as batches of at most `perBatch` timestamps, oldest first.
    public func batches(for host: Host, perBatch: Int = 360) -> [IngestBatch] {
        let times = timeline().filter { isReporting(host, at: $0) }
        var out: [IngestBatch] = []
        var i = 0
        var rng = SplitMix64(seed: seed ^ UInt64(truncatingIfNeeded: host.name.hashValueStable))
        while i < times.count {
            let slice = times[i..<min(i + perBatch, times.count)]
            var batch = IngestBatch(host: host.name, agent: agentInfo(host), labels: host.labels)
            for t in slice {
                batch.samples += samples(host, at: t, rng: &rng)
            }
            batch.checks = checks(host, times: Array(slice), rng: &rng)
            batch.logs = logs(host, times: Array(slice), rng: &rng)
            batch.connections = connections(host)
            out.append(batch)
            i += slice.count
        }
        return out
    }

    /// One live batch of `host` at `t`, or nil while it does not report (the demo simulator).
    public func liveBatch(for host: Host, at t: Int64, rng: inout SplitMix64) -> IngestBatch? {
        guard isReporting(host, at: t) else { return nil }
        var b = IngestBatch(host: host.name, agent: agentInfo(host), labels: host.labels)
        b.samples = samples(host, at: t, rng: &rng)
        b.checks = checks(host, times: [t], rng: &rng)
        b.logs = logs(host, times: [t], rng: &rng)
        // Connections once a minute, as an agent reports them.
        if (t / 10_000) % 6 == 0 { b.connections = connections(host) }
        return b
    }

    func agentInfo(_ h: Host) -> AgentInfo {
        AgentInfo(version: VigilVersion.current, os: "Debian GNU/Linux 12 (bookworm)", kernel: "6.1.0-27-amd64", arch: "x86_64",
                  cpus: h.cpus, memory: h.memory)
    }

    /// 0…1 over the day, peaking mid-afternoon UTC.
    private func diurnal(_ t: Int64) -> Double {
        let hour = Double((t / 1000) % 86_400) / 3600
        return 0.5 + 0.5 * sin((hour - 9) / 24 * 2 * .pi)
    }

    private func samples(_ h: Host, at t: Int64, rng: inout SplitMix64) -> [Sample] {
        let d = diurnal(t)
        let noise = { (scale: Double, rng: inout SplitMix64) in (rng.nextDouble() - 0.5) * scale }
        let web3 = h.name == "web-3" && since(Onset.web3CPU, t) >= 0
        var cpu: Double
        switch h.role {
        case "web", "api", "lb": cpu = 15 + 45 * d + noise(8, &rng)
        case "worker": cpu = 35 + 25 * d + noise(20, &rng)
        case "db": cpu = 20 + 20 * d + noise(6, &rng)
        default: cpu = 5 + 5 * d + noise(3, &rng)
        }
        if web3 { cpu = min(99.5, 91 + min(8, Double(since(Onset.web3CPU, t)) / 300_000) + noise(3, &rng)) }
        cpu = min(100, max(0.5, cpu))
        var mem: Double = h.role == "cache" ? 78 + noise(2, &rng) : (h.role == "db" ? 70 + noise(3, &rng) : 45 + 15 * d + noise(4, &rng))
        if h.name == "api-2" {
            // A slow leak over five hours to 88 %, then a surge of 1 % a minute from +90 s (90 % at about +3½ min).
            let leak = min(1, max(0, Double(since(Onset.api2Leak, t)) / Double(-Onset.api2Leak)))
            let surge = min(9, max(0, Double(since(Onset.api2Surge, t)) / 60_000))
            mem = 55 + 33 * leak + surge + noise(1, &rng)
        }
        mem = min(99.9, max(1, mem))
        let weekFraction = min(1, 1 - Double(now - t) / Double(Int64(days) * 86_400_000))
        var rootDisk = 38 + 6 * weekFraction + noise(0.2, &rng)
        if h.role == "mon" { rootDisk = 61 + 4 * weekFraction }
        let load = Double(h.cpus) * cpu / 100 * (0.9 + rng.nextDouble() * 0.2)
        var out: [Sample] = [
            Sample(name: "cpu.usage_percent", value: round2(cpu), ts: t),
            Sample(name: "cpu.iowait_percent", value: round2(h.role == "db" ? 2 + 3 * d : 0.3 * rng.nextDouble()), ts: t),
            Sample(name: "cpu.steal_percent", value: round2(0.2 * rng.nextDouble()), ts: t),
            Sample(name: "load.1", value: round2(load), ts: t),
            Sample(name: "load.5", value: round2(load * 0.95), ts: t),
            Sample(name: "load.15", value: round2(load * 0.9), ts: t),
            Sample(name: "mem.used_percent", value: round2(mem), ts: t),
            Sample(name: "mem.available_bytes", value: (Double(h.memory) * (100 - mem) / 100).rounded(), ts: t),
            Sample(name: "swap.used_percent", value: round2(h.name == "api-2" && mem > 88 ? 35 : 0), ts: t),
            Sample(name: "disk.used_percent", value: round2(rootDisk), ts: t, labels: ["mount": "/"]),
            Sample(name: "disk.inodes_used_percent", value: round2(12 + 2 * weekFraction), ts: t, labels: ["mount": "/"]),
            Sample(name: "net.rx_bytes_per_s", value: (2_000_000 * d * (h.role == "lb" ? 8 : 1) + 50_000 * rng.nextDouble()).rounded(), ts: t, labels: ["interface": "eth0"]),
            Sample(name: "net.tx_bytes_per_s", value: (3_500_000 * d * (h.role == "lb" ? 8 : 1) + 50_000 * rng.nextDouble()).rounded(), ts: t, labels: ["interface": "eth0"]),
            Sample(name: "proc.count", value: Double(180 + Int(rng.nextDouble() * 20)), ts: t),
            Sample(name: "proc.zombies", value: h.name == "worker-2" && since(Onset.worker2Zombies, t) >= 0 ? 7 : 0, ts: t),
            Sample(name: "tcp.established", value: (h.role == "lb" || h.role == "web" ? 400 + 1200 * d : 40 + 30 * d).rounded(), ts: t),
            Sample(name: "uptime.seconds", value: Double((t - (now - 41 * 86_400_000)) / 1000), ts: t),
        ]
        if h.role == "db" {
            var dataDisk = 62 + 12 * weekFraction + noise(0.1, &rng)
            if h.name == "db-2" {
                // Filling at about 2.2 % an hour since six hours before the epoch: 93 % then, 95 % about 55 min later.
                let filling = max(0, Double(since(Onset.db2Fill, t)) / 3_600_000)
                dataDisk = min(99.5, 74 + 6 * weekFraction + 13 * filling / 6)
            }
            out.append(Sample(name: "disk.used_percent", value: round2(dataDisk), ts: t, labels: ["mount": "/var/lib/postgresql"]))
        }
        return out
    }

    private func round2(_ v: Double) -> Double { (v * 100).rounded() / 100 }

    private func checks(_ h: Host, times: [Int64], rng: inout SplitMix64) -> [CheckResult] {
        // One round of checks per minute of history at most.
        var out: [CheckResult] = []
        var last: Int64?
        for t in times where last.map({ t - $0 >= 60_000 }) ?? true {
            last = t
            let web3 = h.name == "web-3" && since(Onset.web3CPU, t) >= 0
            switch h.role {
            case "web", "api", "lb":
                let port = h.role == "api" ? 8080 : 80
                out.append(CheckResult(name: "http-health", kind: .http, target: "http://\(h.name):\(port)/healthz", ok: true,
                                       latencyMs: 8 + 20 * rng.nextDouble() + (web3 ? 900 : 0), detail: "HTTP 200", ts: t))
                out.append(CheckResult(name: "nginx", kind: .systemd, target: "nginx.service", ok: true, latencyMs: 3, detail: "active", ts: t))
            case "worker":
                let failing = h.name == "worker-4" && since(Onset.worker4Check, t) >= 0
                out.append(CheckResult(name: "queue-consumer", kind: .http, target: "http://\(h.name):9100/ready", ok: !failing,
                                       latencyMs: failing ? 2.1 : 5 + 5 * rng.nextDouble(), detail: failing ? "HTTP 503" : "HTTP 200", ts: t))
            case "db":
                out.append(CheckResult(name: "postgres", kind: .tcp, target: "\(h.name):5432", ok: true, latencyMs: 0.4 + rng.nextDouble(), detail: "connected", ts: t))
                out.append(CheckResult(name: "postgresql", kind: .systemd, target: "postgresql.service", ok: true, latencyMs: 3, detail: "active", ts: t))
            case "cache":
                out.append(CheckResult(name: "redis", kind: .tcp, target: "\(h.name):6379", ok: true, latencyMs: 0.3, detail: "connected", ts: t))
            default:
                out.append(CheckResult(name: "sshd", kind: .systemd, target: "ssh.service", ok: true, latencyMs: 3, detail: "active", ts: t))
            }
        }
        return out
    }

    private func logs(_ h: Host, times: [Int64], rng: inout SplitMix64) -> [LogEntry] {
        var out: [LogEntry] = []
        for t in times {
            if rng.nextDouble() < 0.04 {
                out.append(routine(h, t, &rng))
            }
            // web-3: about nine upstream timeouts a minute, enough for ErrorLogBurst (20 in 5 minutes).
            for _ in 0..<(h.name == "web-3" && since(Onset.web3CPU, t) >= 0 ? Int(rng.nextDouble() * 4) : 0) {
                out.append(LogEntry(ts: t, source: "/var/log/nginx/error.log", level: .error,
                                    message: "upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.3.\(Int(rng.nextDouble() * 250)), server: shop.example.com, request: \"GET /api/cart HTTP/1.1\", upstream: \"http://10.0.1.12:8080/api/cart\""))
            }
            if h.name == "worker-4" && since(Onset.worker4Check, t) >= 0 && rng.nextDouble() < 0.6 {
                out.append(LogEntry(ts: t, source: "/var/log/worker/consumer.log", level: .error,
                                    message: "ERROR consumer: lost connection to broker amqp://mq-1:5672 (connection reset by peer), retrying in 5s"))
            }
            if h.name == "api-2" && since(Onset.api2Surge, t) >= -30 * 60_000 && rng.nextDouble() < 0.1 {
                out.append(LogEntry(ts: t, source: "/var/log/api/app.log", level: .warning,
                                    message: "WARN gc: heap usage \(86 + Int(rng.nextDouble() * 8))% after full collection (pause \(200 + Int(rng.nextDouble() * 300))ms)"))
            }
            if h.name == "db-2" && rng.nextDouble() < 0.01 {
                out.append(LogEntry(ts: t, source: "/var/log/postgresql/postgresql-15-main.log", level: .warning,
                                    message: "WARNING:  checkpoints are occurring too frequently (\(12 + Int(rng.nextDouble() * 10)) seconds apart)"))
            }
        }
        return out
    }

    private func routine(_ h: Host, _ t: Int64, _ rng: inout SplitMix64) -> LogEntry {
        let pick = rng.nextDouble()
        switch h.role {
        case "web", "lb":
            return LogEntry(ts: t, source: "/var/log/nginx/access.log", level: .info,
                            message: "10.0.\(Int(pick * 9)).\(Int(rng.nextDouble() * 250)) - - \"GET /products/\(Int(rng.nextDouble() * 9000)) HTTP/1.1\" 200 \(1000 + Int(rng.nextDouble() * 40000))")
        case "db":
            return LogEntry(ts: t, source: "/var/log/postgresql/postgresql-15-main.log", level: .info,
                            message: "LOG:  checkpoint complete: wrote \(Int(pick * 4000)) buffers (\(Int(pick * 20)).\(Int(rng.nextDouble() * 9))%)")
        case "worker":
            return LogEntry(ts: t, source: "/var/log/worker/consumer.log", level: .info,
                            message: "INFO consumer: processed batch of \(Int(pick * 500)) jobs in \(Int(rng.nextDouble() * 900))ms")
        default:
            return LogEntry(ts: t, source: "/var/log/syslog", level: pick < 0.1 ? .warning : .info,
                            message: pick < 0.1 ? "kernel: TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies." : "systemd[1]: Started Daily apt upgrade and clean activities.")
        }
    }
}

/// A tiny deterministic PRNG (SplitMix64), so the demo is the same every time.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

extension String {
    /// A hash that is the same in every process (Swift's `hashValue` is seeded per process).
    var hashValueStable: UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return h
    }
}

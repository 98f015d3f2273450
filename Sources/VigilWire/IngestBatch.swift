/// One push from an agent: everything it collected since its last successful push.
///
/// The JSON shape is documented in `docs/agent-protocol.md`. Decoding goes through
/// ``IngestDecoder`` (strict, fast, names the field at fault); encoding through ``JSONWriter``.
public struct IngestBatch: Sendable, Equatable {
    public var host: String
    /// The sender's id for this batch (`batch`, 1–64 of `[A-Za-z0-9._:-]`), unique per host. A batch sent again
    /// with an id the store already committed is acknowledged without being stored twice: an agent that replays
    /// its spool after a lost answer causes no duplicates.
    public var id: String?
    public var agent: AgentInfo?
    public var labels: [String: String]
    public var samples: [Sample]
    public var logs: [LogEntry]
    public var checks: [CheckResult]
    /// The host's busiest processes at this cycle (top by CPU and by memory), when the agent reports them.
    public var processes: [ProcessSample] = []
    /// Long-running and slow database queries the agent's database probes saw at this cycle.
    public var dbQueries: [DatabaseQuery] = []
    /// The host's established TCP connections, when the agent looked this cycle (every minute by default).
    public var connections: [ConnectionRecord] = []
    /// The body the batch was decoded from, kept when the decoder left samples' plain labels raw
    /// (``IngestDecoder/keepsPlainLabelsRaw``): their `plainLabels` ranges point into it.
    public var body: [UInt8]?

    public init(host: String, id: String? = nil, agent: AgentInfo? = nil, labels: [String: String] = [:],
                samples: [Sample] = [], logs: [LogEntry] = [], checks: [CheckResult] = []) {
        self.host = host
        self.id = id
        self.agent = agent
        self.labels = labels
        self.samples = samples
        self.logs = logs
        self.checks = checks
    }

    /// Whether `s` can be a batch id: 1–64 bytes of `[A-Za-z0-9._:-]`.
    public static func isValidID(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x5F || b == 0x3A || b == 0x2D
        }
    }

    /// A sample's labels: its `labels`, or for one decoded with its plain labels left raw, those bytes decoded.
    public func labels(of sample: Sample) -> [String: String] {
        guard let r = sample.plainLabels, let body else { return sample.labels }
        return body.withUnsafeBufferPointer { PlainLabels.decode(UnsafeBufferPointer(rebasing: $0[r])) }
    }

    /// True when the batch carries no data at all (a heartbeat).
    public var isEmpty: Bool { samples.isEmpty && logs.isEmpty && checks.isEmpty && processes.isEmpty && dbQueries.isEmpty && connections.isEmpty }
}

/// What the agent says about itself and the machine it runs on.
public struct AgentInfo: Sendable, Equatable {
    public var version: String
    public var os: String
    public var kernel: String
    public var arch: String
    public var cpus: Int
    public var memory: Int64

    public init(version: String = "", os: String = "", kernel: String = "", arch: String = "", cpus: Int = 0, memory: Int64 = 0) {
        self.version = version
        self.os = os
        self.kernel = kernel
        self.arch = arch
        self.cpus = cpus
        self.memory = memory
    }
}

/// One metric reading. `ts` is Unix time in milliseconds.
public struct Sample: Sendable, Equatable {
    public var name: String
    public var value: Double
    public var ts: Int64
    public var labels: [String: String]
    /// Where this sample's label object lies in its batch's `body`, when the decoder left it raw
    /// (``IngestDecoder/keepsPlainLabelsRaw``). `labels` is then empty: read them with ``IngestBatch/labels(of:)``.
    public var plainLabels: Range<Int>?

    public init(name: String, value: Double, ts: Int64, labels: [String: String] = [:], plainLabels: Range<Int>? = nil) {
        self.name = name
        self.value = value
        self.ts = ts
        self.labels = labels
        self.plainLabels = plainLabels
    }
}

/// Severity of a log line, as detected by the agent.
public enum LogLevel: String, Sendable, CaseIterable, Comparable {
    case trace, debug, info, notice, warning, error, critical

    /// Ordering from least to most severe.
    public var rank: Int {
        switch self {
        case .trace: 0
        case .debug: 1
        case .info: 2
        case .notice: 3
        case .warning: 4
        case .error: 5
        case .critical: 6
        }
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rank < b.rank }

    /// The level stored as `rank`, or nil for an unknown rank.
    public init?(rank: Int) {
        guard let level = LogLevel.allCases.first(where: { $0.rank == rank }) else { return nil }
        self = level
    }
}

/// One log line from a tailed file.
public struct LogEntry: Sendable, Equatable {
    public var ts: Int64
    public var source: String
    public var level: LogLevel
    public var message: String

    public init(ts: Int64, source: String, level: LogLevel, message: String) {
        self.ts = ts
        self.source = source
        self.level = level
        self.message = message
    }
}

/// The kind of an active check the agent runs.
public enum CheckKind: String, Sendable, CaseIterable {
    case http, tcp, systemd
}

/// The outcome of one run of an active check.
public struct CheckResult: Sendable, Equatable {
    public var name: String
    public var kind: CheckKind
    public var target: String
    public var ok: Bool
    public var latencyMs: Double
    public var detail: String
    /// When the check ran (Unix ms); 0 means "when the listener received it".
    public var ts: Int64

    public init(name: String, kind: CheckKind, target: String, ok: Bool, latencyMs: Double, detail: String = "", ts: Int64 = 0) {
        self.name = name
        self.kind = kind
        self.target = target
        self.ok = ok
        self.latencyMs = latencyMs
        self.detail = detail
        self.ts = ts
    }
}

/// The listener's answer to an accepted batch.
public struct IngestResponse: Sendable, Equatable {
    /// The request header (value `1`) with which an agent that runs jobs asks for them on the ingest answer. Without
    /// it the answer's `jobs` stays empty: the jobs wait for the long-poll (or the next batch of a job runner).
    public static let acceptJobsHeader = "X-Vigil-Accept-Jobs"

    public var samples: Int
    public var logs: Int
    public var checks: Int
    /// Jobs (runbook runs) queued for the batch's host; the agent runs them like long-polled ones.
    public var jobs: [JobSpec]

    public init(samples: Int, logs: Int, checks: Int, jobs: [JobSpec] = []) {
        self.samples = samples
        self.logs = logs
        self.checks = checks
        self.jobs = jobs
    }

    /// `{"accepted":{"samples":N,"logs":N,"checks":N},"jobs":[JobSpec,…]}`
    public func json() -> String {
        var w = JSONWriter()
        w.beginObject()
        w.key("accepted"); w.beginObject()
        w.key("samples"); w.int(samples)
        w.key("logs"); w.int(logs)
        w.key("checks"); w.int(checks)
        w.endObject()
        w.key("jobs"); w.beginArray()
        for j in jobs { j.write(to: &w) }
        w.endArray()
        w.endObject()
        return w.result
    }

    /// Strict decode of the answer. Missing counts read as 0 and a missing `jobs` as none (older
    /// listeners); a bad job fails the whole answer, naming the field (`jobs[0].steps[1].kind`).
    /// The agent itself reads the jobs with ``JobList/decodeLenient(_:)``, which keeps the good ones.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> IngestResponse {
        try JSONDocument.decode(bytes) { (s: inout JSONScanner) throws(WireError) -> IngestResponse in
            var r = IngestResponse(samples: 0, logs: 0, checks: 0)
            if try s.beginObject(field: "") {
                repeat {
                    let k = try s.key(field: "")
                    switch k {
                    case "accepted":
                        guard s.peek() == UInt8(ascii: "{") else { throw s.wrongType(expected: "an object", field: "accepted") }
                        if try s.beginObject(field: "accepted") {
                            repeat {
                                let a = try s.key(field: "accepted")
                                let f = "accepted." + a
                                switch a {
                                case "samples": r.samples = Int(try JSONDocument.wholeNumber(&s, field: f, in: 0...JSONDocument.maxExactInteger))
                                case "logs": r.logs = Int(try JSONDocument.wholeNumber(&s, field: f, in: 0...JSONDocument.maxExactInteger))
                                case "checks": r.checks = Int(try JSONDocument.wholeNumber(&s, field: f, in: 0...JSONDocument.maxExactInteger))
                                default: try s.skipValue(field: f)
                                }
                            } while try s.nextMember(close: UInt8(ascii: "}"), field: "accepted")
                        }
                    case "jobs":
                        r.jobs = try JobList.decodeJobs(&s).jobs
                    default:
                        try s.skipValue(field: k)
                    }
                } while try s.nextMember(close: UInt8(ascii: "}"), field: "")
            }
            return r
        }
    }
}

/// One process as the agent saw it at `ts`: its CPU use since the agent's previous look, resident memory, state and
/// start time.
public struct ProcessSample: Sendable, Equatable {
    public var pid: Int
    public var user: String
    /// The command line (or the name in `/proc/PID/stat` for kernel threads), at most 256 bytes.
    public var command: String
    /// Of one CPU: 200 is two CPUs busy.
    public var cpuPercent: Double
    public var rssBytes: Int64
    /// The state letter: R running, S sleeping, D disk wait, Z zombie, T stopped, I idle.
    public var state: String
    /// Unix ms.
    public var startedAt: Int64
    /// Unix ms; 0 means the batch's receive time.
    public var ts: Int64

    public init(pid: Int, user: String, command: String, cpuPercent: Double, rssBytes: Int64, state: String, startedAt: Int64, ts: Int64) {
        self.pid = pid
        self.user = user
        self.command = command
        self.cpuPercent = cpuPercent
        self.rssBytes = rssBytes
        self.state = state
        self.startedAt = startedAt
        self.ts = ts
    }
}

/// A database query worth a look, as a database probe saw it: one running longer than the probe's threshold right now
/// (`active`, from `pg_stat_activity`), or a statement whose calls in the last interval averaged longer than it
/// (`statement`, from `pg_stat_statements` deltas).
public struct DatabaseQuery: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case active, statement
    }
    /// The probe's name for the database server (`databases[].name` in the agent's config).
    public var database: String
    public var kind: Kind
    /// The database (`datname`) it runs in.
    public var datname: String
    public var user: String
    /// `active`: the backend's pid, its state (`active`, `idle in transaction`…) and what it waits for
    /// (`Lock:transactionid`), empty when it waits for nothing.
    public var pid: Int
    public var state: String
    public var wait: String
    /// `active`: how long the query and its transaction have run. `statement`: the mean and total time of the calls
    /// in the interval.
    public var durationMs: Double
    public var transactionMs: Double
    public var calls: Int64
    public var totalMs: Double
    /// The query text, at most 1,024 bytes.
    public var query: String
    /// Unix ms; 0 means the batch's receive time.
    public var ts: Int64

    public init(database: String, kind: Kind, datname: String = "", user: String = "", pid: Int = 0, state: String = "",
                wait: String = "", durationMs: Double = 0, transactionMs: Double = 0, calls: Int64 = 0, totalMs: Double = 0,
                query: String, ts: Int64 = 0) {
        self.database = database
        self.kind = kind
        self.datname = datname
        self.user = user
        self.pid = pid
        self.state = state
        self.wait = wait
        self.durationMs = durationMs
        self.transactionMs = transactionMs
        self.calls = calls
        self.totalMs = totalMs
        self.query = query
        self.ts = ts
    }

    /// The longest query text kept.
    public static let maxQueryBytes = 1024
}

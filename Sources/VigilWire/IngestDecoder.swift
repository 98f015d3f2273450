/// Decodes and validates the body of `POST /api/v1/ingest` in one pass over the UTF-8 bytes.
///
/// Purpose-built for the hot path (Foundation's `JSONDecoder` caps out near 80,000 samples/s here;
/// see `docs/BENCHMARKS.md`). Strict: any malformed or invalid input throws a ``WireError`` whose
/// `field` names the first offending field, e.g. `samples[3].value`; nothing is returned partially.
/// Unknown object keys are skipped so newer agents can talk to older listeners.
public struct IngestDecoder: Sendable {
    public var limits: WireLimits
    /// Leaves each sample's label object as bytes when it is plain (``PlainLabels``): the sample's `plainLabels`
    /// range into the batch's `body` instead of a dictionary. The listener's writer looks series up by those bytes.
    public var keepsPlainLabelsRaw: Bool

    public init(limits: WireLimits = .default, keepsPlainLabelsRaw: Bool = false) {
        self.limits = limits
        self.keepsPlainLabelsRaw = keepsPlainLabelsRaw
    }

    /// Decodes `body`. `nowMs` is the listener's clock, used to refuse timestamps from the future.
    public func decode(_ body: [UInt8], nowMs: Int64) throws(WireError) -> IngestBatch {
        let result: Result<IngestBatch, WireError> = body.withUnsafeBufferPointer { buf in
            var s = JSONScanner(buf)
            do throws(WireError) {
                var batch = try decodeBatch(&s, nowMs: nowMs)
                if keepsPlainLabelsRaw { batch.body = body }
                return .success(batch)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private func decodeBatch(_ s: inout JSONScanner, nowMs: Int64) throws(WireError) -> IngestBatch {
        guard s.peek() == UInt8(ascii: "{") else {
            if s.peek() == nil { throw WireError.malformed("empty body: expected a JSON object", field: nil) }
            throw WireError.malformed("malformed JSON at byte \(s.offset): the body must be a JSON object", field: nil)
        }
        var batch = IngestBatch(host: "")
        var sawHost = false
        if try s.beginObject(field: "") {
            repeat {
                let k = try s.key(field: "")
                switch k {
                case "host":
                    batch.host = try s.string(field: "host")
                    sawHost = true
                case "batch":
                    let id = try s.string(field: "batch")
                    guard IngestBatch.isValidID(id) else {
                        throw WireError.invalid("batch '\(clip(id))' must match [A-Za-z0-9._:-]{1,64}", field: "batch")
                    }
                    batch.id = id
                case "agent":
                    batch.agent = s.isNull() ? nil : try decodeAgent(&s)
                    if batch.agent == nil { try s.skipValue(field: "agent") }
                case "labels":
                    batch.labels = try decodeLabels(&s, field: "labels")
                case "samples":
                    batch.samples = try decodeSamples(&s, nowMs: nowMs)
                case "logs":
                    batch.logs = try decodeLogs(&s, nowMs: nowMs)
                case "checks":
                    batch.checks = try decodeChecks(&s, nowMs: nowMs)
                case "processes":
                    batch.processes = try decodeProcesses(&s, nowMs: nowMs)
                case "db_queries":
                    batch.dbQueries = try decodeDatabaseQueries(&s, nowMs: nowMs)
                case "connections":
                    batch.connections = try decodeConnections(&s)
                default:
                    try s.skipValue(field: k)
                }
            } while try s.nextMember(close: UInt8(ascii: "}"), field: "")
        }
        if s.peek() != nil {
            throw s.malformed("unexpected data after the top-level object", field: "")
        }
        guard sawHost else { throw WireError.invalid("missing required field 'host'", field: "host") }
        guard WireNames.isValidHost(batch.host, limit: limits.maxHostLength) else {
            throw WireError.invalid("host '\(clip(batch.host))' must match [A-Za-z0-9._-]{1,\(limits.maxHostLength)}", field: "host")
        }
        return batch
    }

    private func clip(_ s: String) -> String {
        s.utf8.count <= 64 ? s : String(s.prefix(61)) + "..."
    }

    private func decodeAgent(_ s: inout JSONScanner) throws(WireError) -> AgentInfo {
        var a = AgentInfo()
        if try s.beginObject(field: "agent") {
            repeat {
                let k = try s.key(field: "agent")
                switch k {
                case "version": a.version = try boundedString(&s, field: "agent.version", max: limits.maxAgentFieldLength)
                case "os": a.os = try boundedString(&s, field: "agent.os", max: limits.maxAgentFieldLength)
                case "kernel": a.kernel = try boundedString(&s, field: "agent.kernel", max: limits.maxAgentFieldLength)
                case "arch": a.arch = try boundedString(&s, field: "agent.arch", max: limits.maxAgentFieldLength)
                case "cpus":
                    let v = try s.number(field: "agent.cpus")
                    guard v >= 0, v <= 1_000_000, v == v.rounded() else {
                        throw WireError.invalid("cpus must be a whole number from 0 to 1000000", field: "agent.cpus")
                    }
                    a.cpus = Int(v)
                case "memory":
                    let v = try s.number(field: "agent.memory")
                    guard v >= 0, v < 9.0e18, v == v.rounded() else {
                        throw WireError.invalid("memory must be a whole number of bytes", field: "agent.memory")
                    }
                    a.memory = Int64(v)
                default:
                    try s.skipValue(field: "agent.\(k)")
                }
            } while try s.nextMember(close: UInt8(ascii: "}"), field: "agent")
        }
        return a
    }

    private func boundedString(_ s: inout JSONScanner, field: @autoclosure () -> String, max: Int) throws(WireError) -> String {
        let v = try s.string(field: field())
        if v.utf8.count > max {
            throw WireError.invalid("longer than \(max) bytes (\(v.utf8.count))", field: field())
        }
        return v
    }

    private func decodeLabels(_ s: inout JSONScanner, field: @autoclosure () -> String) throws(WireError) -> [String: String] {
        if s.isNull() { try s.skipValue(field: field()); return [:] }
        guard s.peek() == UInt8(ascii: "{") else {
            throw s.wrongType(expected: "an object of string values", field: field())
        }
        var out: [String: String] = [:]
        if try s.beginObject(field: field()) {
            repeat {
                let k = try s.key(field: field())
                guard WireNames.isValidLabelName(k, limit: limits.maxLabelNameLength) else {
                    throw WireError.invalid("label name '\(clip(k))' must match [A-Za-z_][A-Za-z0-9_]{0,\(limits.maxLabelNameLength - 1)}", field: "\(field()).\(clip(k))")
                }
                let v = try s.string(field: "\(field()).\(k)")
                guard v.utf8.count <= limits.maxLabelValueLength else {
                    throw WireError.invalid("label value longer than \(limits.maxLabelValueLength) bytes (\(v.utf8.count))", field: "\(field()).\(k)")
                }
                out[k] = v
                guard out.count <= limits.maxLabelsPerSample else {
                    throw WireError.invalid("more than \(limits.maxLabelsPerSample) labels", field: field())
                }
            } while try s.nextMember(close: UInt8(ascii: "}"), field: field())
        }
        return out
    }

    private func timestamp(_ s: inout JSONScanner, nowMs: Int64, field: @autoclosure () -> String) throws(WireError) -> Int64 {
        let v = try s.number(field: field())
        guard v.isFinite, v == v.rounded() else {
            throw WireError.invalid("ts must be a whole number of Unix milliseconds", field: field())
        }
        guard v >= 946_684_800_000 else {
            throw WireError.invalid("ts \(Int64(exactly: v).map(String.init) ?? "\(v)") is before 2000-01-01: Unix milliseconds expected (seconds?)", field: field())
        }
        guard v <= Double(nowMs + limits.maxFutureSkewMs) else {
            throw WireError.invalid("ts is more than \(limits.maxFutureSkewMs / 60000) minutes in the future (check the agent's clock)", field: field())
        }
        return Int64(v)
    }

    private func decodeSamples(_ s: inout JSONScanner, nowMs: Int64) throws(WireError) -> [Sample] {
        var out: [Sample] = []
        guard s.peek() == UInt8(ascii: "[") else {
            throw s.wrongType(expected: "an array", field: "samples")
        }
        guard try s.beginArray(field: "samples") else { return out }
        var i = 0
        var names = MetricNameCache()
        repeat {
            guard s.peek() == UInt8(ascii: "{") else {
                throw s.wrongType(expected: "an object (a sample)", field: "samples[\(i)]")
            }
            var name: String?
            var value: Double?
            var ts: Int64?
            var labels: [String: String] = [:]
            var plain: Range<Int>?
            if try s.beginObject(field: "samples[\(i)]") {
                repeat {
                    switch try sampleMember(&s, field: "samples[\(i)]") {
                    case .name:
                        // A name this body spelled before is that `String`, checked then.
                        let start = s.pos
                        let plain = s.plainString()
                        if let plain, let known = names.name(s.slice(plain)) {
                            name = known
                        } else {
                            s.pos = start
                            let n = try s.string(field: "samples[\(i)].name")
                            guard WireNames.isValidMetricName(n, limit: limits.maxMetricNameLength) else {
                                throw WireError.invalid("metric name '\(clip(n))' must match [A-Za-z_][A-Za-z0-9_.:]{0,\(limits.maxMetricNameLength - 1)}", field: "samples[\(i)].name")
                            }
                            if let plain { names.remember(s.slice(plain), as: n) }
                            name = n
                        }
                    case .value:
                        let v = try s.number(field: "samples[\(i)].value")
                        guard v.isFinite else { throw WireError.invalid("value must be a finite number", field: "samples[\(i)].value") }
                        value = v
                    case .ts:
                        ts = try timestamp(&s, nowMs: nowMs, field: "samples[\(i)].ts")
                    case .labels:
                        var empty = false
                        plain = keepsPlainLabelsRaw ? PlainLabels.scan(&s, limits: limits, empty: &empty) : nil
                        labels = plain == nil && !empty ? try decodeLabels(&s, field: "samples[\(i)].labels") : [:]
                    case .other(let k):
                        try s.skipValue(field: "samples[\(i)].\(k)")
                    }
                } while try s.nextMember(close: UInt8(ascii: "}"), field: "samples[\(i)]")
            }
            guard let name else { throw WireError.invalid("missing required field 'name'", field: "samples[\(i)].name") }
            guard let value else { throw WireError.invalid("missing required field 'value'", field: "samples[\(i)].value") }
            guard let ts else { throw WireError.invalid("missing required field 'ts'", field: "samples[\(i)].ts") }
            out.append(Sample(name: name, value: value, ts: ts, labels: labels, plainLabels: plain))
            i += 1
        } while try s.nextMember(close: UInt8(ascii: "]"), field: "samples")
        return out
    }

    private enum SampleMember {
        case name, value, ts, labels
        case other(String)
    }

    /// A sample's next key: the usual ones by their bytes, any other spelling (escapes) or key as a string.
    @inline(__always)
    private func sampleMember(_ s: inout JSONScanner, field: @autoclosure () -> String) throws(WireError) -> SampleMember {
        if try s.readKey("name", field: field()) { return .name }
        if try s.readKey("value", field: field()) { return .value }
        if try s.readKey("ts", field: field()) { return .ts }
        if try s.readKey("labels", field: field()) { return .labels }
        switch try s.key(field: field()) {
        case "name": return .name
        case "value": return .value
        case "ts": return .ts
        case "labels": return .labels
        case let k: return .other(k)
        }
    }

    private func decodeLogs(_ s: inout JSONScanner, nowMs: Int64) throws(WireError) -> [LogEntry] {
        var out: [LogEntry] = []
        guard s.peek() == UInt8(ascii: "[") else {
            throw s.wrongType(expected: "an array", field: "logs")
        }
        guard try s.beginArray(field: "logs") else { return out }
        var i = 0
        repeat {
            guard s.peek() == UInt8(ascii: "{") else {
                throw s.wrongType(expected: "an object (a log entry)", field: "logs[\(i)]")
            }
            var ts: Int64?
            var source = ""
            var level = LogLevel.info
            var message: String?
            if try s.beginObject(field: "logs[\(i)]") {
                repeat {
                    let k = try s.key(field: "logs[\(i)]")
                    switch k {
                    case "ts": ts = try timestamp(&s, nowMs: nowMs, field: "logs[\(i)].ts")
                    case "source": source = try boundedString(&s, field: "logs[\(i)].source", max: limits.maxLogSourceLength)
                    case "level":
                        let l = try s.string(field: "logs[\(i)].level")
                        guard let lv = LogLevel(rawValue: l.lowercased()) else {
                            throw WireError.invalid("level '\(clip(l))' is not one of \(LogLevel.allCases.map(\.rawValue).joined(separator: ", "))", field: "logs[\(i)].level")
                        }
                        level = lv
                    case "message": message = try boundedString(&s, field: "logs[\(i)].message", max: limits.maxLogMessageBytes)
                    default: try s.skipValue(field: "logs[\(i)].\(k)")
                    }
                } while try s.nextMember(close: UInt8(ascii: "}"), field: "logs[\(i)]")
            }
            guard let ts else { throw WireError.invalid("missing required field 'ts'", field: "logs[\(i)].ts") }
            guard let message else { throw WireError.invalid("missing required field 'message'", field: "logs[\(i)].message") }
            out.append(LogEntry(ts: ts, source: source, level: level, message: message))
            i += 1
        } while try s.nextMember(close: UInt8(ascii: "]"), field: "logs")
        return out
    }

    /// The most processes one batch may carry (the agent sends at most 20).
    public static let maxProcesses = 100

    /// An array of at most `max` objects, each read by `element` (given the field name `FIELD[i]`), ending with the
    /// array.
    private func decodeObjects<T>(_ s: inout JSONScanner, field: String, max: Int, noun: String, plural: String,
                                  _ element: (inout JSONScanner, String) throws(WireError) -> T) throws(WireError) -> [T] {
        var out: [T] = []
        guard s.peek() == UInt8(ascii: "[") else { throw s.wrongType(expected: "an array", field: field) }
        guard try s.beginArray(field: field) else { return out }
        var i = 0
        repeat {
            let f = "\(field)[\(i)]"
            guard i < max else { throw WireError.invalid("at most \(max) \(plural) per batch", field: f) }
            guard s.peek() == UInt8(ascii: "{") else { throw s.wrongType(expected: "an object (\(noun))", field: f) }
            out.append(try element(&s, f))
            i += 1
        } while try s.nextMember(close: UInt8(ascii: "]"), field: field)
        return out
    }

    private func decodeProcesses(_ s: inout JSONScanner, nowMs: Int64) throws(WireError) -> [ProcessSample] {
        try decodeObjects(&s, field: "processes", max: Self.maxProcesses, noun: "a process", plural: "processes") { (s, f) throws(WireError) in
            var p = ProcessSample(pid: -1, user: "", command: "", cpuPercent: 0, rssBytes: 0, state: "", startedAt: 0, ts: 0)
            if try s.beginObject(field: f) {
                repeat {
                    let k = try s.key(field: f)
                    switch k {
                    case "pid": p.pid = Int(try JSONDocument.wholeNumber(&s, field: f + ".pid", in: 1...4_194_304))
                    case "user": p.user = try boundedString(&s, field: f + ".user", max: 64)
                    case "command": p.command = try boundedString(&s, field: f + ".command", max: 256)
                    case "cpu_percent":
                        let v = try s.number(field: f + ".cpu_percent")
                        guard v.isFinite, v >= 0, v <= 100_000 else { throw WireError.invalid("cpu_percent must be a number from 0 to 100000", field: f + ".cpu_percent") }
                        p.cpuPercent = v
                    case "rss_bytes": p.rssBytes = try JSONDocument.wholeNumber(&s, field: f + ".rss_bytes", in: 0...JSONDocument.maxExactInteger)
                    case "state": p.state = try boundedString(&s, field: f + ".state", max: 8)
                    case "started_at": p.startedAt = try JSONDocument.wholeNumber(&s, field: f + ".started_at", in: 0...JSONDocument.maxExactInteger)
                    case "ts": p.ts = try timestamp(&s, nowMs: nowMs, field: f + ".ts")
                    default: try s.skipValue(field: f + "." + k)
                    }
                } while try s.nextMember(close: UInt8(ascii: "}"), field: f)
            }
            guard p.pid > 0 else { throw WireError.invalid("missing required field 'pid'", field: f + ".pid") }
            guard !p.command.isEmpty else { throw WireError.invalid("missing required field 'command'", field: f + ".command") }
            return p
        }
    }

    /// The most database queries one batch may carry (the agent sends at most 20 per database).
    public static let maxDatabaseQueries = 200

    private func decodeDatabaseQueries(_ s: inout JSONScanner, nowMs: Int64) throws(WireError) -> [DatabaseQuery] {
        try decodeObjects(&s, field: "db_queries", max: Self.maxDatabaseQueries, noun: "a database query",
                          plural: "database queries") { (s, f) throws(WireError) in
            var q = DatabaseQuery(database: "", kind: .active, query: "")
            var sawKind = false
            func milliseconds(_ s: inout JSONScanner, _ field: String) throws(WireError) -> Double {
                let v = try s.number(field: field)
                guard v.isFinite, v >= 0, v <= 1e13 else { throw WireError.invalid("\(field.split(separator: ".").last ?? "") must be a number of milliseconds from 0 to 1e13", field: field) }
                return v
            }
            if try s.beginObject(field: f) {
                repeat {
                    let k = try s.key(field: f)
                    switch k {
                    case "database": q.database = try boundedString(&s, field: f + ".database", max: 64)
                    case "kind":
                        let text = try s.string(field: f + ".kind")
                        guard let kind = DatabaseQuery.Kind(rawValue: text) else {
                            throw WireError.invalid("kind '\(clip(text))' must be active or statement", field: f + ".kind")
                        }
                        q.kind = kind
                        sawKind = true
                    case "datname": q.datname = try boundedString(&s, field: f + ".datname", max: 64)
                    case "user": q.user = try boundedString(&s, field: f + ".user", max: 64)
                    case "pid": q.pid = Int(try JSONDocument.wholeNumber(&s, field: f + ".pid", in: 0...4_194_304))
                    case "state": q.state = try boundedString(&s, field: f + ".state", max: 32)
                    case "wait": q.wait = try boundedString(&s, field: f + ".wait", max: 96)
                    case "duration_ms": q.durationMs = try milliseconds(&s, f + ".duration_ms")
                    case "transaction_ms": q.transactionMs = try milliseconds(&s, f + ".transaction_ms")
                    case "total_ms": q.totalMs = try milliseconds(&s, f + ".total_ms")
                    case "calls": q.calls = try JSONDocument.wholeNumber(&s, field: f + ".calls", in: 0...JSONDocument.maxExactInteger)
                    case "query": q.query = try boundedString(&s, field: f + ".query", max: DatabaseQuery.maxQueryBytes)
                    case "ts": q.ts = try timestamp(&s, nowMs: nowMs, field: f + ".ts")
                    default: try s.skipValue(field: f + "." + k)
                    }
                } while try s.nextMember(close: UInt8(ascii: "}"), field: f)
            }
            guard !q.database.isEmpty else { throw WireError.invalid("missing required field 'database'", field: f + ".database") }
            guard sawKind else { throw WireError.invalid("missing required field 'kind'", field: f + ".kind") }
            guard !q.query.isEmpty else { throw WireError.invalid("missing required field 'query'", field: f + ".query") }
            return q
        }
    }

    /// The most connection records one batch may carry (the agent sends its 200 largest).
    public static let maxConnections = 200

    private func decodeConnections(_ s: inout JSONScanner) throws(WireError) -> [ConnectionRecord] {
        try decodeObjects(&s, field: "connections", max: Self.maxConnections, noun: "a connection", plural: "connections") { (s, f) throws(WireError) in
            var c = ConnectionRecord(direction: .outbound, process: "", localAddr: "", remoteAddr: "")
            var sawDirection = false
            if try s.beginObject(field: f) {
                repeat {
                    let k = try s.key(field: f)
                    switch k {
                    case "dir":
                        let text = try s.string(field: f + ".dir")
                        guard let d = ConnectionRecord.Direction(rawValue: text) else {
                            throw WireError.invalid("dir '\(clip(text))' must be out or in", field: f + ".dir")
                        }
                        c.direction = d
                        sawDirection = true
                    case "process": c.process = try boundedString(&s, field: f + ".process", max: 64)
                    case "local_addr": c.localAddr = try boundedString(&s, field: f + ".local_addr", max: 64)
                    case "local_port": c.localPort = Int(try JSONDocument.wholeNumber(&s, field: f + ".local_port", in: 0...65_535))
                    case "remote_addr": c.remoteAddr = try boundedString(&s, field: f + ".remote_addr", max: 64)
                    case "remote_port": c.remotePort = Int(try JSONDocument.wholeNumber(&s, field: f + ".remote_port", in: 0...65_535))
                    case "count": c.count = Int(try JSONDocument.wholeNumber(&s, field: f + ".count", in: 1...1_000_000))
                    default: try s.skipValue(field: f + "." + k)
                    }
                } while try s.nextMember(close: UInt8(ascii: "}"), field: f)
            }
            guard sawDirection else { throw WireError.invalid("missing required field 'dir'", field: f + ".dir") }
            guard !c.remoteAddr.isEmpty else { throw WireError.invalid("missing required field 'remote_addr'", field: f + ".remote_addr") }
            guard !c.localAddr.isEmpty else { throw WireError.invalid("missing required field 'local_addr'", field: f + ".local_addr") }
            if c.direction == .outbound, c.remotePort == 0 {
                throw WireError.invalid("an outbound connection needs remote_port", field: f + ".remote_port")
            }
            if c.direction == .inbound, c.localPort == 0 {
                throw WireError.invalid("an inbound connection needs local_port", field: f + ".local_port")
            }
            return c
        }
    }

    private func decodeChecks(_ s: inout JSONScanner, nowMs: Int64) throws(WireError) -> [CheckResult] {
        var out: [CheckResult] = []
        guard s.peek() == UInt8(ascii: "[") else {
            throw s.wrongType(expected: "an array", field: "checks")
        }
        guard try s.beginArray(field: "checks") else { return out }
        var i = 0
        repeat {
            guard s.peek() == UInt8(ascii: "{") else {
                throw s.wrongType(expected: "an object (a check result)", field: "checks[\(i)]")
            }
            var name: String?
            var kind: CheckKind?
            var target = ""
            var ok: Bool?
            var latency = 0.0
            var detail = ""
            var ts: Int64 = 0
            if try s.beginObject(field: "checks[\(i)]") {
                repeat {
                    let k = try s.key(field: "checks[\(i)]")
                    switch k {
                    case "name":
                        let n = try boundedString(&s, field: "checks[\(i)].name", max: limits.maxCheckNameLength)
                        guard !n.isEmpty else { throw WireError.invalid("name must not be empty", field: "checks[\(i)].name") }
                        name = n
                    case "kind":
                        let v = try s.string(field: "checks[\(i)].kind")
                        guard let kv = CheckKind(rawValue: v) else {
                            throw WireError.invalid("kind '\(clip(v))' is not one of http, tcp, systemd", field: "checks[\(i)].kind")
                        }
                        kind = kv
                    case "target": target = try boundedString(&s, field: "checks[\(i)].target", max: limits.maxCheckTargetLength)
                    case "ok": ok = try s.bool(field: "checks[\(i)].ok")
                    case "latency_ms":
                        let v = try s.number(field: "checks[\(i)].latency_ms")
                        guard v.isFinite, v >= 0 else { throw WireError.invalid("latency_ms must be a finite number >= 0", field: "checks[\(i)].latency_ms") }
                        latency = v
                    case "detail": detail = try boundedString(&s, field: "checks[\(i)].detail", max: limits.maxCheckDetailLength)
                    case "ts": ts = try timestamp(&s, nowMs: nowMs, field: "checks[\(i)].ts")
                    default: try s.skipValue(field: "checks[\(i)].\(k)")
                    }
                } while try s.nextMember(close: UInt8(ascii: "}"), field: "checks[\(i)]")
            }
            guard let name else { throw WireError.invalid("missing required field 'name'", field: "checks[\(i)].name") }
            guard let kind else { throw WireError.invalid("missing required field 'kind'", field: "checks[\(i)].kind") }
            guard let ok else { throw WireError.invalid("missing required field 'ok'", field: "checks[\(i)].ok") }
            out.append(CheckResult(name: name, kind: kind, target: target, ok: ok, latencyMs: latency, detail: detail, ts: ts))
            i += 1
        } while try s.nextMember(close: UInt8(ascii: "]"), field: "checks")
        return out
    }
}

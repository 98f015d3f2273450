/// A small, allocation-light JSON writer that needs no Foundation (the agent links it).
///
/// Commas are inserted automatically; callers only say what comes next.
public struct JSONWriter: Sendable {
    public private(set) var result: String = ""
    private var needsComma: [Bool] = [false]

    public init() {
        result.reserveCapacity(256)
    }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { result.append(",") }
        needsComma[needsComma.count - 1] = true
    }

    public mutating func beginObject() { separate(); result.append("{"); needsComma.append(false) }
    public mutating func endObject() { needsComma.removeLast(); result.append("}") }
    public mutating func beginArray() { separate(); result.append("["); needsComma.append(false) }
    public mutating func endArray() { needsComma.removeLast(); result.append("]") }

    /// Writes an object key; the value written next belongs to it.
    public mutating func key(_ k: String) {
        separate()
        JSONWriter.appendQuoted(k, to: &result)
        result.append(":")
        needsComma[needsComma.count - 1] = false
    }

    public mutating func string(_ s: String) { separate(); JSONWriter.appendQuoted(s, to: &result) }
    public mutating func int(_ v: Int) { separate(); result.append(String(v)) }
    public mutating func int64(_ v: Int64) { separate(); result.append(String(v)) }
    public mutating func bool(_ v: Bool) { separate(); result.append(v ? "true" : "false") }
    public mutating func null() { separate(); result.append("null") }

    /// Writes a finite number in its shortest round-trip form; non-finite values become `null`.
    public mutating func double(_ v: Double) {
        separate()
        guard v.isFinite else { result.append("null"); return }
        if v == v.rounded(), abs(v) < 1e15 {
            result.append(String(Int64(v)))
        } else {
            result.append(v.description)
        }
    }

    public mutating func labels(_ labels: [String: String]) {
        beginObject()
        for (k, v) in labels.sorted(by: { $0.key < $1.key }) {
            key(k); string(v)
        }
        endObject()
    }

    /// Appends `s` as a JSON string literal with the required escapes.
    public static func appendQuoted(_ s: String, to out: inout String) {
        out.append("\"")
        var plain = true
        for b in s.utf8 where b < 0x20 || b == 0x22 || b == 0x5C {
            plain = false
            break
        }
        if plain {
            out.append(s)
        } else {
            for u in s.unicodeScalars {
                switch u {
                case "\"": out.append("\\\"")
                case "\\": out.append("\\\\")
                case "\n": out.append("\\n")
                case "\r": out.append("\\r")
                case "\t": out.append("\\t")
                default:
                    if u.value < 0x20 {
                        let hex = String(u.value, radix: 16)
                        out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                    } else {
                        out.unicodeScalars.append(u)
                    }
                }
            }
        }
        out.append("\"")
    }
}

extension IngestBatch {
    /// The batch as the JSON body of `POST /api/v1/ingest`.
    public func json() -> String {
        var w = JSONWriter()
        w.beginObject()
        w.key("host"); w.string(host)
        if let id { w.key("batch"); w.string(id) }
        if let a = agent {
            w.key("agent"); w.beginObject()
            w.key("version"); w.string(a.version)
            w.key("os"); w.string(a.os)
            w.key("kernel"); w.string(a.kernel)
            w.key("arch"); w.string(a.arch)
            w.key("cpus"); w.int(a.cpus)
            w.key("memory"); w.int64(a.memory)
            w.endObject()
        }
        if !labels.isEmpty { w.key("labels"); w.labels(labels) }
        w.key("samples"); w.beginArray()
        for s in samples {
            w.beginObject()
            w.key("name"); w.string(s.name)
            w.key("value"); w.double(s.value)
            w.key("ts"); w.int64(s.ts)
            if !s.labels.isEmpty { w.key("labels"); w.labels(s.labels) }
            w.endObject()
        }
        w.endArray()
        w.key("logs"); w.beginArray()
        for l in logs {
            w.beginObject()
            w.key("ts"); w.int64(l.ts)
            w.key("source"); w.string(l.source)
            w.key("level"); w.string(l.level.rawValue)
            w.key("message"); w.string(l.message)
            w.endObject()
        }
        w.endArray()
        w.key("checks"); w.beginArray()
        for c in checks {
            w.beginObject()
            w.key("name"); w.string(c.name)
            w.key("kind"); w.string(c.kind.rawValue)
            w.key("target"); w.string(c.target)
            w.key("ok"); w.bool(c.ok)
            w.key("latency_ms"); w.double(c.latencyMs)
            w.key("detail"); w.string(c.detail)
            if c.ts != 0 { w.key("ts"); w.int64(c.ts) }
            w.endObject()
        }
        w.endArray()
        if !processes.isEmpty {
            w.key("processes"); w.beginArray()
            for p in processes {
                w.beginObject()
                w.key("pid"); w.int(p.pid)
                w.key("user"); w.string(p.user)
                w.key("command"); w.string(p.command)
                w.key("cpu_percent"); w.double(p.cpuPercent)
                w.key("rss_bytes"); w.int64(p.rssBytes)
                w.key("state"); w.string(p.state)
                w.key("started_at"); w.int64(p.startedAt)
                if p.ts != 0 { w.key("ts"); w.int64(p.ts) }
                w.endObject()
            }
            w.endArray()
        }
        if !dbQueries.isEmpty {
            w.key("db_queries"); w.beginArray()
            for q in dbQueries {
                w.beginObject()
                w.key("database"); w.string(q.database)
                w.key("kind"); w.string(q.kind.rawValue)
                w.key("datname"); w.string(q.datname)
                w.key("user"); w.string(q.user)
                if q.pid != 0 { w.key("pid"); w.int(q.pid) }
                if !q.state.isEmpty { w.key("state"); w.string(q.state) }
                if !q.wait.isEmpty { w.key("wait"); w.string(q.wait) }
                w.key("duration_ms"); w.double(q.durationMs)
                if q.transactionMs != 0 { w.key("transaction_ms"); w.double(q.transactionMs) }
                if q.calls != 0 { w.key("calls"); w.int64(q.calls) }
                if q.totalMs != 0 { w.key("total_ms"); w.double(q.totalMs) }
                w.key("query"); w.string(q.query)
                if q.ts != 0 { w.key("ts"); w.int64(q.ts) }
                w.endObject()
            }
            w.endArray()
        }
        if !connections.isEmpty {
            w.key("connections"); w.beginArray()
            for c in connections {
                w.beginObject()
                w.key("dir"); w.string(c.direction.rawValue)
                if !c.process.isEmpty { w.key("process"); w.string(c.process) }
                w.key("local_addr"); w.string(c.localAddr)
                if c.localPort != 0 { w.key("local_port"); w.int(c.localPort) }
                w.key("remote_addr"); w.string(c.remoteAddr)
                if c.remotePort != 0 { w.key("remote_port"); w.int(c.remotePort) }
                if c.count != 1 { w.key("count"); w.int(c.count) }
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
        return w.result
    }
}

/// What a runbook step is for; decides how the executor treats its failure.
public enum JobStepKind: String, Sendable, CaseIterable {
    /// A precondition: a failure stops the job before anything is changed (`precondition_failed`).
    case check
    /// Changes something: a failure runs the rollbacks (`failed`).
    case action
    /// Confirms the actions worked: a failure runs the rollbacks (`failed`).
    case verify
    /// Undoes the actions; runs only after an action or verify failed.
    case rollback
}

/// One step of a job: an argument vector (never a shell string) with a timeout.
public struct JobStep: Sendable, Equatable {
    public var name: String
    public var kind: JobStepKind
    /// `argv[0]` is `vigil-step` (the agent's own step programs), an absolute path, or a bare name
    /// looked up in the fixed PATH directories.
    public var argv: [String]
    public var timeoutMs: Int

    public init(name: String, kind: JobStepKind, argv: [String], timeoutMs: Int) {
        self.name = name
        self.kind = kind
        self.argv = argv
        self.timeoutMs = timeoutMs
    }
}

/// One runbook run rendered for one host, as the listener sends it to the agent (`docs/remediation-spec`
/// section 1). Signed with HMAC-SHA-256 over ``signingBytes()`` (see ``JobSignature``).
public struct JobSpec: Sendable, Equatable {
    /// The run id, also the path segment of `/api/v1/jobs/{id}/events`: `[A-Za-z0-9._-]{1,128}`.
    public var id: String
    public var host: String
    public var runbook: String
    /// Hex SHA-256 of the runbook definition the steps were rendered from.
    public var runbookHash: String
    public var dryRun: Bool
    /// Unix milliseconds.
    public var issuedAt: Int64
    /// Unix milliseconds; the agent refuses the job after this.
    public var expiresAt: Int64
    public var steps: [JobStep]
    /// Lower-case hex HMAC-SHA-256 (64 characters); empty when the job is unsigned.
    public var signature: String

    public init(id: String, host: String, runbook: String, runbookHash: String, dryRun: Bool, issuedAt: Int64,
                expiresAt: Int64, steps: [JobStep], signature: String = "") {
        self.id = id
        self.host = host
        self.runbook = runbook
        self.runbookHash = runbookHash
        self.dryRun = dryRun
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.steps = steps
        self.signature = signature
    }

    /// Largest number of steps in one job.
    public static let maxSteps = 100
    /// Largest number of arguments of one step.
    public static let maxArguments = 256
    /// Longest single argument, in UTF-8 bytes.
    public static let maxArgumentBytes = 4096
    /// Longest step timeout (one day).
    public static let maxTimeoutMs = 86_400_000

    /// Whether `id` can be a job id: `[A-Za-z0-9._-]{1,128}` (it becomes a URL path segment).
    public static func isValidID(_ id: String) -> Bool {
        WireNames.matches(id, limit: 128, first: WireNames.isHostByte, rest: WireNames.isHostByte)
    }

    /// The job as JSON (the shape the listener sends).
    public func json() -> String {
        var w = JSONWriter()
        write(to: &w)
        return w.result
    }

    /// Writes the job as one JSON object value into `w` (inside an array or after a key).
    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("id"); w.string(id)
        w.key("host"); w.string(host)
        w.key("runbook"); w.string(runbook)
        w.key("runbook_hash"); w.string(runbookHash)
        w.key("dry_run"); w.bool(dryRun)
        w.key("issued_at"); w.int64(issuedAt)
        w.key("expires_at"); w.int64(expiresAt)
        w.key("steps"); w.beginArray()
        for s in steps {
            w.beginObject()
            w.key("name"); w.string(s.name)
            w.key("kind"); w.string(s.kind.rawValue)
            w.key("argv"); w.beginArray()
            for a in s.argv { w.string(a) }
            w.endArray()
            w.key("timeout_ms"); w.int(s.timeoutMs)
            w.endObject()
        }
        w.endArray()
        w.key("signature"); w.string(signature)
        w.endObject()
    }

    /// The exact bytes that are signed: everything but `signature`, length-prefixed so that no field
    /// can bleed into another. `"vigil-job-v1\n"`, then `"<utf8 byte length>:<value>\n"` for id, host,
    /// runbook, runbook_hash, dry_run (`1`/`0`), issued_at, expires_at, the step count, and per step
    /// name, kind, timeout_ms, argc and each argument.
    public func signingBytes() -> [UInt8] {
        var out = Array("vigil-job-v1\n".utf8)
        func field(_ v: String) {
            let bytes = Array(v.utf8)
            out.append(contentsOf: String(bytes.count).utf8)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\n"))
        }
        field(id)
        field(host)
        field(runbook)
        field(runbookHash)
        field(dryRun ? "1" : "0")
        field(String(issuedAt))
        field(String(expiresAt))
        field(String(steps.count))
        for s in steps {
            field(s.name)
            field(s.kind.rawValue)
            field(String(s.timeoutMs))
            field(String(s.argv.count))
            for a in s.argv { field(a) }
        }
        return out
    }

    /// Decodes one job. Strict: a missing, mistyped or out-of-range field throws a ``WireError``
    /// naming it (`steps[1].argv[0]`); unknown keys are skipped. A missing `signature` decodes as ""
    /// so that the agent can refuse the job by its id.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> JobSpec {
        try JSONDocument.decode(bytes) { (s: inout JSONScanner) throws(WireError) -> JobSpec in
            try decode(&s, path: "")
        }
    }

    /// Decodes a job object at the scanner's position; `path` prefixes field names (`jobs[0]`).
    static func decode(_ s: inout JSONScanner, path: String) throws(WireError) -> JobSpec {
        func f(_ name: String) -> String { path.isEmpty ? name : path + "." + name }
        guard s.peek() == UInt8(ascii: "{") else {
            throw s.wrongType(expected: "an object (a job)", field: path.isEmpty ? "" : path)
        }
        var id: String?, host: String?, runbook: String?, hash: String?, dryRun: Bool?
        var issuedAt: Int64?, expiresAt: Int64?, steps: [JobStep]?
        var signature = ""
        if try s.beginObject(field: path) {
            repeat {
                let k = try s.key(field: path)
                switch k {
                case "id":
                    let v = try s.string(field: f("id"))
                    guard isValidID(v) else {
                        throw WireError.invalid("id '\(JSONDocument.clip(v))' must match [A-Za-z0-9._-]{1,128}", field: f("id"))
                    }
                    id = v
                case "host":
                    let v = try s.string(field: f("host"))
                    guard WireNames.isValidHost(v) else {
                        throw WireError.invalid("host '\(JSONDocument.clip(v))' must match [A-Za-z0-9._-]{1,253}", field: f("host"))
                    }
                    host = v
                case "runbook":
                    let v = try s.string(field: f("runbook"))
                    guard !v.isEmpty, v.utf8.count <= 200 else {
                        throw WireError.invalid("runbook must be 1 to 200 bytes", field: f("runbook"))
                    }
                    runbook = v
                case "runbook_hash":
                    let v = try s.string(field: f("runbook_hash"))
                    guard v.utf8.count == 64, v.utf8.allSatisfy(JSONDocument.isHexDigit) else {
                        throw WireError.invalid("runbook_hash must be 64 hex digits (a SHA-256)", field: f("runbook_hash"))
                    }
                    hash = v
                case "dry_run":
                    dryRun = try s.bool(field: f("dry_run"))
                case "issued_at":
                    issuedAt = try JSONDocument.wholeNumber(&s, field: f("issued_at"), in: 0...JSONDocument.maxExactInteger)
                case "expires_at":
                    expiresAt = try JSONDocument.wholeNumber(&s, field: f("expires_at"), in: 0...JSONDocument.maxExactInteger)
                case "steps":
                    steps = try decodeSteps(&s, path: f("steps"))
                case "signature":
                    let v = try s.string(field: f("signature"))
                    guard v.utf8.count <= 128 else { throw WireError.invalid("signature is longer than 128 bytes", field: f("signature")) }
                    signature = v
                default:
                    try s.skipValue(field: f(k))
                }
            } while try s.nextMember(close: UInt8(ascii: "}"), field: path)
        }
        func missing(_ name: String) -> WireError { WireError.invalid("missing required field '\(name)'", field: f(name)) }
        guard let id else { throw missing("id") }
        guard let host else { throw missing("host") }
        guard let runbook else { throw missing("runbook") }
        guard let hash else { throw missing("runbook_hash") }
        guard let dryRun else { throw missing("dry_run") }
        guard let issuedAt else { throw missing("issued_at") }
        guard let expiresAt else { throw missing("expires_at") }
        guard let steps else { throw missing("steps") }
        guard expiresAt >= issuedAt else {
            throw WireError.invalid("expires_at is before issued_at", field: f("expires_at"))
        }
        return JobSpec(id: id, host: host, runbook: runbook, runbookHash: hash, dryRun: dryRun, issuedAt: issuedAt,
                       expiresAt: expiresAt, steps: steps, signature: signature)
    }

    private static func decodeSteps(_ s: inout JSONScanner, path: String) throws(WireError) -> [JobStep] {
        guard s.peek() == UInt8(ascii: "[") else { throw s.wrongType(expected: "an array of steps", field: path) }
        guard try s.beginArray(field: path) else {
            throw WireError.invalid("a job needs at least one step", field: path)
        }
        var out: [JobStep] = []
        repeat {
            let p = "\(path)[\(out.count)]"
            guard out.count < maxSteps else { throw WireError.invalid("more than \(maxSteps) steps", field: path) }
            out.append(try decodeStep(&s, path: p))
        } while try s.nextMember(close: UInt8(ascii: "]"), field: path)
        return out
    }

    private static func decodeStep(_ s: inout JSONScanner, path: String) throws(WireError) -> JobStep {
        guard s.peek() == UInt8(ascii: "{") else { throw s.wrongType(expected: "an object (a step)", field: path) }
        var name: String?, kind: JobStepKind?, argv: [String]?, timeout: Int?
        if try s.beginObject(field: path) {
            repeat {
                let k = try s.key(field: path)
                switch k {
                case "name":
                    let v = try s.string(field: path + ".name")
                    guard !v.isEmpty, v.utf8.count <= 200 else {
                        throw WireError.invalid("name must be 1 to 200 bytes", field: path + ".name")
                    }
                    name = v
                case "kind":
                    let v = try s.string(field: path + ".kind")
                    guard let parsed = JobStepKind(rawValue: v) else {
                        throw WireError.invalid("kind '\(JSONDocument.clip(v))' is not one of check, action, verify, rollback", field: path + ".kind")
                    }
                    kind = parsed
                case "argv":
                    argv = try decodeArgv(&s, path: path + ".argv")
                case "timeout_ms":
                    timeout = Int(try JSONDocument.wholeNumber(&s, field: path + ".timeout_ms", in: 1...Int64(maxTimeoutMs)))
                default:
                    try s.skipValue(field: path + "." + k)
                }
            } while try s.nextMember(close: UInt8(ascii: "}"), field: path)
        }
        guard let name else { throw WireError.invalid("missing required field 'name'", field: path + ".name") }
        guard let kind else { throw WireError.invalid("missing required field 'kind'", field: path + ".kind") }
        guard let argv else { throw WireError.invalid("missing required field 'argv'", field: path + ".argv") }
        guard let timeout else { throw WireError.invalid("missing required field 'timeout_ms'", field: path + ".timeout_ms") }
        return JobStep(name: name, kind: kind, argv: argv, timeoutMs: timeout)
    }

    private static func decodeArgv(_ s: inout JSONScanner, path: String) throws(WireError) -> [String] {
        guard s.peek() == UInt8(ascii: "[") else { throw s.wrongType(expected: "an array of strings", field: path) }
        guard try s.beginArray(field: path) else {
            throw WireError.invalid("argv must not be empty", field: path)
        }
        var out: [String] = []
        repeat {
            let p = "\(path)[\(out.count)]"
            guard out.count < maxArguments else { throw WireError.invalid("more than \(maxArguments) arguments", field: path) }
            let a = try s.string(field: p)
            guard a.utf8.count <= maxArgumentBytes else {
                throw WireError.invalid("argument longer than \(maxArgumentBytes) bytes", field: p)
            }
            guard !a.utf8.contains(0) else { throw WireError.invalid("argument contains a NUL character", field: p) }
            if out.isEmpty && a.isEmpty { throw WireError.invalid("the program (argv[0]) must not be empty", field: p) }
            out.append(a)
        } while try s.nextMember(close: UInt8(ascii: "]"), field: path)
        return out
    }
}

/// Helpers for decoding a whole JSON document with ``JSONScanner``.
enum JSONDocument {
    /// Largest integer a JSON number carries exactly (2^53).
    static let maxExactInteger: Int64 = 1 << 53

    /// Runs `body` over `bytes`, requiring one top-level JSON object and nothing after it.
    static func decode<T>(_ bytes: [UInt8], _ body: (inout JSONScanner) throws(WireError) -> T) throws(WireError) -> T {
        let result: Result<T, WireError> = bytes.withUnsafeBufferPointer { buf in
            var s = JSONScanner(buf)
            do throws(WireError) {
                guard s.peek() == UInt8(ascii: "{") else {
                    if s.peek() == nil { throw WireError.malformed("empty body: expected a JSON object", field: nil) }
                    throw WireError.malformed("malformed JSON at byte \(s.offset): the body must be a JSON object", field: nil)
                }
                let value = try body(&s)
                if s.peek() != nil { throw s.malformed("unexpected data after the top-level object", field: "") }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// A JSON number that must be a whole number within `range`.
    static func wholeNumber(_ s: inout JSONScanner, field: String, in range: ClosedRange<Int64>) throws(WireError) -> Int64 {
        let v = try s.number(field: field)
        guard v.isFinite, v == v.rounded(), v >= Double(range.lowerBound), v <= Double(range.upperBound) else {
            throw WireError.invalid("must be a whole number from \(range.lowerBound) to \(range.upperBound)", field: field)
        }
        return Int64(v)
    }

    static func isHexDigit(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "f"))
            || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "F"))
    }

    static func clip(_ s: String) -> String {
        s.utf8.count <= 64 ? s : String(s.prefix(61)) + "..."
    }
}

/// What happened, in a ``JobEvent``.
public enum JobEventType: String, Sendable, CaseIterable {
    case stepStarted = "step_started"
    /// A chunk of a step's interleaved stdout and stderr.
    case output
    case stepFinished = "step_finished"
    /// A step that did not run (a dry run's "would run …", or not reached).
    case stepSkipped = "step_skipped"
    /// The last event of a job; carries the outcome.
    case jobFinished = "job_finished"

    /// Whether events of this type must name a step.
    public var needsStep: Bool { self != .jobFinished }
}

/// How a job ended.
public enum JobOutcome: String, Sendable, CaseIterable {
    /// Every step that had to run passed.
    case succeeded
    /// An action or verify step failed; the rollbacks ran, if any.
    case failed
    /// A check failed: nothing was changed.
    case preconditionFailed = "precondition_failed"
    /// An operator cancelled it (or the agent stopped); the running step was killed.
    case cancelled
    /// Not run at all: bad signature, wrong host, expired, remediation disabled, unknown step program.
    case refused
    /// A step could not be started.
    case error
}

/// One event of a job run, posted by the agent to `POST /api/v1/jobs/{id}/events`.
///
/// `seq` counts 1, 2, 3… per job; the listener ignores a `seq` it already stored, so retries are safe.
public struct JobEvent: Sendable, Equatable {
    public var seq: Int
    /// Unix milliseconds.
    public var at: Int64
    public var type: JobEventType
    /// Index of the step in ``JobSpec/steps`` (every type but `job_finished`).
    public var step: Int?
    /// Output chunk, skip reason, or the job's human summary.
    public var text: String?
    /// `step_finished`: exit status; nil when killed by a signal.
    public var exitCode: Int?
    /// `step_finished`: the signal that killed the step.
    public var signal: Int?
    /// `step_finished`: killed for running past its timeout.
    public var timedOut: Bool?
    /// `step_finished`: wall time of the step.
    public var durationMs: Int64?
    /// `job_finished`: how the job ended.
    public var outcome: JobOutcome?

    public init(seq: Int, at: Int64, type: JobEventType, step: Int? = nil, text: String? = nil, exitCode: Int? = nil,
                signal: Int? = nil, timedOut: Bool? = nil, durationMs: Int64? = nil, outcome: JobOutcome? = nil) {
        self.seq = seq
        self.at = at
        self.type = type
        self.step = step
        self.text = text
        self.exitCode = exitCode
        self.signal = signal
        self.timedOut = timedOut
        self.durationMs = durationMs
        self.outcome = outcome
    }

    /// Longest `text` accepted, in UTF-8 bytes (a step's whole output cap).
    public static let maxTextBytes = 256 * 1024

    /// The event as one JSON object. Absent values are omitted.
    public func json() -> String {
        var w = JSONWriter()
        write(to: &w)
        return w.result
    }

    /// Writes the event as one JSON object value into `w`.
    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("seq"); w.int(seq)
        w.key("at"); w.int64(at)
        w.key("type"); w.string(type.rawValue)
        if let step { w.key("step"); w.int(step) }
        if let exitCode { w.key("exit_code"); w.int(exitCode) }
        if let signal { w.key("signal"); w.int(signal) }
        if let timedOut { w.key("timed_out"); w.bool(timedOut) }
        if let durationMs { w.key("duration_ms"); w.int64(durationMs) }
        if let outcome { w.key("outcome"); w.string(outcome.rawValue) }
        if let text { w.key("text"); w.string(text) }
        w.endObject()
    }

    /// Decodes one event object at the scanner's position; `path` names it in errors (`events[2]`).
    static func decode(_ s: inout JSONScanner, path: String) throws(WireError) -> JobEvent {
        guard s.peek() == UInt8(ascii: "{") else { throw s.wrongType(expected: "an object (an event)", field: path) }
        var seq: Int64?, at: Int64?, type: JobEventType?, step: Int64?, text: String?
        var exitCode: Int64?, signal: Int64?, timedOut: Bool?, duration: Int64?, outcome: JobOutcome?
        let maxInt = JSONDocument.maxExactInteger
        if try s.beginObject(field: path) {
            repeat {
                let k = try s.key(field: path)
                let f = path + "." + k
                switch k {
                case "seq": seq = try JSONDocument.wholeNumber(&s, field: f, in: 1...maxInt)
                case "at": at = try JSONDocument.wholeNumber(&s, field: f, in: 0...maxInt)
                case "type":
                    let v = try s.string(field: f)
                    guard let t = JobEventType(rawValue: v) else {
                        throw WireError.invalid("type '\(JSONDocument.clip(v))' is not one of \(JobEventType.allCases.map(\.rawValue).joined(separator: ", "))", field: f)
                    }
                    type = t
                case "step":
                    if s.isNull() { try s.skipValue(field: f) } else {
                        step = try JSONDocument.wholeNumber(&s, field: f, in: 0...Int64(JobSpec.maxSteps - 1))
                    }
                case "text":
                    if s.isNull() { try s.skipValue(field: f) } else {
                        let v = try s.string(field: f)
                        guard v.utf8.count <= maxTextBytes else {
                            throw WireError.invalid("text longer than \(maxTextBytes) bytes (\(v.utf8.count))", field: f)
                        }
                        text = v
                    }
                case "exit_code":
                    if s.isNull() { try s.skipValue(field: f) } else {
                        exitCode = try JSONDocument.wholeNumber(&s, field: f, in: Int64(Int32.min)...Int64(Int32.max))
                    }
                case "signal":
                    if s.isNull() { try s.skipValue(field: f) } else {
                        signal = try JSONDocument.wholeNumber(&s, field: f, in: 1...255)
                    }
                case "timed_out":
                    if s.isNull() { try s.skipValue(field: f) } else { timedOut = try s.bool(field: f) }
                case "duration_ms":
                    if s.isNull() { try s.skipValue(field: f) } else {
                        duration = try JSONDocument.wholeNumber(&s, field: f, in: 0...maxInt)
                    }
                case "outcome":
                    if s.isNull() { try s.skipValue(field: f) } else {
                        let v = try s.string(field: f)
                        guard let o = JobOutcome(rawValue: v) else {
                            throw WireError.invalid("outcome '\(JSONDocument.clip(v))' is not one of \(JobOutcome.allCases.map(\.rawValue).joined(separator: ", "))", field: f)
                        }
                        outcome = o
                    }
                default:
                    try s.skipValue(field: f)
                }
            } while try s.nextMember(close: UInt8(ascii: "}"), field: path)
        }
        guard let seq else { throw WireError.invalid("missing required field 'seq'", field: path + ".seq") }
        guard let at else { throw WireError.invalid("missing required field 'at'", field: path + ".at") }
        guard let type else { throw WireError.invalid("missing required field 'type'", field: path + ".type") }
        if type.needsStep && step == nil {
            throw WireError.invalid("missing required field 'step' (a \(type.rawValue) event names its step)", field: path + ".step")
        }
        if type == .output && text == nil {
            throw WireError.invalid("missing required field 'text' (an output event carries text)", field: path + ".text")
        }
        if type == .jobFinished && outcome == nil {
            throw WireError.invalid("missing required field 'outcome' (a job_finished event carries the outcome)", field: path + ".outcome")
        }
        return JobEvent(seq: Int(seq), at: at, type: type, step: step.map { Int($0) }, text: text, exitCode: exitCode.map { Int($0) },
                        signal: signal.map { Int($0) }, timedOut: timedOut, durationMs: duration, outcome: outcome)
    }
}

/// The body of `POST /api/v1/jobs/{id}/events`: `{"events":[…]}`.
public struct JobEventBatch: Sendable, Equatable {
    public var events: [JobEvent]

    public init(events: [JobEvent]) {
        self.events = events
    }

    /// Most events accepted in one batch.
    public static let maxEvents = 1000

    public func json() -> String {
        var w = JSONWriter()
        w.beginObject()
        w.key("events"); w.beginArray()
        for e in events { e.write(to: &w) }
        w.endArray()
        w.endObject()
        return w.result
    }

    /// Strict decode (listener side): errors name the field (`events[2].outcome`). An empty list is
    /// valid: the agent posts one to learn whether the job was cancelled.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> JobEventBatch {
        try JSONDocument.decode(bytes) { (s: inout JSONScanner) throws(WireError) -> JobEventBatch in
            var events: [JobEvent]?
            if try s.beginObject(field: "") {
                repeat {
                    let k = try s.key(field: "")
                    switch k {
                    case "events":
                        guard s.peek() == UInt8(ascii: "[") else { throw s.wrongType(expected: "an array of events", field: "events") }
                        var list: [JobEvent] = []
                        if try s.beginArray(field: "events") {
                            repeat {
                                guard list.count < maxEvents else {
                                    throw WireError.invalid("more than \(maxEvents) events in one batch", field: "events")
                                }
                                list.append(try JobEvent.decode(&s, path: "events[\(list.count)]"))
                            } while try s.nextMember(close: UInt8(ascii: "]"), field: "events")
                        }
                        events = list
                    default:
                        try s.skipValue(field: k)
                    }
                } while try s.nextMember(close: UInt8(ascii: "}"), field: "")
            }
            guard let events else { throw WireError.invalid("missing required field 'events'", field: "events") }
            return JobEventBatch(events: events)
        }
    }
}

/// The listener's answer to a posted event batch: `{"cancel":false}`; true once an operator cancelled.
public struct JobEventsResponse: Sendable, Equatable {
    public var cancel: Bool

    public init(cancel: Bool) {
        self.cancel = cancel
    }

    public func json() -> String {
        var w = JSONWriter()
        w.beginObject()
        w.key("cancel"); w.bool(cancel)
        w.endObject()
        return w.result
    }

    /// Decodes the answer; a missing `cancel` means false, a mistyped one is an error.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> JobEventsResponse {
        try JSONDocument.decode(bytes) { (s: inout JSONScanner) throws(WireError) -> JobEventsResponse in
            var cancel = false
            if try s.beginObject(field: "") {
                repeat {
                    let k = try s.key(field: "")
                    if k == "cancel" { cancel = try s.bool(field: "cancel") } else { try s.skipValue(field: k) }
                } while try s.nextMember(close: UInt8(ascii: "}"), field: "")
            }
            return JobEventsResponse(cancel: cancel)
        }
    }
}

/// A job the agent received but could not decode. It is refused by its id when the id was readable.
public struct UndecodableJob: Sendable, Equatable {
    /// The job's `id` when it was a valid id string.
    public var id: String?
    public var error: WireError

    public init(id: String?, error: WireError) {
        self.id = id
        self.error = error
    }
}

/// The answer of `GET /api/v1/jobs/next`: `{"jobs":[JobSpec,…]}`.
public struct JobList: Sendable, Equatable {
    public var jobs: [JobSpec]

    public init(jobs: [JobSpec]) {
        self.jobs = jobs
    }

    public func json() -> String {
        var w = JSONWriter()
        w.beginObject()
        w.key("jobs"); w.beginArray()
        for j in jobs { j.write(to: &w) }
        w.endArray()
        w.endObject()
        return w.result
    }

    /// Strict decode: any bad job fails the whole list, naming the field (`jobs[0].steps[1].kind`).
    /// A missing `jobs` key decodes as an empty list.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> JobList {
        try JSONDocument.decode(bytes) { (s: inout JSONScanner) throws(WireError) -> JobList in
            var jobs: [JobSpec] = []
            if try s.beginObject(field: "") {
                repeat {
                    let k = try s.key(field: "")
                    if k == "jobs" { jobs = try decodeJobs(&s).jobs } else { try s.skipValue(field: k) }
                } while try s.nextMember(close: UInt8(ascii: "}"), field: "")
            }
            return JobList(jobs: jobs)
        }
    }

    /// Agent side: reads the `jobs` array of a job list or of an ingest response, keeping every job
    /// that decodes and, for each that does not, its id (when readable) and the error, so the agent
    /// can refuse it by id instead of dropping it silently. Throws only for malformed JSON.
    public static func decodeLenient(_ bytes: [UInt8]) throws(WireError) -> (jobs: [JobSpec], undecodable: [UndecodableJob]) {
        try JSONDocument.decode(bytes) { (s: inout JSONScanner) throws(WireError) -> (jobs: [JobSpec], undecodable: [UndecodableJob]) in
            var result: (jobs: [JobSpec], undecodable: [UndecodableJob]) = ([], [])
            if try s.beginObject(field: "") {
                repeat {
                    let k = try s.key(field: "")
                    if k == "jobs" { result = try decodeJobs(&s, lenient: true) } else { try s.skipValue(field: k) }
                } while try s.nextMember(close: UInt8(ascii: "}"), field: "")
            }
            return result
        }
    }

    /// Reads a `jobs` array at the scanner's position (also used by ``IngestResponse/decode(_:)``).
    static func decodeJobs(_ s: inout JSONScanner, lenient: Bool = false) throws(WireError) -> (jobs: [JobSpec], undecodable: [UndecodableJob]) {
        if s.isNull() { try s.skipValue(field: "jobs"); return ([], []) }
        guard s.peek() == UInt8(ascii: "[") else { throw s.wrongType(expected: "an array of jobs", field: "jobs") }
        var jobs: [JobSpec] = []
        var bad: [UndecodableJob] = []
        guard try s.beginArray(field: "jobs") else { return (jobs, bad) }
        var i = 0
        repeat {
            let path = "jobs[\(i)]"
            _ = s.peek()
            let start = s.pos
            do throws(WireError) {
                jobs.append(try JobSpec.decode(&s, path: path))
            } catch {
                guard lenient, error.code == "invalid_field" else { throw error }
                s.pos = start
                bad.append(UndecodableJob(id: try readID(&s, path: path), error: error))
            }
            i += 1
        } while try s.nextMember(close: UInt8(ascii: "]"), field: "jobs")
        return (jobs, bad)
    }

    /// Skips one value, returning its `id` member when it is an object with a valid id.
    private static func readID(_ s: inout JSONScanner, path: String) throws(WireError) -> String? {
        guard s.peek() == UInt8(ascii: "{") else { try s.skipValue(field: path); return nil }
        var id: String?
        if try s.beginObject(field: path) {
            repeat {
                let k = try s.key(field: path)
                if k == "id", s.peek() == UInt8(ascii: "\"") {
                    let v = try s.string(field: path + ".id")
                    id = JobSpec.isValidID(v) ? v : nil
                } else {
                    try s.skipValue(field: path + "." + k)
                }
            } while try s.nextMember(close: UInt8(ascii: "}"), field: path)
        }
        return id
    }
}

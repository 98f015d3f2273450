#if canImport(Glibc)
import Glibc
#endif
import VigilWire

/// Runs the steps of one job in order and reports everything as ``JobEvent``s (spec section 3).
///
/// - Normal run: rollback steps are skipped; a failing check stops the job (`precondition_failed`),
///   a failing action or verify runs every rollback step (their failures are reported, not fatal) and
///   ends `failed`.
/// - Dry run: checks run for real; action and rollback steps of `vigil-step` run with `--dry-run`
///   appended; every other action/rollback and every verify is reported as `step_skipped` with its argv.
/// - `vigil-step NAME …` runs this agent's own step programs (`selfExecutable step NAME …`); any other
///   program must be named in `allowedPrograms` (the agent's `remediation.allow_programs`) and is an absolute
///   path or a bare name found in the fixed PATH directories. A validly signed job can do no more than that.
/// - Each step gets ``ProcessRunner/defaultEnvironment`` plus `policy`, stdin /dev/null, its own process
///   group; a timeout or cancellation kills the group.
///
/// Runs on the calling thread; `emit` and `isCancelled` are called on it too.
public final class JobExecutor {
    /// The `VIGIL_STEP_*` variables given to every step.
    public let policy: [String: String]
    /// The agent's own executable (for `vigil-step`).
    public let selfExecutable: String
    /// Programs other than `vigil-step` that jobs may run (absolute paths or bare names, as written in the step's
    /// argv). nil: any program (only the executor's own tests use that).
    public let allowedPrograms: Set<String>?
    private let log: AgentLog
    /// Output kept per step; the rest is discarded with a note.
    public var maxOutputBytes = 256 * 1024
    /// Largest `output` event.
    public var chunkBytes = 16 * 1024
    /// Output is sent at the latest this long after it was written.
    public var flushIntervalMs = 250

    /// Where bare program names are looked up, in order.
    public static let pathDirectories = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    /// The `argv[0]` that names the agent's own step programs.
    public static let stepProgram = "vigil-step"

    public init(policy: [String: String], selfExecutable: String, allowedPrograms: [String]?, log: AgentLog = AgentLog()) {
        self.policy = policy
        self.selfExecutable = selfExecutable
        self.allowedPrograms = allowedPrograms.map(Set.init)
        self.log = log
    }

    /// The environment of every step: the default one plus the policy variables.
    public var environment: [String] {
        ProcessRunner.defaultEnvironment + policy.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }

    /// This process's executable (`/proc/self/exe`), or "" when it cannot be read.
    public static func currentExecutable() -> String {
        var buf = [CChar](repeating: 0, count: 4097)
        let n = readlink("/proc/self/exe", &buf, 4096)
        guard n > 0 else { return "" }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// How a step will be started: the program to execute and its argv, or why it cannot be.
    public func resolve(_ step: JobStep, dryRun: Bool = false) -> Result<(executable: String, argv: [String]), JobExecutorProblem> {
        guard let program = step.argv.first, !program.isEmpty else { return .failure(JobExecutorProblem("empty argv")) }
        var rest = Array(step.argv.dropFirst())
        if dryRun { rest.append("--dry-run") }
        if program == Self.stepProgram {
            guard !selfExecutable.isEmpty else {
                return .failure(JobExecutorProblem("vigil-step: the agent's own executable is unknown"))
            }
            guard step.argv.count >= 2 else { return .failure(JobExecutorProblem("vigil-step needs a step program name")) }
            return .success((selfExecutable, [selfExecutable, "step"] + rest))
        }
        if let allowedPrograms, !allowedPrograms.contains(program) {
            return .failure(JobExecutorProblem("program '\(program)' is not allowed on this host: jobs run vigil-step programs, and only "
                + "the programs listed in remediation.allow_programs of the agent's config"))
        }
        if program.hasPrefix("/") {
            guard access(program, X_OK) == 0 else {
                return .failure(JobExecutorProblem("\(program): \(FileSystem.errorText(errno))"))
            }
            return .success((program, [program] + rest))
        }
        guard !program.contains("/") else {
            return .failure(JobExecutorProblem("program '\(program)' must be an absolute path, a bare name or vigil-step"))
        }
        for dir in Self.pathDirectories {
            let candidate = dir + "/" + program
            var st = stat()
            if stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return .success((candidate, [program] + rest))
            }
        }
        return .failure(JobExecutorProblem("program '\(program)' not found in \(Self.pathDirectories.joined(separator: ":"))"))
    }

    /// Runs `job` (already verified by the caller), emitting its events with `seq` from 1 and ending
    /// with `job_finished`; returns the outcome.
    public func run(_ job: JobSpec, emit: (JobEvent) -> Void, isCancelled: () -> Bool) -> JobOutcome {
        withoutActuallyEscaping(emit) { emit in
            withoutActuallyEscaping(isCancelled) { isCancelled in
                let run = Run(job: job, executor: self, emit: emit, isCancelled: isCancelled)
                let (outcome, summary) = run.execute()
                run.send(.jobFinished, text: summary, outcome: outcome)
                return outcome
            }
        }
    }

    /// The single `job_finished` event of a job that is not run at all.
    public static func refusal(_ reason: String, seq: Int = 1, at: Int64 = WallClock.nowMs()) -> JobEvent {
        JobEvent(seq: seq, at: at, type: .jobFinished, text: reason, outcome: .refused)
    }

    /// `argv` as an operator would type it: arguments with spaces or shell characters single-quoted.
    public static func displayCommand(_ argv: [String]) -> String {
        argv.map { a -> String in
            let safe = !a.isEmpty && a.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                    || "@%+=:,./_-".utf8.contains(b)
            }
            return safe ? a : "'" + a.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
        }.joined(separator: " ")
    }

    /// The length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence.
    static func completeUTF8Prefix(_ bytes: [UInt8]) -> Int {
        var i = bytes.count - 1
        var back = 0
        while i >= 0 && back < 4 {
            let c = bytes[i]
            if c & 0xC0 != 0x80 {
                let need = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1
                return i + need <= bytes.count ? bytes.count : i
            }
            i -= 1
            back += 1
        }
        return bytes.count
    }
}

/// Why a step cannot be started.
public struct JobExecutorProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One execution of a job: the event counter and the flow.
private final class Run {
    let job: JobSpec
    let executor: JobExecutor
    let emit: (JobEvent) -> Void
    let isCancelled: () -> Bool
    var seq = 0
    /// Steps that have a step_started, step_finished or step_skipped event.
    var reported = Set<Int>()

    init(job: JobSpec, executor: JobExecutor, emit: @escaping (JobEvent) -> Void, isCancelled: @escaping () -> Bool) {
        self.job = job
        self.executor = executor
        self.emit = emit
        self.isCancelled = isCancelled
    }

    func send(_ type: JobEventType, step: Int? = nil, text: String? = nil, exitCode: Int? = nil, signal: Int? = nil,
                       timedOut: Bool? = nil, durationMs: Int64? = nil, outcome: JobOutcome? = nil) {
        seq += 1
        if let step { reported.insert(step) }
        emit(JobEvent(seq: seq, at: WallClock.nowMs(), type: type, step: step, text: text, exitCode: exitCode, signal: signal,
                      timedOut: timedOut, durationMs: durationMs, outcome: outcome))
    }

    enum StepResult {
        case passed
        case failed(String)
        case cancelled
        case startError(String)

        var passed: Bool { if case .passed = self { return true } else { return false } }
    }

    /// What each step will do in this run: run (with its resolved program) or be skipped in a dry run.
    enum Plan {
        case run(executable: String, argv: [String])
        case skip(String)
    }

    func label(_ i: Int) -> String { "\(job.steps[i].kind.rawValue) '\(job.steps[i].name)'" }

    /// Resolves every step that may run; the first that cannot be started refuses the whole job.
    func plan() -> Result<[Plan], JobExecutorProblem> {
        var plans: [Plan] = []
        for (i, step) in job.steps.enumerated() {
            let mayRun: Bool
            let dryRunFlag: Bool
            if job.dryRun {
                switch step.kind {
                case .check: mayRun = true; dryRunFlag = false
                case .action, .rollback: mayRun = step.argv.first == JobExecutor.stepProgram; dryRunFlag = mayRun
                case .verify: mayRun = false; dryRunFlag = false
                }
            } else {
                mayRun = true
                dryRunFlag = false
            }
            if mayRun {
                switch executor.resolve(step, dryRun: dryRunFlag) {
                case .success(let r): plans.append(.run(executable: r.executable, argv: r.argv))
                case .failure(let p):
                    return .failure(JobExecutorProblem("step \(i + 1) \(label(i)): \(p.message); nothing ran"))
                }
            } else {
                var text = "dry run: would run " + JobExecutor.displayCommand(step.argv)
                if step.argv.first != JobExecutor.stepProgram, case .failure(let p) = executor.resolve(step) {
                    text += " (warning: \(p.message))"
                }
                plans.append(.skip(text))
            }
        }
        return .success(plans)
    }

    func execute() -> (JobOutcome, String) {
        let plans: [Plan]
        switch plan() {
        case .success(let p): plans = p
        case .failure(let problem): return (.refused, problem.message)
        }
        return job.dryRun ? dryRun(plans) : normalRun(plans)
    }

    func normalRun(_ plans: [Plan]) -> (JobOutcome, String) {
        var actionRan = false
        var stopped: (outcome: JobOutcome, summary: String)?
        var needRollback = false
        var passed = 0
        for (i, step) in job.steps.enumerated() where step.kind != .rollback {
            if isCancelled() {
                stopped = (.cancelled, "cancelled before \(label(i))")
                break
            }
            guard case .run(let exe, let argv) = plans[i] else { continue }
            let result = runStep(i, executable: exe, argv: argv)
            if step.kind == .action { actionRan = true }
            switch result {
            case .passed:
                passed += 1
                continue
            case .cancelled:
                stopped = (.cancelled, "cancelled during \(label(i))")
            case .failed(let why):
                if step.kind == .check && !actionRan {
                    stopped = (.preconditionFailed, "\(label(i)) failed (\(why)); nothing was changed")
                } else {
                    stopped = (.failed, "\(label(i)) failed (\(why))")
                    needRollback = true
                }
            case .startError(let why):
                stopped = (.error, "could not start \(label(i)): \(why)")
                needRollback = actionRan || step.kind != .check
            }
            break
        }
        guard var (outcome, summary) = stopped else {
            skipRest(plans, reason: "rollback not needed")
            return (.succeeded, "all \(passed) step\(passed == 1 ? "" : "s") passed")
        }
        if outcome == .cancelled || !needRollback {
            skipRest(plans, reason: outcome == .cancelled ? "not run: cancelled" : "not run: \(summary)")
            return (outcome, summary)
        }
        // Steps after the failure are not run; then every rollback, in order.
        for i in job.steps.indices where job.steps[i].kind != .rollback && !reported.contains(i) {
            send(.stepSkipped, step: i, text: "not run: \(label(firstFailed(plans))) failed")
        }
        let rollbacks = job.steps.indices.filter { job.steps[$0].kind == .rollback }
        var rolledBack = 0
        var rollbackFailures = 0
        for i in rollbacks {
            if isCancelled() {
                outcome = .cancelled
                summary += "; cancelled before \(label(i))"
                break
            }
            guard case .run(let exe, let argv) = plans[i] else { continue }
            let result = runStep(i, executable: exe, argv: argv)
            rolledBack += 1
            if case .cancelled = result {
                outcome = .cancelled
                summary += "; cancelled during \(label(i))"
                break
            }
            if !result.passed { rollbackFailures += 1 }
        }
        skipRest(plans, reason: "not run: cancelled")
        if rollbacks.isEmpty {
            summary += "; no rollback steps"
        } else if rolledBack > 0 {
            summary += "; ran \(rolledBack) rollback step\(rolledBack == 1 ? "" : "s")"
            if rollbackFailures > 0 { summary += " (\(rollbackFailures) failed)" }
        }
        return (outcome, summary)
    }

    /// The step whose failure ended the normal flow (the last reported non-rollback step).
    func firstFailed(_ plans: [Plan]) -> Int {
        job.steps.indices.last { job.steps[$0].kind != .rollback && reported.contains($0) } ?? 0
    }

    func dryRun(_ plans: [Plan]) -> (JobOutcome, String) {
        var checks = 0, rehearsed = 0, skipped = 0, problems = 0
        for i in job.steps.indices {
            if isCancelled() {
                skipRest(plans, reason: "not run: cancelled")
                return (.cancelled, "dry run cancelled before \(label(i))")
            }
            switch plans[i] {
            case .skip(let text):
                send(.stepSkipped, step: i, text: text)
                skipped += 1
            case .run(let exe, let argv):
                let result = runStep(i, executable: exe, argv: argv)
                switch result {
                case .passed:
                    if job.steps[i].kind == .check { checks += 1 } else { rehearsed += 1 }
                case .cancelled:
                    skipRest(plans, reason: "not run: cancelled")
                    return (.cancelled, "dry run cancelled during \(label(i))")
                case .startError(let why):
                    skipRest(plans, reason: "not run: could not start \(label(i))")
                    return (.error, "dry run: could not start \(label(i)): \(why)")
                case .failed(let why):
                    if job.steps[i].kind == .check {
                        skipRest(plans, reason: "not run: \(label(i)) failed")
                        return (.preconditionFailed, "dry run: \(label(i)) failed (\(why)); nothing would be changed")
                    }
                    rehearsed += 1
                    problems += 1
                }
            }
        }
        var summary = "dry run: \(checks) check\(checks == 1 ? "" : "s") passed, \(rehearsed) step\(rehearsed == 1 ? "" : "s") rehearsed"
        if problems > 0 { summary += " (\(problems) reported a problem)" }
        summary += ", \(skipped) skipped; nothing was changed"
        return (.succeeded, summary)
    }

    /// Reports every step without an event yet as skipped.
    func skipRest(_ plans: [Plan], reason: String) {
        for i in job.steps.indices where !reported.contains(i) {
            send(.stepSkipped, step: i, text: job.steps[i].kind == .rollback && reason == "rollback not needed" ? reason
                 : job.steps[i].kind == .rollback ? "rollback " + reason : reason)
        }
    }

    func runStep(_ i: Int, executable: String, argv: [String]) -> StepResult {
        let step = job.steps[i]
        send(.stepStarted, step: i, text: JobExecutor.displayCommand(argv))
        var carry: [UInt8] = []
        let started = WallClock.monotonicNs()
        do {
            let r = try ProcessRunner.stream(
                argv: argv, executable: executable, environment: executor.environment, timeoutMs: step.timeoutMs,
                maxOutputBytes: executor.maxOutputBytes, flushIntervalMs: executor.flushIntervalMs, chunkBytes: executor.chunkBytes,
                onOutput: { bytes in
                    carry.append(contentsOf: bytes)
                    let n = JobExecutor.completeUTF8Prefix(carry)
                    guard n > 0 else { return }
                    let text = String(decoding: carry[0..<n], as: UTF8.self)
                    carry.removeFirst(n)
                    self.send(.output, step: i, text: text)
                },
                isCancelled: isCancelled)
            if !carry.isEmpty { send(.output, step: i, text: String(decoding: carry, as: UTF8.self)) }
            if r.truncated {
                send(.output, step: i, text: "\n[vigil-agent: output cut at \(AgentLog.size(executor.maxOutputBytes)); the step wrote \(AgentLog.size(r.outputBytes))]\n")
            }
            send(.stepFinished, step: i, exitCode: r.exitCode.map { Int($0) }, signal: r.signal.map { Int($0) }, timedOut: r.timedOut,
                 durationMs: r.durationMs)
            if r.cancelled { return .cancelled }
            if r.succeeded { return .passed }
            if r.timedOut { return .failed("timed out after \(Agent.formatDuration(Int64(step.timeoutMs)))") }
            if let code = r.exitCode { return .failed("exit \(code)") }
            return .failed("killed by signal \(r.signal ?? 0)")
        } catch {
            send(.output, step: i, text: error.message + "\n")
            send(.stepFinished, step: i, timedOut: false, durationMs: Int64((WallClock.monotonicNs() - started) / 1_000_000))
            return .startError(error.message)
        }
    }

}

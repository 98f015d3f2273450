#if canImport(Glibc)
import Glibc
#endif
import VigilAgentCore

/// `memory-relieve [--cache-percent N=30] [--hog-percent M=50]`: drops the page cache when it is at least N% of
/// memory, and restarts the allow-listed unit of any process using at least M% (never a protected process).
public enum MemoryRelieve {
    public static let name = "memory-relieve"
    public static let usage = "memory-relieve [--cache-percent N=30] [--hog-percent M=50] [--dry-run]"

    static let options: [StepArguments.Option] = [
        .init("cache-percent", .single), .init("hog-percent", .single), .init("dry-run", .flag),
    ]

    public struct Request: Sendable, Equatable {
        public var cachePercent: Int
        public var hogPercent: Int
        public var dryRun: Bool

        public init(cachePercent: Int, hogPercent: Int, dryRun: Bool) {
            self.cachePercent = cachePercent
            self.hogPercent = hogPercent
            self.dryRun = dryRun
        }
    }

    public static func request(_ args: [String]) throws(StepError) -> Request {
        let parsed = try StepArguments.parse(args, options: options, program: name)
        let cache = try parsed.value("cache-percent").map { v throws(StepError) in
            try ArgumentValidator.integer(v, argument: "--cache-percent", range: 0...100)
        } ?? 30
        let hog = try parsed.value("hog-percent").map { v throws(StepError) in
            try ArgumentValidator.integer(v, argument: "--hog-percent", range: 1...100)
        } ?? 50
        return Request(cachePercent: cache, hogPercent: hog, dryRun: parsed.has("dry-run"))
    }

    /// What memory-relieve will do, decided without side effects.
    public struct Plan: Sendable, Equatable {
        public var dropCaches: Bool
        /// Units to restart, each with the process that made it a target.
        public var restarts: [(unit: String, process: ProcessEntry)]
        /// Hogs left alone, with the reason.
        public var refused: [(process: ProcessEntry, reason: String)]

        public static func == (a: Plan, b: Plan) -> Bool {
            a.dropCaches == b.dropCaches
                && a.restarts.map { "\($0.unit) \($0.process.pid)" } == b.restarts.map { "\($0.unit) \($0.process.pid)" }
                && a.refused.map { "\($0.process.pid) \($0.reason)" } == b.refused.map { "\($0.process.pid) \($0.reason)" }
        }
    }

    /// Decides: drop caches when cached ≥ N% of total; for every process with RSS ≥ M% of total, restart its
    /// unit if the process is not protected and the unit is allow-listed. `unitOf` maps a pid to its unit.
    public static func plan(memory: MemorySnapshot, processes: [ProcessEntry], request: Request, policy: StepPolicy,
                            protection: ProcessProtection, unitOf: (Int32) -> String?) -> Plan {
        var plan = Plan(dropCaches: memory.percent(memory.cached) >= Double(request.cachePercent), restarts: [], refused: [])
        let threshold = Double(request.hogPercent)
        // Never restart the unit this program, its ancestors, the agent or PID 1 run in.
        let ownPIDs = [protection.selfPID, 1] + protection.ancestors + (protection.agentPID.map { [$0] } ?? [])
        let ownUnits = Set(ownPIDs.compactMap(unitOf))
        for p in processes where !p.isZombie && memory.percent(p.rssBytes) >= threshold {
            if let why = protection.refusal(p) {
                plan.refused.append((p, why))
                continue
            }
            guard let unit = unitOf(p.pid) else {
                plan.refused.append((p, "not in a systemd service"))
                continue
            }
            guard !ownUnits.contains(unit) else {
                plan.refused.append((p, "\(unit) also runs this program, the agent or PID 1"))
                continue
            }
            guard policy.allowsUnit(unit) else {
                plan.refused.append((p, "\(unit) is not in allow_units"))
                continue
            }
            if !plan.restarts.contains(where: { $0.unit == unit }) { plan.restarts.append((unit, p)) }
        }
        return plan
    }

    /// sync, then writes "1" (page cache only) to the policy's drop_caches file.
    static func dropCaches(path: String) throws(StepError) {
        sync()
        let fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw .failed("cannot open \(StepText.shown(path)): \(FileSystem.errorText(errno))") }
        defer { close(fd) }
        let one: [UInt8] = [UInt8(ascii: "1")]
        let n = one.withUnsafeBytes { write(fd, $0.baseAddress, 1) }
        guard n == 1 else { throw .failed("cannot write to \(StepText.shown(path)): \(FileSystem.errorText(errno))") }
    }

    public static func run(_ args: [String], policy: StepPolicy, out: StepOutput) -> Int32 {
        let request: Request
        let memory: MemorySnapshot
        do {
            request = try self.request(args)
            memory = try MemorySnapshot.read()
        } catch {
            out.line("\(name): \(error.message)")
            return error.exitCode
        }
        let protection = ProcessProtection.current(policy: policy)
        let plan = self.plan(memory: memory, processes: ProcessEntry.scan(), request: request, policy: policy,
                             protection: protection, unitOf: { ProcessEntry.unit(pid: $0) })
        let cachePct = StepText.oneDecimal(memory.percent(memory.cached))
        var failed = false
        var actions: [String] = []
        if plan.dropCaches {
            if request.dryRun {
                out.line("cache is \(cachePct)% of memory (≥ \(request.cachePercent)%): would sync and write 1 to \(StepText.shown(policy.dropCaches))")
            } else {
                do {
                    try dropCaches(path: policy.dropCaches)
                    let after = (try? MemorySnapshot.read()).map { StepText.oneDecimal($0.percent($0.cached)) } ?? "?"
                    out.line("cache was \(cachePct)% of memory: dropped the page cache (now \(after)%)")
                    actions.append("dropped caches")
                } catch {
                    out.line(error.message)
                    failed = true
                }
            }
        } else {
            out.line("cache is \(cachePct)% of memory (< \(request.cachePercent)%): not dropped")
        }
        for (p, why) in plan.refused {
            out.line("hog \(p.label) uses \(StepText.oneDecimal(memory.percent(p.rssBytes)))%: left alone, \(why)")
            failed = true
        }
        for (unit, p) in plan.restarts {
            out.line("hog \(p.label) uses \(StepText.oneDecimal(memory.percent(p.rssBytes)))% in \(unit)")
            // The process may have exited or been replaced since the scan.
            guard request.dryRun || p.isStillRunning() else {
                out.line("  \(p.label) is gone; \(unit) not restarted")
                continue
            }
            if ServiceRestart.restart(unit: unit, dryRun: request.dryRun, policy: policy, out: out) {
                if !request.dryRun { actions.append("restarted \(unit)") }
            } else {
                failed = true
            }
        }
        if request.dryRun {
            out.line("\(name): dry run, would " + (plan.dropCaches ? "drop the page cache" : "leave the page cache")
                + " and restart \(plan.restarts.count) unit(s)")
            return 0
        }
        out.line("\(name): " + (actions.isEmpty ? "nothing done" : actions.joined(separator: ", "))
            + (failed ? " (memory pressure not fully relieved)" : ""))
        return failed ? 1 : 0
    }
}

#if canImport(Glibc)
import Glibc
#endif
import VigilWire

/// `zombie-reap [--wait-seconds N=2] [--grace-seconds G=5]`: SIGCHLD to each zombie's parent, wait, re-scan;
/// parents that still have zombies are terminated (SIGTERM, then SIGKILL after G s) only when their name is
/// in allow_parents and they are not protected. Exit 1 when any of the zombies found remains.
public enum ZombieReap {
    public static let name = "zombie-reap"
    public static let usage = "zombie-reap [--wait-seconds N=2] [--grace-seconds G=5] [--dry-run]"

    static let options: [StepArguments.Option] = [
        .init("wait-seconds", .single), .init("grace-seconds", .single), .init("dry-run", .flag),
    ]

    public struct Request: Sendable, Equatable {
        public var waitSeconds: Int
        public var graceSeconds: Int
        public var dryRun: Bool
    }

    public static func request(_ args: [String]) throws(StepError) -> Request {
        let parsed = try StepArguments.parse(args, options: options, program: name)
        let wait = try parsed.value("wait-seconds").map { v throws(StepError) in
            try ArgumentValidator.integer(v, argument: "--wait-seconds", range: 0...300)
        } ?? 2
        let grace = try parsed.value("grace-seconds").map { v throws(StepError) in
            try ArgumentValidator.integer(v, argument: "--grace-seconds", range: 0...300)
        } ?? 5
        return Request(waitSeconds: wait, graceSeconds: grace, dryRun: parsed.has("dry-run"))
    }

    /// Why `parent` may not be terminated, or nil when it may.
    public static func terminationRefusal(_ parent: ProcessEntry, policy: StepPolicy, protection: ProcessProtection) -> String? {
        if let why = protection.refusal(parent) { return why }
        guard policy.allowParents.contains(parent.comm) else {
            let allowed = policy.allowParents.isEmpty ? "none configured" : policy.allowParents.joined(separator: ", ")
            return "'\(StepText.shown(parent.comm))' is not in allow_parents (\(allowed))"
        }
        return nil
    }

    /// The zombies of `original` that are still zombies (same pid and start time) now.
    static func remaining(_ original: [ZombieReport.Entry]) -> [ZombieReport.Entry] {
        original.filter { e in
            guard let now = ProcessEntry.read(pid: e.zombie.pid) else { return false }
            return now.isZombie && now.startTime == e.zombie.startTime
        }
    }

    /// Polls until none of `original` remain or `seconds` pass.
    static func waitForReaping(_ original: [ZombieReport.Entry], seconds: Int) -> [ZombieReport.Entry] {
        let deadline = WallClock.monotonicNs() + UInt64(seconds) * 1_000_000_000
        var left = remaining(original)
        while !left.isEmpty && WallClock.monotonicNs() < deadline {
            usleep(100_000)
            left = remaining(left)
        }
        return left
    }

    /// Sends `signal` to `parent` if it is still the same process; false when it is gone.
    static func signal(_ parent: ProcessEntry, _ sig: Int32) -> Bool {
        guard parent.isStillRunning() else { return false }
        return kill(parent.pid, sig) == 0
    }

    public static func run(_ args: [String], policy: StepPolicy, out: StepOutput) -> Int32 {
        let request: Request
        do {
            request = try self.request(args)
        } catch {
            out.line("\(name): \(error.message)")
            return error.exitCode
        }
        let protection = ProcessProtection.current(policy: policy)
        let found = ZombieReport.zombies(in: ProcessEntry.scan())
        for e in found { out.line(ZombieReport.describe(e)) }
        if found.isEmpty {
            out.line("\(name): no zombies")
            return 0
        }
        // One entry per parent, in pid order.
        var parents: [ProcessEntry] = []
        for e in found {
            if let p = e.parent, !parents.contains(where: { $0.pid == p.pid }) { parents.append(p) }
        }
        if request.dryRun {
            for p in parents {
                if protection.refusal(p) == nil {
                    out.line("would send SIGCHLD to \(p.label)")
                }
                if let why = terminationRefusal(p, policy: policy, protection: protection) {
                    out.line("would not terminate \(p.label): \(why)")
                } else {
                    out.line("would terminate \(p.label) (SIGTERM, SIGKILL after \(request.graceSeconds) s) if its zombies remain")
                }
            }
            out.line("\(name): dry run, \(found.count) zombie(s) under \(parents.count) parent(s)")
            return 0
        }
        for p in parents {
            if let why = protection.refusal(p) {
                out.line("no SIGCHLD to \(p.label): \(why)")
            } else if signal(p, SIGCHLD) {
                out.line("sent SIGCHLD to \(p.label)")
            }
        }
        var left = waitForReaping(found, seconds: request.waitSeconds)
        let reapedByParents = found.count - left.count
        var terminated: [String] = []
        let stuckParents = parents.filter { p in left.contains { $0.zombie.ppid == p.pid } }
        for p in stuckParents {
            if let why = terminationRefusal(p, policy: policy, protection: protection) {
                out.line("\(p.label) still has zombies; not terminated: \(why)")
                continue
            }
            guard signal(p, SIGTERM) else {
                out.line("\(p.label) is already gone")
                continue
            }
            out.line("sent SIGTERM to \(p.label)")
            let deadline = WallClock.monotonicNs() + UInt64(request.graceSeconds) * 1_000_000_000
            while p.isStillRunning() && WallClock.monotonicNs() < deadline { usleep(100_000) }
            if p.isStillRunning() {
                if signal(p, SIGKILL) { out.line("sent SIGKILL to \(p.label) after \(request.graceSeconds) s") }
                let killDeadline = WallClock.monotonicNs() + 2_000_000_000
                while p.isStillRunning() && WallClock.monotonicNs() < killDeadline { usleep(50_000) }
            }
            terminated.append(p.label)
        }
        // Orphaned zombies are reaped by init (or a subreaper); give it the wait time again.
        if !terminated.isEmpty { left = waitForReaping(left, seconds: max(request.waitSeconds, 1)) }
        for e in left { out.line("still a zombie: \(ZombieReport.describe(e))") }
        out.line("\(name): \(found.count) zombie(s) found, \(reapedByParents) reaped after SIGCHLD, "
            + "\(terminated.count) parent(s) terminated, \(left.count) remaining")
        return left.isEmpty ? 0 : 1
    }
}

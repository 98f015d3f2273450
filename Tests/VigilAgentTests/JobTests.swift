import Foundation
import Glibc
import Testing
import VigilWire
@testable import VigilAgentCore
import VigilTestSupport

/// Helpers shared by the job tests: scripts in a temp directory, jobs, event collection.
enum JobFixture {
    static let hash = String(repeating: "0f", count: 32)

    /// Writes an executable `/bin/sh` script.
    /// Writes an executable script through a close-on-exec descriptor: a process another test starts meanwhile must
    /// not inherit the write descriptor, or running the script fails with "Text file busy" while that process lives.
    static func script(_ dir: TempDir, _ name: String, _ body: String) -> String {
        let path = dir.file(name)
        precondition(writeCloseOnExec(path, Array(("#!/bin/sh\n" + body + "\n").utf8)), "cannot create \(path)")
        chmod(path, 0o755)
        return path
    }

    static func step(_ name: String, _ kind: JobStepKind, _ argv: [String], timeoutMs: Int = 10_000) -> JobStep {
        JobStep(name: name, kind: kind, argv: argv, timeoutMs: timeoutMs)
    }

    static func job(_ steps: [JobStep], id: String = "run_1", host: String = "web-1", dryRun: Bool = false,
                    expiresInMs: Int64 = 600_000, key: [UInt8]? = nil) -> JobSpec {
        let now = WallClock.nowMs()
        var j = JobSpec(id: id, host: host, runbook: "test_book", runbookHash: hash, dryRun: dryRun, issuedAt: now + min(-1000, expiresInMs - 1000),
                        expiresAt: now + expiresInMs, steps: steps)
        if let key { j.signature = JobSignature.sign(j, key: key) }
        return j
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// Whether `pid` is gone (or a zombie waiting for init).
    static func isGone(_ pid: Int32) -> Bool {
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        let stat = read("/proc/\(pid)/stat")
        guard let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }

    /// Waits up to `seconds` (scaled, never less than 30 s) for `condition`, which every caller needs to hold: the
    /// wait ends as soon as it does, so only a loaded machine uses the floor.
    static func eventually(_ seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(TestTime.seconds(max(seconds, 30)))
        while Date() < end {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }
}

/// Runs jobs with a real ``JobExecutor`` and collects the events.
final class ExecutorRun {
    var events: [JobEvent] = []
    let executor: JobExecutor

    init(selfExecutable: String = "/nonexistent/vigil-agent", policy: [String: String] = ["VIGIL_STEP_ALLOW_DIRS": "/tmp"],
         allowedPrograms: [String]? = nil) {
        executor = JobExecutor(policy: policy, selfExecutable: selfExecutable, allowedPrograms: allowedPrograms, log: .silent)
    }

    func run(_ job: JobSpec, cancelWhen: @escaping () -> Bool = { false }) -> JobOutcome {
        executor.run(job, emit: { self.events.append($0) }, isCancelled: cancelWhen)
    }

    func of(_ type: JobEventType, step: Int? = nil) -> [JobEvent] {
        events.filter { $0.type == type && (step == nil || $0.step == step) }
    }

    func output(_ step: Int) -> String { of(.output, step: step).compactMap(\.text).joined() }

    var finished: JobEvent? { events.last.flatMap { $0.type == .jobFinished ? $0 : nil } }
}

@Suite struct JobExecutorTests {
    @Test func allStepsPassAndRollbacksAreNotNeeded() throws {
        let dir = TempDir()
        let action = JobFixture.script(dir, "action.sh", "echo acted > \(dir.file("acted")); echo done")
        let rollback = JobFixture.script(dir, "rollback.sh", "touch \(dir.file("rolled-back"))")
        let r = ExecutorRun()
        let outcome = r.run(JobFixture.job([
            JobFixture.step("look", .check, ["/bin/echo", "usage", "42%"]),
            JobFixture.step("act", .action, [action]),
            JobFixture.step("undo", .rollback, [rollback]),
            JobFixture.step("confirm", .verify, ["true"]),
        ]))
        #expect(outcome == .succeeded)
        #expect(JobFixture.exists(dir.file("acted")))
        #expect(!JobFixture.exists(dir.file("rolled-back")))
        #expect(r.events.map(\.seq) == Array(1...r.events.count))
        #expect(r.output(0) == "usage 42%\n")
        #expect(r.output(1) == "done\n")
        #expect(r.of(.stepFinished).map(\.step) == [0, 1, 3])
        #expect(r.of(.stepFinished).allSatisfy { $0.exitCode == 0 && $0.timedOut == false && $0.durationMs != nil })
        #expect(r.of(.stepSkipped, step: 2).first?.text == "rollback not needed")
        #expect(r.finished?.outcome == .succeeded)
        #expect(r.finished?.text == "all 3 steps passed")
        // A bare name is looked up in the fixed PATH directories; step_started shows the argv.
        #expect(r.of(.stepStarted, step: 3).first?.text == "true")
    }

    /// A validly signed job (say, signed by someone who stole a key) still runs only step programs and the programs
    /// the agent's own config allows (issue 15.2).
    @Test func onlyStepProgramsAndAllowedProgramsRun() {
        let dir = TempDir()
        let marker = dir.file("pwned")
        let strict = ExecutorRun(allowedPrograms: [])
        let outcome = strict.run(JobFixture.job([JobFixture.step("shell", .action, ["/bin/sh", "-c", "id > \(marker)"])]))
        #expect(outcome != .succeeded)
        #expect(!JobFixture.exists(marker))
        #expect(strict.events.contains { $0.text?.contains("not allowed on this host") == true }, "\(strict.events.map { $0.text ?? "" })")
        let listed = ExecutorRun(allowedPrograms: ["/bin/echo"])
        #expect(listed.run(JobFixture.job([JobFixture.step("echo", .check, ["/bin/echo", "ok"])])) == .succeeded)
        #expect(listed.run(JobFixture.job([JobFixture.step("true", .check, ["/bin/true"])])) != .succeeded)
    }

    @Test func failingCheckStopsBeforeAnyAction() {
        let dir = TempDir()
        let action = JobFixture.script(dir, "action.sh", "touch \(dir.file("acted"))")
        let r = ExecutorRun()
        let outcome = r.run(JobFixture.job([
            JobFixture.step("ok", .check, ["/bin/echo", "fine"]),
            JobFixture.step("full?", .check, ["/bin/false"]),
            JobFixture.step("act", .action, [action]),
            JobFixture.step("undo", .rollback, [action]),
        ]))
        #expect(outcome == .preconditionFailed)
        #expect(!JobFixture.exists(dir.file("acted")))
        #expect(r.of(.stepFinished, step: 1).first?.exitCode == 1)
        #expect(r.of(.stepStarted, step: 2).isEmpty)
        #expect(r.of(.stepSkipped).map(\.step) == [2, 3])
        #expect(r.finished?.text == "check 'full?' failed (exit 1); nothing was changed")
    }

    @Test func failingActionRunsTheRollbacks() {
        let dir = TempDir()
        let rollback = JobFixture.script(dir, "rollback.sh", "echo rolling back; touch \(dir.file("rolled-back")); exit 3")
        let second = JobFixture.script(dir, "rollback2.sh", "touch \(dir.file("rolled-back-2"))")
        let r = ExecutorRun()
        let outcome = r.run(JobFixture.job([
            JobFixture.step("look", .check, ["/bin/echo"]),
            JobFixture.step("undo", .rollback, [rollback]),
            JobFixture.step("act", .action, ["/bin/sh", "-c", "echo oops >&2; exit 2"]),
            JobFixture.step("confirm", .verify, ["/bin/true"]),
            JobFixture.step("undo 2", .rollback, [second]),
        ]))
        #expect(outcome == .failed)
        #expect(JobFixture.exists(dir.file("rolled-back")))
        #expect(JobFixture.exists(dir.file("rolled-back-2")))
        #expect(r.output(2) == "oops\n")
        #expect(r.of(.stepFinished, step: 2).first?.exitCode == 2)
        #expect(r.of(.stepSkipped).map(\.step) == [3])
        // Rollbacks run in order after the failure, and a failing rollback does not stop the next.
        let started = r.of(.stepStarted).map(\.step)
        #expect(started == [0, 2, 1, 4])
        #expect(r.of(.stepFinished, step: 1).first?.exitCode == 3)
        #expect(r.finished?.text == "action 'act' failed (exit 2); ran 2 rollback steps (1 failed)")
    }

    @Test func failingVerifyRunsTheRollbacks() {
        let dir = TempDir()
        let rollback = JobFixture.script(dir, "rollback.sh", "touch \(dir.file("rolled-back"))")
        let r = ExecutorRun()
        let outcome = r.run(JobFixture.job([
            JobFixture.step("act", .action, ["/bin/true"]),
            JobFixture.step("confirm", .verify, ["/bin/false"]),
            JobFixture.step("undo", .rollback, [rollback]),
        ]))
        #expect(outcome == .failed)
        #expect(JobFixture.exists(dir.file("rolled-back")))
        #expect(r.finished?.outcome == .failed)
    }

    @Test func dryRunRunsChecksRehearsesStepProgramsAndSkipsTheRest() {
        let dir = TempDir()
        // Stands in for the agent binary: records how `vigil-step` was invoked.
        let me = JobFixture.script(dir, "vigil-agent", "echo \"$@\" >> \(dir.file("self-args")); echo would free 12 MiB")
        let action = JobFixture.script(dir, "action.sh", "touch \(dir.file("acted"))")
        let check = JobFixture.script(dir, "check.sh", "touch \(dir.file("checked")); echo 81%")
        let r = ExecutorRun(selfExecutable: me)
        let outcome = r.run(JobFixture.job([
            JobFixture.step("usage", .check, [check]),
            JobFixture.step("clean", .action, ["vigil-step", "disk-cleanup", "--dir", "/tmp", "--older-than-days", "7"]),
            JobFixture.step("restart", .action, [action, "nginx service"]),
            JobFixture.step("confirm", .verify, ["vigil-step", "disk-usage", "--path", "/"]),
            JobFixture.step("undo", .rollback, ["vigil-step", "service-restart", "--unit", "nginx.service"]),
        ], dryRun: true))
        #expect(outcome == .succeeded)
        #expect(JobFixture.exists(dir.file("checked")))
        #expect(!JobFixture.exists(dir.file("acted")))
        #expect(JobFixture.read(dir.file("self-args")) == "step disk-cleanup --dir /tmp --older-than-days 7 --dry-run\nstep service-restart --unit nginx.service --dry-run\n")
        #expect(r.output(1) == "would free 12 MiB\n")
        #expect(r.of(.stepSkipped, step: 2).first?.text == "dry run: would run \(action) 'nginx service'")
        #expect(r.of(.stepSkipped, step: 3).first?.text == "dry run: would run vigil-step disk-usage --path /")
        #expect(r.of(.stepStarted).map(\.step) == [0, 1, 4])
        #expect(r.finished?.text == "dry run: 1 check passed, 2 steps rehearsed, 2 skipped; nothing was changed")
    }

    @Test func dryRunStillStopsOnAFailingCheck() {
        let r = ExecutorRun()
        let outcome = r.run(JobFixture.job([
            JobFixture.step("usage", .check, ["/bin/false"]),
            JobFixture.step("restart", .action, ["/bin/true"]),
        ], dryRun: true))
        #expect(outcome == .preconditionFailed)
    }

    @Test func timeoutKillsTheStep() {
        let r = ExecutorRun()
        let started = Date()
        let outcome = r.run(JobFixture.job([JobFixture.step("slow", .action, ["/bin/sleep", "30"], timeoutMs: 300)]))
        #expect(outcome == .failed)
        #expect(Date().timeIntervalSince(started) < 15, "the 30 s step was killed")
        let fin = r.of(.stepFinished).first
        #expect(fin?.timedOut == true)
        #expect(fin?.signal == 9)
        #expect(fin?.exitCode == nil)
        #expect(r.finished?.text?.contains("timed out after 300ms") == true)
    }

    @Test func cancelKillsTheRunningProcessGroup() throws {
        let dir = TempDir()
        let pids = dir.file("pids")
        let s = JobFixture.script(dir, "slow.sh", "/bin/sleep 30 & echo $$ $! > \(pids).tmp; mv \(pids).tmp \(pids); echo started; wait")
        let rollback = JobFixture.script(dir, "rollback.sh", "touch \(dir.file("rolled-back"))")
        let r = ExecutorRun()
        let started = Date()
        let outcome = r.run(JobFixture.job([
            JobFixture.step("slow", .action, [s]),
            JobFixture.step("next", .action, ["/bin/true"]),
            JobFixture.step("undo", .rollback, [rollback]),
        ]), cancelWhen: { JobFixture.exists(pids) })
        #expect(outcome == .cancelled)
        #expect(Date().timeIntervalSince(started) < 15, "the 30 s step was killed")
        let ids = JobFixture.read(pids).split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(ids.count == 2)
        for pid in ids { #expect(JobFixture.eventually(2) { JobFixture.isGone(pid) }, "pid \(pid) still running") }
        #expect(r.of(.stepFinished, step: 0).first?.signal == 9)
        #expect(r.of(.stepStarted, step: 1).isEmpty)
        #expect(!JobFixture.exists(dir.file("rolled-back")))
        #expect(r.finished?.outcome == .cancelled)
        #expect(r.finished?.text == "cancelled during action 'slow'")
    }

    @Test func outputIsStreamedInOrderWhileTheStepRuns() {
        let dir = TempDir()
        let s = JobFixture.script(dir, "talk.sh", "for i in 1 2 3 4; do echo line$i; echo err$i >&2; sleep 0.3; done")
        let r = ExecutorRun()
        var seenWhileRunning = 0
        _ = r.executor.run(JobFixture.job([JobFixture.step("talk", .check, [s])]), emit: { e in
            r.events.append(e)
        }, isCancelled: {
            seenWhileRunning = max(seenWhileRunning, r.of(.output).count)
            return false
        })
        #expect(r.output(0) == "line1\nerr1\nline2\nerr2\nline3\nerr3\nline4\nerr4\n")
        #expect(r.of(.output).count >= 3)
        #expect(seenWhileRunning >= 3)
        // Every output event comes between the step's start and finish, at increasing times.
        let outs = r.of(.output)
        let start = r.of(.stepStarted)[0], end = r.of(.stepFinished)[0]
        #expect(outs.allSatisfy { $0.seq > start.seq && $0.seq < end.seq })
        #expect(zip(outs, outs.dropFirst()).allSatisfy { $0.at <= $1.at })
        #expect(outs.last!.at - outs.first!.at >= 500)
    }

    @Test func outputIsCappedPerStep() {
        let r = ExecutorRun()
        r.executor.maxOutputBytes = 1000
        r.executor.chunkBytes = 300
        let outcome = r.run(JobFixture.job([JobFixture.step("loud", .check, ["/bin/sh", "-c", "head -c 50000 /dev/zero | tr '\\0' x; echo; echo é"])]))
        #expect(outcome == .succeeded)
        let chunks = r.of(.output).compactMap(\.text)
        #expect(chunks.dropLast().allSatisfy { $0.utf8.count <= 300 })
        #expect(chunks.dropLast().joined() == String(repeating: "x", count: 1000))
        #expect(chunks.last?.contains("output cut at 1000 B; the step wrote 49 KiB") == true)
    }

    @Test func multibyteCharactersAreNotSplitAcrossEvents() {
        let r = ExecutorRun()
        r.executor.chunkBytes = 5
        _ = r.run(JobFixture.job([JobFixture.step("utf8", .check, ["/bin/echo", "ééééé😀😀"])]))
        #expect(r.of(.output).allSatisfy { !($0.text ?? "").contains("\u{FFFD}") })
        #expect(r.output(0) == "ééééé😀😀\n")
    }

    @Test func unknownProgramsRefuseTheJobBeforeAnythingRuns() {
        let dir = TempDir()
        let check = JobFixture.script(dir, "check.sh", "touch \(dir.file("checked"))")
        for argv in [["no-such-program-vigil"], ["relative/path"], ["/nonexistent/bin/x"], ["vigil-step"]] {
            let r = ExecutorRun()
            let outcome = r.run(JobFixture.job([JobFixture.step("look", .check, [check]), JobFixture.step("act", .action, argv)]))
            #expect(outcome == .refused, "\(argv)")
            #expect(r.events.count == 1)
            #expect(r.finished?.text?.hasPrefix("step 2 action 'act': ") == true)
            #expect(r.finished?.text?.hasSuffix("; nothing ran") == true)
        }
        #expect(!JobFixture.exists(dir.file("checked")))
    }

    @Test func childEnvironmentIsTheFixedOneAndThePolicy() {
        let r = ExecutorRun(policy: ["VIGIL_STEP_ALLOW_DIRS": "/tmp:/var/tmp", "VIGIL_STEP_AGENT_PID": "42"])
        _ = r.run(JobFixture.job([JobFixture.step("env", .check, ["/usr/bin/env"])]))
        let lines = Set(r.output(0).split(separator: "\n").map(String.init))
        #expect(lines == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C",
                          "VIGIL_STEP_AGENT_PID=42", "VIGIL_STEP_ALLOW_DIRS=/tmp:/var/tmp"])
    }

    @Test func displayCommandQuotesLikeAShell() {
        #expect(JobExecutor.displayCommand(["/usr/bin/systemctl", "restart", "nginx.service"]) == "/usr/bin/systemctl restart nginx.service")
        #expect(JobExecutor.displayCommand(["echo", "a b", "it's", ""]) == "echo 'a b' 'it'\\''s' ''")
    }

    @Test func streamReportsPidAndKeepsRunWorking() throws {
        var pid: Int32 = 0
        var chunks: [[UInt8]] = []
        let r = try ProcessRunner.stream(argv: ["/bin/sh", "-c", "echo a; exit 4"], timeoutMs: 5000, onStart: { pid = $0 },
                                         onOutput: { chunks.append($0) })
        #expect(pid > 0 && r.pid == pid)
        #expect(r.exitCode == 4 && !r.succeeded)
        #expect(chunks.flatMap { $0 } == Array("a\n".utf8))
        let old = try ProcessRunner.run(["/bin/sh", "-c", "echo out; exec sleep 60"], timeoutMs: TestTime.ms(2000))
        #expect(old.timedOut && old.signal == SIGKILL && old.text == "out")
        #expect(throws: AgentError.self) { try ProcessRunner.stream(argv: ["/nonexistent"], timeoutMs: 100, onOutput: { _ in }) }
    }
}

@Suite struct RemediationConfigTests {
    @Test func sectionParsesIntoThePolicy() throws {
        let c = try AgentConfig.parse("""
            remediation:
              enabled: true
              allow_dirs: [/tmp, /var/tmp/, /var/cache/apt/archives]
              log_dirs: [/var/log/nginx]
              allow_units: [nginx.service]
              allow_parents: [php-fpm]
              protected_processes: [sshd, systemd, init, vigil-agent, vigil, postgres]
              systemctl: /bin/systemctl
              journalctl: /bin/journalctl
              logrotate: /usr/bin/logrotate
              ss: /sbin/ss
              drop_caches: /tmp/drop
            """, file: "agent.yaml")
        let p = c.remediationPolicy
        #expect(p.enabled && c.remediation)
        #expect(p.allowDirs == ["/tmp", "/var/tmp", "/var/cache/apt/archives"])
        #expect(p.protectedProcesses.last == "postgres")
        let env = p.environment(agentPID: 77)
        #expect(env == [
            "VIGIL_STEP_ALLOW_DIRS": "/tmp:/var/tmp:/var/cache/apt/archives", "VIGIL_STEP_LOG_DIRS": "/var/log/nginx",
            "VIGIL_STEP_ALLOW_UNITS": "nginx.service", "VIGIL_STEP_ALLOW_PARENTS": "php-fpm",
            "VIGIL_STEP_PROTECTED": "sshd,systemd,init,vigil-agent,vigil,postgres", "VIGIL_STEP_SYSTEMCTL": "/bin/systemctl",
            "VIGIL_STEP_JOURNALCTL": "/bin/journalctl", "VIGIL_STEP_LOGROTATE": "/usr/bin/logrotate", "VIGIL_STEP_SS": "/sbin/ss",
            "VIGIL_STEP_DROP_CACHES": "/tmp/drop", "VIGIL_STEP_AGENT_PID": "77",
        ])
    }

    @Test func defaultsMatchTheStepProgramDefaults() throws {
        let env = AgentConfig().remediationPolicy.environment(agentPID: 1)
        #expect(env["VIGIL_STEP_ALLOW_DIRS"] == "/tmp:/var/tmp")
        #expect(env["VIGIL_STEP_LOG_DIRS"] == "")
        #expect(env["VIGIL_STEP_PROTECTED"] == "sshd,systemd,init,vigil-agent,vigil")
        #expect(env["VIGIL_STEP_LOGROTATE"] == "/usr/sbin/logrotate")
        #expect(try AgentConfig.parse("remediation: false\n", file: "a.yaml").remediation == false)
        #expect(try AgentConfig.parse("remediation:\n  enabled: false\n", file: "a.yaml").remediation == false)
        #expect(try AgentConfig.parse("remediation:\n", file: "a.yaml").remediation)
    }

    @Test(arguments: [
        ("remediation:\n  enabled: maybe\n", "agent.yaml:2:12: remediation.enabled must be true or false"),
        ("remediation:\n  allow_dirs: [/tmp, var/tmp]\n", "agent.yaml:2:22: remediation.allow_dirs: 'var/tmp' must be an absolute path"),
        ("remediation:\n  allow_dirs: [/]\n", "agent.yaml:2:16: remediation.allow_dirs: '/' must not be / (the whole filesystem)"),
        ("remediation:\n  log_dirs: [/var/log/../etc]\n", "agent.yaml:2:14: remediation.log_dirs: '/var/log/../etc' must not contain . or .. components"),
        ("remediation:\n  log_dirs: [\"/a:b\"]\n", "agent.yaml:2:14: remediation.log_dirs: '/a:b' must not contain ':'"),
        ("remediation:\n  allow_units: [nginx.service, \"rm -rf\"]\n", "agent.yaml:2:32: remediation.allow_units: 'rm -rf' is not a unit name ([A-Za-z0-9@._:-]+)"),
        ("remediation:\n  allow_parents: [\"a,b\"]\n", "agent.yaml:2:19: remediation.allow_parents: 'a,b' must not contain ',' or control characters"),
        ("remediation:\n  systemctl: systemctl\n", "agent.yaml:2:14: remediation.systemctl must be an absolute path"),
        ("remediation:\n  allow_dir: [/tmp]\n", "agent.yaml:2:3: unknown key 'allow_dir' in remediation (expected one of: enabled, allow_dirs, log_dirs, allow_units, allow_parents, allow_programs, protected_processes, systemctl, journalctl, logrotate, ss, drop_caches)"),
        ("remediation: [1]\n", "agent.yaml:1:14: remediation must be true, false or a mapping (enabled, allow_dirs, log_dirs, ...)"),
        ("remediation:\n  allow_dirs: /tmp\n", "agent.yaml:2:15: remediation.allow_dirs must be a list (lines starting with '- ')"),
    ])
    func errorsNameFileLineAndColumn(yaml: String, message: String) {
        do {
            _ = try AgentConfig.parse(yaml, file: "agent.yaml")
            Issue.record("parsed \(yaml)")
        } catch {
            #expect(error.message == message)
        }
    }

    @Test func noRemediationFlagDisables() throws {
        var c = try AgentConfig.parse("remediation:\n  enabled: true\n  allow_units: [nginx.service]\n", file: "a.yaml")
        try AgentOptions.parse(["--no-remediation"]).apply(to: &c)
        #expect(!c.remediation)
        #expect(c.remediationPolicy.allowUnits == ["nginx.service"])
        #expect(AgentOptions.usage.contains("--no-remediation"))
        #expect(AgentOptions.usage.contains("vigil-agent step NAME"))
        #expect(!JobWorker.Settings(config: c, host: "web-1").enabled)
    }
}

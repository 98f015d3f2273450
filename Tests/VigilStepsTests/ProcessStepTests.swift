import Foundation
import Glibc
import VigilSteps
import XCTest

final class ProcessStepTests: XCTestCase {
    // MARK: zombies

    /// A parent with a unique name whose child is a zombie it never reaps: `sh -c 'sleep 0 & exec PARENT 60'`
    /// where PARENT is a copy of sleep (sleep never waits for children).
    private func makeZombie(_ t: TempTree) throws -> (parent: pid_t, zombie: pid_t, comm: String) {
        let comm = "vzp\(getpid() % 100_000)\(Int.random(in: 100...999))"
        let sleepPath = ["/bin/sleep", "/usr/bin/sleep"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let copy = t.at(comm)
        try FileManager.default.copyItem(atPath: try XCTUnwrap(sleepPath), toPath: copy)
        let parent = spawn(["/bin/sh", "-c", "sleep 0 & exec \(copy) 60"])
        var zombie: pid_t = 0
        let found = waitUntil(seconds: 10) {
            guard processState(parent) != nil,
                  (try? String(contentsOfFile: "/proc/\(parent)/comm", encoding: .utf8)) == comm + "\n" else { return false }
            for p in ProcessEntry.scan() where p.ppid == parent && p.isZombie {
                zombie = p.pid
                return true
            }
            return false
        }
        XCTAssertTrue(found, "no zombie appeared under \(parent)")
        return (parent, zombie, comm)
    }

    private func reap(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    func testZombieReportListsARealZombieWithItsParent() throws {
        let t = TempTree("zombie")
        let z = try makeZombie(t)
        defer { kill(z.parent, SIGKILL); _ = reap(z.parent) }
        let r = step(["zombie-report"])
        XCTAssertEqual(r.code, 0)
        XCTAssertTrue(r.output.contains("zombie \(z.zombie) (sleep) parent \(z.parent) (\(z.comm))"), r.output)
    }

    func testZombieReapTerminatesAnAllowListedParent() throws {
        let t = TempTree("zombie")
        let z = try makeZombie(t)
        let foreignBefore = ProcessEntry.scan().filter { $0.isZombie && $0.pid != z.zombie }.map(\.pid)
        let r = step(["zombie-reap", "--wait-seconds", "10", "--grace-seconds", "3"],
                     env: ["VIGIL_STEP_ALLOW_PARENTS": z.comm])
        // The parent got SIGTERM (sleep dies of it) and is now our zombie child: reap it and check how it ended.
        let status = reap(z.parent)
        XCTAssertEqual(status & 0x7f, SIGTERM, r.output)
        XCTAssertTrue(r.output.contains("sent SIGCHLD to \(z.parent) (\(z.comm))"), r.output)
        XCTAssertTrue(r.output.contains("sent SIGTERM to \(z.parent) (\(z.comm))"), r.output)
        XCTAssertTrue(waitUntil(seconds: 10) { processState(z.zombie) != "Z" }, "zombie \(z.zombie) still there")
        XCTAssertFalse(r.output.contains("still a zombie: zombie \(z.zombie) "), r.output)
        if foreignBefore.isEmpty {
            XCTAssertEqual(r.code, 0, r.output)
        } else {
            // Other people's zombies on this machine may remain (their parents are not allow-listed).
            XCTAssertTrue(r.code == 0 || r.output.contains("still a zombie"), r.output)
        }
    }

    func testZombieReapLeavesAParentNotAllowListed() throws {
        let t = TempTree("zombie")
        let z = try makeZombie(t)
        defer { kill(z.parent, SIGKILL); _ = reap(z.parent) }
        let r = step(["zombie-reap", "--wait-seconds", "0", "--grace-seconds", "0"],
                     env: ["VIGIL_STEP_ALLOW_PARENTS": "php-fpm"])
        XCTAssertEqual(r.code, 1, r.output)
        XCTAssertTrue(r.output.contains("\(z.parent) (\(z.comm)) still has zombies; not terminated: '\(z.comm)' is not in allow_parents"), r.output)
        XCTAssertEqual(processState(z.parent), "S", "the parent must still be alive")
        XCTAssertEqual(processState(z.zombie), "Z")
    }

    func testZombieReapNeverTerminatesAProtectedParentEvenIfAllowListed() throws {
        let t = TempTree("zombie")
        let z = try makeZombie(t)
        defer { kill(z.parent, SIGKILL); _ = reap(z.parent) }
        let r = step(["zombie-reap", "--wait-seconds", "0", "--grace-seconds", "0"],
                     env: ["VIGIL_STEP_ALLOW_PARENTS": z.comm, "VIGIL_STEP_PROTECTED": z.comm])
        XCTAssertEqual(r.code, 1, r.output)
        XCTAssertTrue(r.output.contains("is a protected process"), r.output)
        XCTAssertEqual(processState(z.parent), "S")
        // Same with the agent pid pointing at it.
        let r2 = step(["zombie-reap", "--wait-seconds", "0", "--grace-seconds", "0"],
                      env: ["VIGIL_STEP_ALLOW_PARENTS": z.comm, "VIGIL_STEP_AGENT_PID": "\(z.parent)"])
        XCTAssertEqual(r2.code, 1, r2.output)
        XCTAssertTrue(r2.output.contains("no SIGCHLD to \(z.parent) (\(z.comm)): the agent"), r2.output)
        XCTAssertEqual(processState(z.parent), "S")
    }

    func testZombieReapDryRunSignalsNothing() throws {
        let t = TempTree("zombie")
        let z = try makeZombie(t)
        defer { kill(z.parent, SIGKILL); _ = reap(z.parent) }
        let r = step(["zombie-reap", "--dry-run"], env: ["VIGIL_STEP_ALLOW_PARENTS": z.comm])
        XCTAssertEqual(r.code, 0, r.output)
        XCTAssertTrue(r.output.contains("would terminate \(z.parent) (\(z.comm))"), r.output)
        usleep(300_000)
        XCTAssertEqual(processState(z.parent), "S")
        XCTAssertEqual(processState(z.zombie), "Z")
    }

    func testProtectionRules() {
        let protection = ProcessProtection(selfPID: 500, ancestors: [400, 300], agentPID: 300,
                                           protectedNames: StepPolicy.builtInProtected)
        func p(_ pid: Int32, _ comm: String, ppid: Int32 = 100, kthread: Bool = false) -> ProcessEntry {
            ProcessEntry(pid: pid, ppid: ppid, comm: comm, state: "S", startTime: 1, rssBytes: 1, isKernelThread: kthread)
        }
        XCTAssertNotNil(protection.refusal(p(1, "whatever")))
        XCTAssertNotNil(protection.refusal(p(500, "me")))
        XCTAssertEqual(protection.refusal(p(400, "bash")), "this program's parent")
        XCTAssertEqual(protection.refusal(p(300, "x")), "the agent")
        XCTAssertNotNil(protection.refusal(p(77, "sshd")))
        XCTAssertNotNil(protection.refusal(p(78, "kworker/0:1", ppid: 2, kthread: true)))
        XCTAssertNil(protection.refusal(p(79, "php-fpm")))
        let live = ProcessProtection.current(policy: StepPolicy(environment: [:]))
        XCTAssertEqual(live.selfPID, getpid())
        XCTAssertEqual(live.ancestors.first, getppid())
    }

    func testParsesProcStatWithAwkwardNames() {
        let text = "1234 (a) b (c)) Z 99 1234 1234 0 -1 4194564 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0 18446744073709551615 0 0"
        let e = ProcessEntry.parse(text, pageSize: 4096)
        XCTAssertEqual(e?.comm, "a) b (c)")
        XCTAssertEqual(e?.state, "Z")
        XCTAssertEqual(e?.ppid, 99)
        XCTAssertEqual(e?.startTime, 777)
        XCTAssertEqual(ProcessEntry.unit(fromCgroup: "0::/system.slice/nginx.service\n"), "nginx.service")
        XCTAssertEqual(ProcessEntry.unit(fromCgroup: "12:memory:/\n1:name=systemd:/system.slice/php-fpm.service/pool\n0::/\n"),
                       "php-fpm.service")
        XCTAssertNil(ProcessEntry.unit(fromCgroup: "0::/user.slice/user-0.slice/session-3.scope\n"))
    }

    // MARK: memory

    func testMemoryReportListsRealProcesses() {
        let r = step(["memory-report", "--top", "1000"])
        XCTAssertEqual(r.code, 0, r.output)
        XCTAssertTrue(r.output.hasPrefix("MemTotal "), r.output)
        XCTAssertTrue(r.output.contains("  pid \(getpid()) "), "this test process should be listed: \(r.output)")
        let top = step(["memory-report", "--top", "2"])
        let rows = top.output.split(separator: "\n").filter { $0.hasPrefix("  pid ") }
        XCTAssertEqual(rows.count, 2, top.output)
        XCTAssertEqual(step(["memory-report", "--top", "0"]).code, 2)
    }

    func testMemoryRelieveDropsCachesWhenOverThreshold() throws {
        let t = TempTree("memory")
        let drop = t.write("drop_caches", "")
        let (standIn, env0) = systemctlStandIn(t)
        var env = env0
        env["VIGIL_STEP_DROP_CACHES"] = drop
        let r = step(["memory-relieve", "--cache-percent", "0", "--hog-percent", "100"], env: env)
        XCTAssertEqual(r.code, 0, r.output)
        XCTAssertEqual(String(decoding: contents(drop) ?? [], as: UTF8.self), "1")
        XCTAssertFalse(exists(standIn), "no unit restarted")

        let untouched = t.write("drop2", "")
        env["VIGIL_STEP_DROP_CACHES"] = untouched
        let dry = step(["memory-relieve", "--cache-percent", "0", "--dry-run"], env: env)
        XCTAssertEqual(dry.code, 0, dry.output)
        XCTAssertEqual(contents(untouched), [], "dry run writes nothing")
        XCTAssertTrue(dry.output.contains("would sync and write 1 to \(untouched)"), dry.output)
    }

    func testMemoryRelieveNeverTargetsProtectedProcesses() throws {
        let t = TempTree("memory")
        let (argvLog, env0) = systemctlStandIn(t)
        var env = env0
        env["VIGIL_STEP_DROP_CACHES"] = t.write("drop_caches", "")
        // Every process is a "hog" at 1%; whatever units exist here, none may be restarted for a protected pid.
        let r = step(["memory-relieve", "--cache-percent", "100", "--hog-percent", "1"], env: env)
        XCTAssertNotEqual(r.code, 2, r.output)
        let restarted = (try? String(contentsOfFile: argvLog, encoding: .utf8)) ?? ""
        let protection = ProcessProtection.current(policy: StepPolicy(environment: env))
        for p in ProcessEntry.scan() where protection.refusal(p) != nil {
            if let unit = ProcessEntry.unit(pid: p.pid), restarted.contains(unit) {
                XCTFail("restarted \(unit) of protected \(p.label)")
            }
        }

        // And the decision itself, with synthetic processes: PID 1, self, parent, agent, sshd each use 90%.
        let memory = MemorySnapshot(total: 1000, available: 100, cached: 100)
        let policy = StepPolicy(environment: ["VIGIL_STEP_ALLOW_UNITS": "a.service,b.service,c.service,d.service,e.service,web.service"])
        let guardRules = ProcessProtection(selfPID: 50, ancestors: [40], agentPID: 30, protectedNames: policy.protectedNames)
        func proc(_ pid: Int32, _ comm: String, rss: Int64) -> ProcessEntry {
            ProcessEntry(pid: pid, ppid: 1, comm: comm, state: "S", startTime: 1, rssBytes: rss, isKernelThread: false)
        }
        let procs = [proc(1, "init", rss: 900), proc(50, "vigil-agent", rss: 900), proc(40, "bash", rss: 900),
                     proc(30, "agent", rss: 900), proc(20, "sshd", rss: 900), proc(60, "nginx", rss: 600),
                     proc(61, "nginx", rss: 550), proc(70, "small", rss: 10), proc(80, "java", rss: 700),
                     proc(90, "helper", rss: 800)]
        let units: [Int32: String] = [1: "a.service", 50: "b.service", 40: "c.service", 30: "d.service", 20: "e.service",
                                      60: "web.service", 61: "web.service", 70: "web.service", 80: "other.service",
                                      90: "b.service"]
        let plan = MemoryRelieve.plan(memory: memory, processes: procs,
                                      request: .init(cachePercent: 30, hogPercent: 50, dryRun: false),
                                      policy: policy, protection: guardRules, unitOf: { units[$0] })
        XCTAssertFalse(plan.dropCaches)
        XCTAssertEqual(plan.restarts.map(\.unit), ["web.service"])
        XCTAssertEqual(Set(plan.refused.map(\.process.pid)), [1, 50, 40, 30, 20, 80, 90])
    }

    private func systemctlStandIn(_ t: TempTree) -> (String, [String: String]) {
        t.write("systemctl", "#!/bin/sh\nprintf '%s\\n' \"$*\" >> \(t.at("systemctl.log"))\nexit 0\n")
        chmod(t.at("systemctl"), 0o755)
        var units: [String] = []
        for p in ProcessEntry.scan() {
            if let u = ProcessEntry.unit(pid: p.pid), !units.contains(u) { units.append(u) }
        }
        return (t.at("systemctl.log"), ["VIGIL_STEP_SYSTEMCTL": t.at("systemctl"),
                                        "VIGIL_STEP_ALLOW_UNITS": units.joined(separator: ",")])
    }
}

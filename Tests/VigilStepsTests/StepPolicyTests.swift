import VigilSteps
import XCTest

final class StepPolicyTests: XCTestCase {
    func testDefaults() {
        let p = StepPolicy(environment: [:])
        XCTAssertEqual(p.allowDirs, ["/tmp", "/var/tmp"])
        XCTAssertEqual(p.logDirs, [])
        XCTAssertEqual(p.allowUnits, [])
        XCTAssertEqual(p.allowParents, [])
        XCTAssertEqual(p.protectedNames, ["sshd", "systemd", "init", "vigil-agent", "vigil"])
        XCTAssertEqual(p.systemctl, "/usr/bin/systemctl")
        XCTAssertEqual(p.journalctl, "/usr/bin/journalctl")
        XCTAssertEqual(p.logrotate, "/usr/sbin/logrotate")
        XCTAssertEqual(p.ss, "/usr/bin/ss")
        XCTAssertEqual(p.dropCaches, "/proc/sys/vm/drop_caches")
        XCTAssertNil(p.agentPID)
        XCTAssertEqual(p.problems, [])
    }

    func testParsesAndRejectsBadEntries() {
        let p = StepPolicy(environment: [
            "VIGIL_STEP_ALLOW_DIRS": "/tmp:relative:/var/../etc:/:/srv/cache/",
            "VIGIL_STEP_LOG_DIRS": "/var/log/nginx",
            "VIGIL_STEP_ALLOW_UNITS": "nginx.service, php-fpm ,bad;unit",
            "VIGIL_STEP_ALLOW_PARENTS": "php-fpm,has space",
            "VIGIL_STEP_PROTECTED": "postgres",
            "VIGIL_STEP_SYSTEMCTL": "systemctl",
            "VIGIL_STEP_AGENT_PID": "4242",
        ])
        XCTAssertEqual(p.allowDirs, ["/tmp", "/srv/cache"])
        XCTAssertEqual(p.logDirs, ["/var/log/nginx"])
        XCTAssertEqual(p.allowUnits, ["nginx.service", "php-fpm.service"])
        XCTAssertEqual(p.allowParents, ["php-fpm"])
        XCTAssertEqual(p.protectedNames, ["sshd", "systemd", "init", "vigil-agent", "vigil", "postgres"],
                       "the built-in protected names cannot be configured away")
        XCTAssertEqual(p.systemctl, "/usr/bin/systemctl")
        XCTAssertEqual(p.agentPID, 4242)
        XCTAssertEqual(p.problems.count, 6, p.problems.joined(separator: "\n"))
        XCTAssertTrue(p.allowsUnit("php-fpm"))
        XCTAssertFalse(p.allowsUnit("sshd"))
    }

    func testEmptyVariableMeansNothingAllowed() {
        let p = StepPolicy(environment: ["VIGIL_STEP_ALLOW_DIRS": ""])
        XCTAssertEqual(p.allowDirs, [])
    }

    func testPolicyProblemsAreReported() {
        let r = step(["zombie-report"], env: ["VIGIL_STEP_ALLOW_UNITS": "x;y"])
        XCTAssertEqual(r.code, 0)
        XCTAssertTrue(r.output.hasPrefix("warning: policy: VIGIL_STEP_ALLOW_UNITS: 'x;y' is not a valid unit name"), r.output)
    }
}

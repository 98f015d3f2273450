import Glibc
import VigilSteps
import XCTest

final class ArgumentTests: XCTestCase {
    func testUnknownProgramPrintsUsageListingAllPrograms() {
        let r = step(["format-disk", "--now"])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.output.contains("unknown step program 'format-disk'"))
        for name in ["disk-usage", "disk-cleanup", "service-restart", "service-check", "memory-report", "memory-relieve",
                     "log-rotate", "logrotate-run", "zombie-report", "zombie-reap", "conn-report", "conn-reset"] {
            XCTAssertTrue(r.output.contains("  " + name + " ") || r.output.contains("  " + name + "\n")
                || r.output.hasSuffix("  " + name), "usage lacks \(name)")
        }
        XCTAssertEqual(StepPrograms.names.count, 12)
        XCTAssertEqual(step([]).code, 2)
    }

    func testParserRejectsMalformedArguments() {
        let opts: [StepArguments.Option] = [.init("unit", .single), .init("dir", .repeated), .init("dry-run", .flag)]
        XCTAssertThrowsError(try StepArguments.parse(["--unit"], options: opts, program: "p")) {
            XCTAssertEqual(($0 as? StepError)?.message, "--unit: needs a value")
        }
        XCTAssertThrowsError(try StepArguments.parse(["--unit", "--dry-run"], options: opts, program: "p"))
        XCTAssertThrowsError(try StepArguments.parse(["--unit", "a", "--unit", "b"], options: opts, program: "p")) {
            XCTAssertEqual(($0 as? StepError)?.message, "--unit: given twice")
        }
        XCTAssertThrowsError(try StepArguments.parse(["nginx"], options: opts, program: "p"))
        XCTAssertThrowsError(try StepArguments.parse(["--force"], options: opts, program: "p")) {
            XCTAssertTrue(($0 as? StepError)?.message.contains("unknown option '--force'") ?? false)
        }
        XCTAssertThrowsError(try StepArguments.parse(["--dry-run=yes"], options: opts, program: "p"))
        let ok = try? StepArguments.parse(["--dir", "/a", "--dir=/b", "--unit=x", "--dry-run"], options: opts, program: "p")
        XCTAssertEqual(ok?.all("dir"), ["/a", "/b"])
        XCTAssertEqual(ok?.value("unit"), "x")
        XCTAssertEqual(ok?.has("dry-run"), true)
    }

    func testValidators() {
        XCTAssertNoThrow(try ArgumentValidator.unitName("nginx.service", argument: "--unit"))
        XCTAssertNoThrow(try ArgumentValidator.unitName("getty@tty1.service", argument: "--unit"))
        XCTAssertNoThrow(try ArgumentValidator.unitName("php8.2-fpm", argument: "--unit").isEmpty)
        XCTAssertEqual(ArgumentValidator.canonicalUnit("php8.2-fpm"), "php8.2-fpm.service")
        XCTAssertEqual(ArgumentValidator.canonicalUnit("docker.socket"), "docker.socket")
        XCTAssertThrowsError(try ArgumentValidator.unitName("nginx service", argument: "--unit"))
        XCTAssertThrowsError(try ArgumentValidator.unitName("é.service", argument: "--unit"))
        XCTAssertEqual(try? ArgumentValidator.port("8080", argument: "--port"), 8080)
        for bad in ["0", "65536", "-1", "+80", " 80", "80 ", "0x50", "", "99999999999999999999"] {
            XCTAssertThrowsError(try ArgumentValidator.port(bad, argument: "--port"), bad)
        }
        XCTAssertEqual(try? ArgumentValidator.absolutePath("/var//log/nginx/", argument: "--dir"), "/var/log/nginx")
        for bad in ["var/log", "/var/../etc", "/var/./log", "/tmp/a b", "/tmp/a;b", "/tmp/$(x)", "/tmp/a\nb", "/tmp/`x`", "/tmp/*"] {
            XCTAssertThrowsError(try ArgumentValidator.absolutePath(bad, argument: "--dir"), bad)
        }
        XCTAssertNoThrow(try ArgumentValidator.journalSize("500M", argument: "--journal-max-size"))
        for bad in ["500MB", "M", "0", "-5M", "5 M", "1e9"] {
            XCTAssertThrowsError(try ArgumentValidator.journalSize(bad, argument: "--journal-max-size"), bad)
        }
        XCTAssertNoThrow(try ArgumentValidator.url("http://127.0.0.1:8080/health?full=1", argument: "--http"))
        XCTAssertNoThrow(try ArgumentValidator.url("https://[::1]:8443/", argument: "--http"))
        XCTAssertNoThrow(try ArgumentValidator.hostPort("[::1]:80", argument: "--tcp"))
        XCTAssertThrowsError(try ArgumentValidator.url("http://-x/", argument: "--http"))
        XCTAssertThrowsError(try ArgumentValidator.url("http://x:0/", argument: "--http"))
        XCTAssertThrowsError(try ArgumentValidator.hostPort("::1:80", argument: "--tcp"))
    }

    func testNumbersOutOfRangeNameTheArgument() {
        let r = step(["memory-relieve", "--cache-percent", "101"])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.output.contains("--cache-percent: 101 is out of range (0–100)"), r.output)
        let z = step(["zombie-reap", "--wait-seconds", "2s"])
        XCTAssertEqual(z.code, 2)
        XCTAssertTrue(z.output.contains("--wait-seconds: '2s' is not a whole number"), z.output)
    }

    func testOutputEscapesControlCharacters() {
        XCTAssertEqual(StepText.shown("a\nb\u{1b}[31m"), "a\\x0ab\\x1b[31m")
        XCTAssertEqual(StepText.shown([0x66, 0xff, 0x6f]), "f\\xffo")
        XCTAssertEqual(StepText.shown("naïve"), "naïve")
        XCTAssertEqual(StepText.bytes(1536), "1.5 KiB")
    }

    func testDiskUsage() {
        var s = statvfs()
        XCTAssertEqual(statvfs("/", &s), 0)
        let r = step(["disk-usage", "--path", "/"])
        XCTAssertEqual(r.code, 0, r.output)
        let percent = (try? DiskUsage.figures(path: "/"))?.percent ?? -1
        XCTAssertTrue(r.output.hasSuffix("disk-usage: / is \(percent)% full"), r.output)
        if s.f_blocks > s.f_bfree {
            let full = step(["disk-usage", "--path", "/", "--max-percent", "0"])
            XCTAssertEqual(full.code, 1, full.output)
        }
        XCTAssertEqual(step(["disk-usage", "--path", "/", "--max-percent", "100"]).code, 0)
        XCTAssertEqual(step(["disk-usage", "--path", "/nonexistent-vigil"]).code, 1)
        XCTAssertEqual(step(["disk-usage"]).code, 2)
    }

    func testLogrotateRunRefusesConfigsOutsideAllowedPlaces() {
        let t = TempTree("lrconf")
        t.write("logs/app.conf", "/x/*.log { daily }\n")
        chmod(t.at("logs/app.conf"), 0o644)
        t.write("logs/writable.conf", "/x/*.log { daily }\n")
        chmod(t.at("logs/writable.conf"), 0o666)
        let env = ["VIGIL_STEP_LOG_DIRS": t.at("logs"), "VIGIL_STEP_LOGROTATE": t.at("no-such-logrotate")]
        let outside = step(["logrotate-run", "--config", "/etc/passwd"], env: env)
        XCTAssertEqual(outside.code, 2, outside.output)
        XCTAssertTrue(outside.output.contains("--config: /etc/passwd is not"), outside.output)
        let writable = step(["logrotate-run", "--config", t.at("logs/writable.conf")], env: env)
        XCTAssertEqual(writable.code, 2, writable.output)
        XCTAssertTrue(writable.output.contains("not writable by group or others"), writable.output)
        // Accepted: then it tries the (missing) logrotate and fails with exit 1 naming it.
        let accepted = step(["logrotate-run", "--config", t.at("logs/app.conf")], env: env)
        XCTAssertEqual(accepted.code, 1, accepted.output)
        XCTAssertTrue(accepted.output.contains("no-such-logrotate"), accepted.output)
    }
}

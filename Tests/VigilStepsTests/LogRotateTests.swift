import Foundation
import Glibc
import VigilSteps
import VigilWire
import XCTest

final class LogRotateTests: XCTestCase {
    private func logText(bytes: Int, seed: Int) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while out.count < bytes {
            out += Array("2025-11-29T10:00:00Z GET /item/\(i * 7919 + seed) 200 \(i % 977) ms\n".utf8)
            i += 1
        }
        return out
    }

    func testRotatesBigFilesWithCopytruncateAndShiftsGenerations() throws {
        let t = TempTree("logrotate")
        let original = logText(bytes: 1_600_000, seed: 1)
        t.write("logs/app.log", original)
        t.write("logs/app.log.1.gz", Gzip.compress(Array("generation one\n".utf8)))
        t.write("logs/app.log.2.gz", Gzip.compress(Array("generation two\n".utf8)))
        t.write("logs/small.log", "tiny\n")
        t.write("outside/huge.log", logText(bytes: 1_200_000, seed: 2))
        t.symlink("logs/linked.log", to: t.at("outside/huge.log"))
        let outsideBefore = snapshot(t.at("outside"))
        let inode = lstatOf(t.at("logs/app.log"))!.st_ino

        let r = step(["log-rotate", "--dir", t.at("logs"), "--max-size-mb", "1", "--keep", "2"],
                     env: ["VIGIL_STEP_LOG_DIRS": t.at("logs")])
        XCTAssertEqual(r.code, 0, r.output)

        let after = lstatOf(t.at("logs/app.log"))!
        XCTAssertEqual(after.st_size, 0)
        XCTAssertEqual(after.st_ino, inode, "copytruncate must keep the inode")
        let gz = try XCTUnwrap(contents(t.at("logs/app.log.1.gz")))
        XCTAssertEqual(try Gzip.decompress(gz, limit: 10_000_000), original)
        XCTAssertEqual(try Gzip.decompress(contents(t.at("logs/app.log.2.gz")) ?? [], limit: 1000),
                       Array("generation one\n".utf8))
        XCTAssertFalse(exists(t.at("logs/app.log.3.gz")), "keep 2: the oldest generation is dropped")
        XCTAssertFalse(exists(t.at("logs/app.log.1")), "the uncompressed copy is removed")
        XCTAssertEqual(contents(t.at("logs/small.log")), Array("tiny\n".utf8))
        XCTAssertEqual(snapshot(t.at("outside")), outsideBefore, "a symlinked log is never rotated")
        XCTAssertTrue(r.output.contains("linked.log: symbolic link"), r.output)
        XCTAssertTrue(r.output.contains("rotated 1 file(s)"), r.output)
    }

    func testLargeFileIsAValidMultiMemberGzip() throws {
        let gzip = "/usr/bin/gzip"
        guard FileManager.default.isExecutableFile(atPath: gzip) else { throw XCTSkip("needs \(gzip)") }
        let t = TempTree("logrotate")
        let original = logText(bytes: 9 * 1_048_576, seed: 3)
        t.write("logs/big.log", original)
        let r = step(["log-rotate", "--dir", t.at("logs"), "--max-size-mb", "8"], env: ["VIGIL_STEP_LOG_DIRS": t.at("logs")])
        XCTAssertEqual(r.code, 0, r.output)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: gzip)
        p.arguments = ["-dc", t.at("logs/big.log.1.gz")]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        XCTAssertEqual([UInt8](data), original)
        XCTAssertEqual(lstatOf(t.at("logs/big.log"))?.st_size, 0)
    }

    func testDryRunTouchesNothing() {
        let t = TempTree("logrotate")
        t.write("logs/app.log", logText(bytes: 1_200_000, seed: 4))
        t.write("logs/app.log.1.gz", Gzip.compress(Array("g1".utf8)))
        let before = snapshot(t.path)
        let r = step(["log-rotate", "--dir", t.at("logs"), "--max-size-mb", "1", "--dry-run"],
                     env: ["VIGIL_STEP_LOG_DIRS": t.at("logs")])
        XCTAssertEqual(r.code, 0, r.output)
        XCTAssertEqual(snapshot(t.path), before)
        XCTAssertTrue(r.output.contains("would rotate \(t.at("logs"))/app.log"), r.output)
    }

    func testRefusesDirectoriesOutsideLogDirs() {
        let t = TempTree("logrotate")
        t.write("other/app.log", logText(bytes: 1_200_000, seed: 5))
        let before = snapshot(t.path)
        // An allow dir is not a log dir.
        let r = step(["log-rotate", "--dir", t.at("other"), "--max-size-mb", "1"],
                     env: ["VIGIL_STEP_ALLOW_DIRS": t.at("other"), "VIGIL_STEP_LOG_DIRS": t.at("logs")])
        XCTAssertEqual(r.code, 2, r.output)
        XCTAssertTrue(r.output.contains("--dir:"), r.output)
        XCTAssertEqual(snapshot(t.path), before)
        let missing = step(["log-rotate", "--dir", t.at("other")], env: ["VIGIL_STEP_LOG_DIRS": t.at("other")])
        XCTAssertEqual(missing.code, 2)
        XCTAssertTrue(missing.output.contains("--max-size-mb: required"), missing.output)
    }

    func testRotatedNamesAndShifts() {
        XCTAssertTrue(RotationPlan.isRotatedName(Array("app.log.1".utf8)))
        XCTAssertTrue(RotationPlan.isRotatedName(Array("app.log.3.gz".utf8)))
        XCTAssertTrue(RotationPlan.isRotatedName(Array("app.log-20251129".utf8)))
        XCTAssertFalse(RotationPlan.isRotatedName(Array("app.log".utf8)))
        XCTAssertFalse(RotationPlan.isRotatedName(Array("access-2.log".utf8)))
        let ops = RotationPlan.shifts(present: [1, 2, 3], keep: 2)
        XCTAssertEqual(ops.map { "\($0.from)->\($0.to.map(String.init) ?? "x")" }, ["3->x", "2->x", "1->2"])
    }
}

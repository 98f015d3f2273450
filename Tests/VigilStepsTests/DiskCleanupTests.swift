import Foundation
import Glibc
import VigilSteps
import XCTest

final class DiskCleanupTests: XCTestCase {
    /// allowed/ holds old and new files, a link to a file outside and a link to a directory outside;
    /// outside/ is not allow-listed.
    private func makeTree() -> (TempTree, [String: String]) {
        let t = TempTree("cleanup")
        t.write("outside/precious.txt", "keep me", ageDays: 40)
        t.write("outside/old-inside-linked-dir.txt", "also keep", ageDays: 40)
        t.write("allowed/old.txt", "old", ageDays: 30)
        t.write("allowed/new.txt", "new")
        t.write("allowed/sub/old2.log", "old log", ageDays: 10)
        t.write("allowed/sub/deeper/big-old.bin", [UInt8](repeating: 7, count: 2 * 1_048_576 + 1), ageDays: 20)
        t.write("allowed/sub/new-big.bin", [UInt8](repeating: 1, count: 3 * 1_048_576))
        t.symlink("allowed/link-out", to: t.at("outside/precious.txt"), ageDays: 50)
        t.symlink("allowed/linkdir", to: t.at("outside"), ageDays: 50)
        return (t, ["VIGIL_STEP_ALLOW_DIRS": t.at("allowed")])
    }

    func testRemovesOldRegularFilesOnlyAndNeverFollowsLinks() {
        let (t, env) = makeTree()
        let outsideBefore = snapshot(t.at("outside"))
        let r = step(["disk-cleanup", "--dir", t.at("allowed"), "--older-than-days", "7"], env: env)
        XCTAssertEqual(r.code, 0, r.output)
        XCTAssertFalse(exists(t.at("allowed/old.txt")))
        XCTAssertFalse(exists(t.at("allowed/sub/old2.log")))
        XCTAssertFalse(exists(t.at("allowed/sub/deeper/big-old.bin")))
        XCTAssertTrue(exists(t.at("allowed/new.txt")))
        XCTAssertTrue(exists(t.at("allowed/sub/new-big.bin")))
        // The links themselves stay, and so does everything they point at.
        XCTAssertEqual(lstatOf(t.at("allowed/link-out")).map { $0.st_mode & S_IFMT }, S_IFLNK)
        XCTAssertEqual(lstatOf(t.at("allowed/linkdir")).map { $0.st_mode & S_IFMT }, S_IFLNK)
        XCTAssertEqual(snapshot(t.at("outside")), outsideBefore)
        XCTAssertEqual(contents(t.at("outside/precious.txt")), Array("keep me".utf8))
        XCTAssertTrue(r.output.contains("removed 3 file(s)"), r.output)
        XCTAssertTrue(r.output.contains("skipped 2 symbolic link(s)"), r.output)
    }

    func testLargerThanRestrictsTheSelection() {
        let (t, env) = makeTree()
        let r = step(["disk-cleanup", "--dir", t.at("allowed"), "--larger-than-mb", "1"], env: env)
        XCTAssertEqual(r.code, 0, r.output)
        XCTAssertFalse(exists(t.at("allowed/sub/deeper/big-old.bin")))
        XCTAssertTrue(exists(t.at("allowed/old.txt")), "small old file must stay with --larger-than-mb")
        XCTAssertTrue(exists(t.at("allowed/sub/new-big.bin")), "big new file must stay")
    }

    func testDryRunTouchesNothing() {
        let (t, env) = makeTree()
        let before = snapshot(t.path)
        XCTAssertGreaterThan(before.count, 8)
        let r = step(["disk-cleanup", "--dir", t.at("allowed"), "--dry-run"], env: env)
        XCTAssertEqual(r.code, 0, r.output)
        XCTAssertEqual(snapshot(t.path), before)
        XCTAssertTrue(r.output.contains("would remove " + t.at("allowed") + "/old.txt"), r.output)
        XCTAssertTrue(r.output.contains("would remove 3 file(s)"), r.output)
        XCTAssertFalse(r.output.contains("new.txt"), r.output)
        XCTAssertFalse(r.output.contains("precious"), r.output)
    }

    func testPlanListsExactlyTheSelectedFiles() throws {
        let (t, _) = makeTree()
        let now = Int64(Date().timeIntervalSince1970)
        let plan = try DiskCleanup.plan(root: t.at("allowed"), criteria: CleanupCriteria(olderThanDays: 15), now: now)
        XCTAssertEqual(plan.candidates.map(\.shownRelativePath).sorted(), ["old.txt", "sub/deeper/big-old.bin"])
        XCTAssertEqual(plan.symlinksSkipped, 2)
    }

    func testRefusesDirectoryOutsideTheAllowList() {
        let (t, env) = makeTree()
        let before = snapshot(t.path)
        let r = step(["disk-cleanup", "--dir", t.at("outside")], env: env)
        XCTAssertEqual(r.code, 2, r.output)
        XCTAssertTrue(r.output.contains("--dir:"), r.output)
        XCTAssertTrue(r.output.contains("not inside an allowed directory"), r.output)
        XCTAssertEqual(snapshot(t.path), before)
    }

    func testRefusesASymlinkThatResolvesOutside() {
        let (t, env) = makeTree()
        let before = snapshot(t.path)
        let r = step(["disk-cleanup", "--dir", t.at("allowed/linkdir")], env: env)
        XCTAssertEqual(r.code, 2, r.output)
        XCTAssertTrue(r.output.contains("resolves to \(t.at("outside"))"), r.output)
        XCTAssertEqual(snapshot(t.path), before)
    }

    func testRejectsRelativeAndDotDotPaths() {
        let (t, env) = makeTree()
        for bad in ["../etc", t.at("allowed") + "/../outside", "allowed", t.at("allowed") + "\n/etc", "/tmp/$(reboot)"] {
            let r = step(["disk-cleanup", "--dir", bad], env: env)
            XCTAssertEqual(r.code, 2, "\(bad): \(r.output)")
            XCTAssertTrue(r.output.contains("--dir:"), r.output)
        }
        XCTAssertTrue(exists(t.at("outside/precious.txt")))
    }

    func testDefaultAllowListDoesNotCoverOtherDirectories() {
        let r = step(["disk-cleanup", "--dir", "/etc"])
        XCTAssertEqual(r.code, 2, r.output)
        XCTAssertTrue(r.output.contains("/tmp:/var/tmp"), r.output)
    }

    func testNeverEntersAnotherFilesystem() throws {
        let (t, env) = makeTree()
        t.mkdir("allowed/mnt")
        guard mount("tmpfs", t.at("allowed/mnt"), "tmpfs", 0, "size=1m") == 0 else {
            throw XCTSkip("cannot mount a tmpfs here (errno \(errno))")
        }
        defer { umount2(t.at("allowed/mnt"), Int32(MNT_DETACH)) }
        t.write("allowed/mnt/old-on-other-fs.txt", "other filesystem", ageDays: 30)
        let r = step(["disk-cleanup", "--dir", t.at("allowed")], env: env)
        XCTAssertEqual(r.code, 0, r.output)
        XCTAssertTrue(exists(t.at("allowed/mnt/old-on-other-fs.txt")), r.output)
        XCTAssertFalse(exists(t.at("allowed/old.txt")))
        XCTAssertTrue(r.output.contains("skipped 1 directory(ies) on another filesystem"), r.output)
    }

    func testJournalVacuumInDryRun() {
        let (t, env) = makeTree()
        let r = step(["disk-cleanup", "--journal-max-size", "500M", "--dry-run"],
                     env: env.merging(["VIGIL_STEP_JOURNALCTL": t.at("journalctl")]) { $1 })
        XCTAssertEqual(r.code, 0, r.output)
        XCTAssertTrue(r.output.contains("would run: \(t.at("journalctl")) --vacuum-size=500M"), r.output)
        let bad = step(["disk-cleanup", "--journal-max-size", "500M;reboot"], env: env)
        XCTAssertEqual(bad.code, 2, bad.output)
        XCTAssertTrue(bad.output.contains("--journal-max-size:"), bad.output)
        XCTAssertEqual(step(["disk-cleanup"], env: ["VIGIL_STEP_ALLOW_DIRS": t.at("no-such-dir")]).code, 2)
    }

    func testWithoutDirEveryAllowedDirectoryIsCleaned() {
        let (t, env) = makeTree()
        t.write("second/old.txt", "old", ageDays: 30)
        let both = env.merging(["VIGIL_STEP_ALLOW_DIRS": t.at("allowed") + ":" + t.at("second") + ":" + t.at("missing")]) { $1 }
        let r = step(["disk-cleanup", "--older-than-days", "7"], env: both)
        XCTAssertEqual(r.code, 0, r.output)
        XCTAssertFalse(exists(t.at("allowed/old.txt")), r.output)
        XCTAssertFalse(exists(t.at("second/old.txt")), r.output)
        XCTAssertTrue(exists(t.at("allowed/new.txt")))
        XCTAssertTrue(exists(t.at("outside/precious.txt")))
    }

    func testCriteria() {
        let c = CleanupCriteria(olderThanDays: 7, largerThanBytes: 100)
        let now: Int64 = 1_000_000_000
        XCTAssertTrue(c.selects(size: 101, mtime: now - 8 * 86_400, now: now))
        XCTAssertFalse(c.selects(size: 100, mtime: now - 8 * 86_400, now: now))
        XCTAssertFalse(c.selects(size: 101, mtime: now - 6 * 86_400, now: now))
        XCTAssertTrue(CleanupCriteria(olderThanDays: 7).selects(size: 0, mtime: now - 7 * 86_400 - 1, now: now))
    }
}

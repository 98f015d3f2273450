import Foundation
import Testing
import VigilWire
@testable import VigilAgentCore

@Suite struct LogTailerTests {
    private func messages(_ entries: [LogEntry]) -> [String] { entries.map(\.message) }

    @Test func firstStartBeginsAtTheEndThenFollowsAppends() {
        let dir = TempDir()
        dir.write("app.log", "old 1\nold 2\n")
        let t = LogTailer(files: [LogFileConfig(path: dir.file("app.log"))], stateDirectory: dir.path)
        #expect(t.poll(nowMs: 1).isEmpty)
        dir.append("app.log", "new 1\nnew 2\n")
        let e = t.poll(nowMs: 5)
        #expect(messages(e) == ["new 1", "new 2"])
        #expect(e.allSatisfy { $0.source == dir.file("app.log") && $0.ts == 5 })
        #expect(t.poll(nowMs: 6).isEmpty)
    }

    @Test func fromStartShipsExistingContent() {
        let dir = TempDir()
        dir.write("app.log", "old 1\nold 2\n")
        let t = LogTailer(files: [LogFileConfig(path: dir.file("app.log"), fromStart: true)], stateDirectory: dir.path)
        #expect(messages(t.poll(nowMs: 1)) == ["old 1", "old 2"])
    }

    @Test func partialLineWaitsForItsNewline() {
        let dir = TempDir()
        dir.write("app.log", "")
        let t = LogTailer(files: [LogFileConfig(path: dir.file("app.log"))], stateDirectory: dir.path)
        dir.append("app.log", "complete\nhalf a li")
        #expect(messages(t.poll(nowMs: 1)) == ["complete"])
        #expect(t.poll(nowMs: 2).isEmpty)
        dir.append("app.log", "ne\r\n")
        #expect(messages(t.poll(nowMs: 3)) == ["half a line"])
    }

    @Test func rotationByRenameReadsTheOldFileToItsEndThenTheNewFromZero() throws {
        let dir = TempDir()
        dir.write("app.log", "")
        let t = LogTailer(files: [LogFileConfig(path: dir.file("app.log"))], stateDirectory: dir.path)
        dir.append("app.log", "before\n")
        #expect(messages(t.poll(nowMs: 1)) == ["before"])
        dir.append("app.log", "late write to old\n")
        try FileManager.default.moveItem(atPath: dir.file("app.log"), toPath: dir.file("app.log.1"))
        dir.write("app.log", "first in new\nsecond in new\n")
        #expect(messages(t.poll(nowMs: 2)) == ["late write to old", "first in new", "second in new"])
        dir.append("app.log", "third\n")
        #expect(messages(t.poll(nowMs: 3)) == ["third"])
    }

    @Test func fileThatAppearsLaterIsReadFromItsStart() throws {
        let dir = TempDir()
        let t = LogTailer(files: [LogFileConfig(path: dir.file("late.log"))], stateDirectory: dir.path)
        #expect(t.poll(nowMs: 1).isEmpty)
        dir.write("late.log", "hello\n")
        #expect(messages(t.poll(nowMs: 2)) == ["hello"])
        // Rotated away and recreated between two polls: the new file is read from its start too.
        try FileManager.default.removeItem(atPath: dir.file("late.log"))
        #expect(t.poll(nowMs: 3).isEmpty)
        dir.write("late.log", "again\n")
        #expect(messages(t.poll(nowMs: 4)) == ["again"])
    }

    @Test func truncationRestartsFromZero() throws {
        let dir = TempDir()
        dir.write("app.log", "")
        let t = LogTailer(files: [LogFileConfig(path: dir.file("app.log"))], stateDirectory: dir.path)
        dir.append("app.log", "one long line before truncation\n")
        #expect(messages(t.poll(nowMs: 1)) == ["one long line before truncation"])
        // copytruncate: same inode, shorter content.
        let h = try #require(FileHandle(forWritingAtPath: dir.file("app.log")))
        try h.truncate(atOffset: 0)
        try h.close()
        dir.append("app.log", "after\n")
        #expect(messages(t.poll(nowMs: 2)) == ["after"])
    }

    @Test func offsetsPersistAcrossInstances() throws {
        let dir = TempDir()
        dir.write("app.log", "")
        let files = [LogFileConfig(path: dir.file("app.log"))]
        do {
            let t = LogTailer(files: files, stateDirectory: dir.path)
            dir.append("app.log", "a\nb\npart")
            #expect(messages(t.poll(nowMs: 1)) == ["a", "b"])
            try t.saveState()
        }
        // Written while the agent was down: shipped by the next instance, including the finished line.
        dir.append("app.log", "ial\nc\n")
        let t2 = LogTailer(files: files, stateDirectory: dir.path)
        #expect(messages(t2.poll(nowMs: 2)) == ["partial", "c"])
        let state = try String(contentsOfFile: dir.file(LogTailer.stateFileName), encoding: .utf8)
        #expect(state.hasSuffix(" \(dir.file("app.log"))\n"))
    }

    @Test func rotationWhileDownReadsTheNewFileFromZero() throws {
        let dir = TempDir()
        dir.write("app.log", "")
        let files = [LogFileConfig(path: dir.file("app.log"))]
        do {
            let t = LogTailer(files: files, stateDirectory: dir.path)
            dir.append("app.log", "x\n")
            _ = t.poll(nowMs: 1)
            try t.saveState()
        }
        try FileManager.default.moveItem(atPath: dir.file("app.log"), toPath: dir.file("app.log.1"))
        dir.write("app.log", "fresh\n")
        let t2 = LogTailer(files: files, stateDirectory: dir.path)
        #expect(messages(t2.poll(nowMs: 2)) == ["fresh"])
    }

    @Test func longLinesAreCutAndMarked() {
        let dir = TempDir()
        dir.write("app.log", "")
        let t = LogTailer(files: [LogFileConfig(path: dir.file("app.log"))], stateDirectory: nil, maxLineBytes: 32)
        dir.append("app.log", String(repeating: "x", count: 100) + "\nshort\n" + String(repeating: "y", count: 32) + "\n")
        let m = messages(t.poll(nowMs: 1))
        #expect(m == [String(repeating: "x", count: 32) + LogTailer.truncationSuffix, "short", String(repeating: "y", count: 32)])
    }

    @Test func cutNeverSplitsAUTF8Character() {
        let dir = TempDir()
        dir.write("app.log", "")
        let t = LogTailer(files: [LogFileConfig(path: dir.file("app.log"))], stateDirectory: nil, maxLineBytes: 32)
        // 31 ASCII bytes then a 3-byte character straddling the cap.
        dir.append("app.log", String(repeating: "a", count: 31) + "€€€\n")
        #expect(messages(t.poll(nowMs: 1)) == [String(repeating: "a", count: 31) + LogTailer.truncationSuffix])
    }

    @Test func linesPerCycleAreBounded() {
        let dir = TempDir()
        dir.write("app.log", "")
        let t = LogTailer(files: [LogFileConfig(path: dir.file("app.log"))], stateDirectory: nil, maxLinesPerCycle: 100)
        dir.append("app.log", (1...250).map { "line \($0)\n" }.joined())
        let first = t.poll(nowMs: 1)
        #expect(first.count == 100)
        #expect(first.last?.message == "line 100")
        #expect(t.poll(nowMs: 2).first?.message == "line 101")
        #expect(t.poll(nowMs: 3).count == 50)
    }

    @Test func levelsAreDetected() {
        let dir = TempDir()
        dir.write("app.log", "")
        let t = LogTailer(files: [LogFileConfig(path: dir.file("app.log"))], stateDirectory: nil)
        dir.append("app.log", "2024-01-01 ERROR db down\n[warn] disk\nplain line\n")
        #expect(t.poll(nowMs: 1).map(\.level) == [.error, .warning, .info])
    }
}

@Suite struct LogLevelDetectorTests {
    @Test(arguments: [
        ("2024-05-01T10:00:00Z ERROR connection lost", LogLevel.error),
        ("E0501 err: bad", .error),
        ("level=error msg=x", .error),
        ("FATAL: out of memory", .critical),
        ("kernel panic - not syncing", .critical),
        ("[CRIT] raid degraded", .critical),
        ("WARN slow query", .warning),
        ("Warning: deprecated", .warning),
        ("DEBUG cache hit", .debug),
        ("trace: enter", .trace),
        ("NOTICE: config reloaded", .notice),
        ("INFO started", .info),
        ("no keyword here", .info),
        ("0 errors found", .info),           // "errors" is not the word "error"
        ("terror in the logs", .info),       // nor inside another word
        ("<3>disk failure", .error),
        ("<12>something", .warning),
        ("<0>system unusable", .critical),
        ("<6>hello ERROR", .info),           // the syslog priority decides
    ])
    func detect(_ line: String, _ level: LogLevel) {
        #expect(LogLevelDetector.detect(line) == level)
    }
}

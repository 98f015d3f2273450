import Foundation
@_exported import VigilTestSupport
import Glibc
import VigilSteps
import XCTest

/// A fresh directory from mkdtemp, removed (without following links) when released.
final class TempTree {
    let path: String

    init(_ label: String = "steps") {
        var template = Array("/tmp/vigil-\(label)-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { fatalError("mkdtemp failed") }
        // Resolve now so expectations compare resolved paths.
        path = realpathString(String(cString: p))
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func at(_ rel: String) -> String { path + "/" + rel }

    @discardableResult
    func write(_ rel: String, _ bytes: [UInt8], ageDays: Double = 0) -> String {
        let full = at(rel)
        try? FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        XCTAssertTrue(writeCloseOnExec(full, bytes), "cannot create \(full)")
        if ageDays > 0 { setAge(full, days: ageDays) }
        return full
    }

    @discardableResult
    func write(_ rel: String, _ text: String, ageDays: Double = 0) -> String { write(rel, Array(text.utf8), ageDays: ageDays) }

    func mkdir(_ rel: String) {
        try? FileManager.default.createDirectory(atPath: at(rel), withIntermediateDirectories: true)
    }

    func symlink(_ rel: String, to target: String, ageDays: Double = 0) {
        XCTAssertEqual(Glibc.symlink(target, at(rel)), 0, "symlink \(rel)")
        if ageDays > 0 { setAge(at(rel), days: ageDays) }
    }
}

func realpathString(_ p: String) -> String {
    guard let r = realpath(p, nil) else { return p }
    defer { free(r) }
    return String(cString: r)
}

/// Sets atime and mtime `days` in the past (the link itself for symbolic links).
func setAge(_ path: String, days: Double) {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    let t = timespec(tv_sec: now.tv_sec - Int(days * 86_400), tv_nsec: 0)
    var times = [t, t]
    XCTAssertEqual(utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW), 0, "utimensat \(path)")
}

func lstatOf(_ path: String) -> stat? {
    var st = stat()
    return lstat(path, &st) == 0 ? st : nil
}

func exists(_ path: String) -> Bool { lstatOf(path) != nil }

func contents(_ path: String) -> [UInt8]? {
    (try? Data(contentsOf: URL(fileURLWithPath: path))).map { [UInt8]($0) }
}

/// Every entry under `root` (lstat, links not followed): relative path -> type, size, mtime and content hash
/// (or link target).
func snapshot(_ root: String) -> [String: String] {
    var out: [String: String] = [:]
    func walk(_ rel: String) {
        let full = rel.isEmpty ? root : root + "/" + rel
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: full) else { return }
        for name in names {
            let r = rel.isEmpty ? name : rel + "/" + name
            let p = root + "/" + r
            guard let st = lstatOf(p) else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFLNK:
                out[r] = "link -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: p)) ?? "?")
                    + " mtime \(st.st_mtim.tv_sec)"
            case S_IFDIR:
                out[r] = "dir"
                walk(r)
            default:
                out[r] = "file \(st.st_size) mtime \(st.st_mtim.tv_sec) ino \(st.st_ino) fnv \(fnv1a(contents(p) ?? []))"
            }
        }
    }
    walk("")
    return out
}

/// 64-bit FNV-1a of `bytes` (fast enough in debug builds for content comparisons).
func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    bytes.withUnsafeBufferPointer { buf in
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in buf { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}

/// Runs a step program in-process, collecting its output.
func step(_ args: [String], env: [String: String] = [:], file: StaticString = #filePath,
          line: UInt = #line) -> (code: Int32, output: String) {
    let out = StepOutput.collecting()
    let code = StepPrograms.run(args, environment: env, out: out)
    let last = out.lines.last ?? ""
    // Every program ends with one summary line naming itself (or a usage error naming the program/argument).
    XCTAssertFalse(last.isEmpty, "no output from \(args)", file: file, line: line)
    return (code, out.text)
}

/// posix_spawn of `argv` (absolute path), stdin/stdout/stderr to /dev/null. Returns the pid.
func spawn(_ argv: [String]) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    var cEnv: [UnsafeMutablePointer<CChar>?] = (["PATH=/usr/bin:/bin"] as [String]).map { strdup($0) } + [nil]
    defer {
        for p in cArgs { free(p) }
        for p in cEnv { free(p) }
    }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, &cEnv)
    XCTAssertEqual(rc, 0, "posix_spawn \(argv)")
    return pid
}

/// Polls `condition` every 50 ms for up to `seconds`.
func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(TestTime.seconds(seconds))
    while Date() < deadline {
        if condition() { return true }
        usleep(50_000)
    }
    return condition()
}

/// The state letter of a process, nil when gone.
func processState(_ pid: pid_t) -> Character? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return nil }
    return text[text.index(after: close)...].first(where: { $0 != " " })
}



import Foundation
import VigilHTTP
import VigilWire
import VigilTestSupport

/// The package's built executables (`swift test` builds them next to the test bundle).
enum Binaries {
    static var directory: URL {
        // …/.build/<triple>/debug/vigilPackageTests.xctest → …/.build/<triple>/debug
        var dir = URL(fileURLWithPath: CommandLine.arguments.first { $0.contains(".xctest") } ?? Bundle.main.bundlePath)
        while dir.pathExtension != "xctest" && dir.path != "/" { dir = dir.deletingLastPathComponent() }
        if dir.pathExtension == "xctest" { return dir.deletingLastPathComponent() }
        // Fallback: the package root from this file's path.
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug")
    }

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}

/// A child process with captured output, killed when released.
final class Child: @unchecked Sendable {
    let process = Process()
    let output = Pipe()
    private let lock = NSLock()
    private var captured = Data()

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = output
        process.standardError = output
        output.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self else { return }
            self.lock.lock(); self.captured.append(d); self.lock.unlock()
        }
        try process.run()
    }

    var text: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: captured, as: UTF8.self)
    }

    /// SIGTERM, then wait up to `seconds` before SIGKILL.
    func stop(seconds: Double = 10) {
        stopProcess(process, seconds: seconds)
    }

    /// Waits for the process to end off the cooperative pool (a blocked pool thread stalls every in-process
    /// engine of the parallel tests), then lets its last output arrive: until none came for 200 ms, at most 3 s. (A
    /// fixed 50 ms lost the end of an agent's `--print` past its first 8 KB on a busy run.) Not read to the end of the
    /// pipe: something the process started (a tmux server) may hold it open.
    func finished() async {
        let process = self.process
        _ = try? await offPool { process.waitUntilExit() }
        var seen = -1
        for _ in 0..<15 {
            let now = capturedCount
            if now == seen { break }
            seen = now
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    private var capturedCount: Int {
        lock.lock(); defer { lock.unlock() }
        return captured.count
    }

    /// `stop(seconds:)` off the cooperative pool.
    func stopped(seconds: Double = 10) async {
        _ = try? await offPool { [self] in stop(seconds: seconds) }
    }

    /// SIGTERM now, and SIGKILL after `seconds` if it is still running, from a thread of its own: the caller (often
    /// a cooperative-pool thread in a `defer`) does not wait.
    func stopInBackground(seconds: Double = 10) {
        guard process.isRunning else { return }
        process.terminate()
        let process = self.process
        Thread.detachNewThread {
            let deadline = Date().addingTimeInterval(TestTime.seconds(seconds))
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }

    deinit { stopInBackground() }
}

/// SIGTERM, then SIGKILL if `process` still runs after `seconds` (scaled by `TestTime`), and waits for it: a child
/// started from a thread of the test pool inherits its blocked signals, SIGTERM among them.
func stopProcess(_ process: Process, seconds: Double = 10) {
    guard process.isRunning else { return }
    process.terminate()
    let deadline = Date().addingTimeInterval(TestTime.seconds(seconds))
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
}

/// A loopback port nobody listens on right now.
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// Polls `condition` every 100 ms until it holds or `seconds` (scaled by `TestTime`, and never less than 30 s) pass.
/// Every caller waits for something that must happen, so the wait returns as soon as it does: the floor costs a
/// passing test nothing and keeps a CI machine that runs the suite's heavy tests beside this one from failing it.
func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(TestTime.seconds(max(seconds, 30)))
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}

/// Starts `vigil serve` on `port` with the store at `db`, waiting until /healthz answers.
func startServe(db: String, port: Int) async throws -> Child {
    let serve = try Child(Binaries.path("vigil"), ["serve", "--db", db, "--listen", "127.0.0.1:\(port)"])
    let up = await eventually(20) {
        let r = try? await offPool { try HTTPClient().perform(HTTPRequest(url: "http://127.0.0.1:\(port)/healthz", timeoutMs: 500)) }
        return r?.status == 200
    }
    guard up else { throw NSError(domain: "vigil-test", code: 1, userInfo: [NSLocalizedDescriptionKey: "vigil serve did not come up: \(serve.text)"]) }
    return serve
}

/// Runs `argv` with posix_spawn and waits for it with waitpid; output goes through a temp file.
///
/// Not `Foundation.Process`: it learns of a child's exit through a descriptor the child inherits, and a
/// daemon the child forks (the tmux server) keeps that descriptor open, so `waitUntilExit` never returns.
func spawnAndWait(_ argv: [String]) throws -> (status: Int32, output: String) {
    let outPath = NSTemporaryDirectory() + "vigil-spawn-\(UUID().uuidString)"
    defer { unlink(outPath) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    var cargs = argv.map { strdup($0) } + [nil]
    defer { for p in cargs { free(p) } }
    // The child starts with no signal blocked, whatever this (thread-pool) thread blocks.
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attr, &empty)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK))
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, argv[0], &actions, &attr, &cargs, environ)
    guard rc == 0 else { throw NSError(domain: "spawn", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "cannot run \(argv[0]): errno \(rc)"]) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    let exited = (status & 0x7f) == 0
    return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), output)
}

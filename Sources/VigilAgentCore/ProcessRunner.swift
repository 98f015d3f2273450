#if canImport(Glibc)
import Glibc
#endif
import VigilWire

/// How a child process ended.
public struct ProcessResult: Sendable, Equatable {
    /// Exit status when it exited normally.
    public var exitCode: Int32?
    /// The signal that killed it, if one did.
    public var signal: Int32?
    /// Standard output and standard error, interleaved, capped.
    public var output: [UInt8]
    /// True when it was killed for running past its timeout.
    public var timedOut: Bool

    /// The output as text, trimmed of surrounding whitespace.
    public var text: String {
        let s = String(decoding: output, as: UTF8.self)
        return String(s.drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed())
    }
}

/// Runs a program as an argument vector (never through a shell) with `posix_spawn`.
public enum ProcessRunner {
    /// The environment given to children: a fixed `PATH` and the C locale, nothing inherited.
    public static let defaultEnvironment = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]

    /// Runs `argv[0]` (an absolute path) with `argv`, stdin from /dev/null, stdout and stderr captured
    /// (up to `maxOutputBytes`). After `timeoutMs` the child's process group is killed. Throws when
    /// the program cannot be started.
    public static func run(_ argv: [String], environment: [String] = defaultEnvironment, timeoutMs: Int,
                           maxOutputBytes: Int = 64 * 1024) throws(AgentError) -> ProcessResult {
        guard let program = argv.first, !program.isEmpty else { throw AgentError("empty command") }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw AgentError.system("cannot create a pipe for", path: program, errno: errno) }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        // Not inherited by children spawned concurrently; dup2 in the child clears the flag on 1 and 2.
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // The agent blocks SIGTERM/SIGINT to wait for them synchronously: give the child a clean slate.
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnv: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for p in cArgs { free(p) }
            for p in cEnv { free(p) }
        }
        var pid: pid_t = 0
        var rc = posix_spawn(&pid, program, &actions, &attr, &cArgs, &cEnv)
        // ETXTBSY: the program was just written and another thread's child, between its fork and exec,
        // still holds the writer's descriptor. The window is microseconds; wait it out a few times.
        var attempts = 0
        while rc == ETXTBSY && attempts < 20 {
            attempts += 1
            usleep(5_000)
            rc = posix_spawn(&pid, program, &actions, &attr, &cArgs, &cEnv)
        }
        close(writeEnd)
        guard rc == 0 else {
            close(readEnd)
            throw AgentError.system("cannot run", path: program, errno: rc)
        }
        defer { close(readEnd) }

        let deadline = WallClock.monotonicNs() + UInt64(max(0, timeoutMs)) * 1_000_000
        var output: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        var timedOut = false
        var open = true
        while open {
            let now = WallClock.monotonicNs()
            if now >= deadline { timedOut = true; break }
            var p = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let waitMs = Int32(min(UInt64(Int32.max), (deadline - now) / 1_000_000 + 1))
            let n = poll(&p, 1, waitMs)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { continue }
            let got = buf.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { open = false; break }
            if output.count < maxOutputBytes { output.append(contentsOf: buf[0..<min(got, maxOutputBytes - output.count)]) }
        }
        // Output closed: the child is (nearly always) exiting. Wait for it, up to the deadline.
        var status: Int32 = 0
        while !timedOut {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return result(status: status, output: output, timedOut: false) }
            if r < 0 && errno != EINTR { return ProcessResult(exitCode: nil, signal: nil, output: output, timedOut: false) }
            if WallClock.monotonicNs() >= deadline { timedOut = true; break }
            usleep(2000)
        }
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return ProcessResult(exitCode: nil, signal: SIGKILL, output: output, timedOut: true)
    }

    private static func result(status: Int32, output: [UInt8], timedOut: Bool) -> ProcessResult {
        let sig = status & 0x7f
        if sig == 0 {
            return ProcessResult(exitCode: (status >> 8) & 0xff, signal: nil, output: output, timedOut: timedOut)
        }
        return ProcessResult(exitCode: nil, signal: sig, output: output, timedOut: timedOut)
    }
}

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
        var output: [UInt8] = []
        let r = try stream(argv: argv, environment: environment, timeoutMs: timeoutMs, maxOutputBytes: maxOutputBytes,
                           flushIntervalMs: 60_000, chunkBytes: 64 * 1024, onOutput: { output.append(contentsOf: $0) })
        return ProcessResult(exitCode: r.exitCode, signal: r.signal, output: output, timedOut: r.timedOut)
    }

    /// Runs `executable` (default `argv[0]`, an absolute path) with `argv` like ``run(_:environment:timeoutMs:maxOutputBytes:)``
    /// (stdin /dev/null, its own process group, no shell), handing its interleaved stdout and stderr to
    /// `onOutput` as it comes: in chunks of at most `chunkBytes`, at the latest `flushIntervalMs` after
    /// the first byte of a chunk arrived, in order. Output beyond `maxOutputBytes` is read and
    /// discarded (`truncated`). `isCancelled` is polled at least every 100 ms; when it answers true, or
    /// after `timeoutMs`, the whole process group is killed with SIGKILL. `onStart` receives the pid.
    /// Runs on the calling thread; throws only when the program cannot be started.
    public static func stream(argv: [String], executable: String? = nil, environment: [String] = defaultEnvironment,
                              timeoutMs: Int, maxOutputBytes: Int = 256 * 1024, flushIntervalMs: Int = 250,
                              chunkBytes: Int = 16 * 1024, onStart: (Int32) -> Void = { _ in },
                              onOutput: ([UInt8]) -> Void, isCancelled: () -> Bool = { false }) throws(AgentError) -> StreamedProcessResult {
        guard let first = argv.first, !first.isEmpty else { throw AgentError("empty command") }
        let program = executable ?? first
        let started = WallClock.monotonicNs()
        let (pid, readEnd) = try spawn(program: program, argv: argv, environment: environment)
        defer { close(readEnd) }
        onStart(pid)

        let deadline = started + UInt64(max(0, timeoutMs)) * 1_000_000
        let flushNs = UInt64(max(1, flushIntervalMs)) * 1_000_000
        let chunkLimit = max(1, chunkBytes)
        var result = StreamedProcessResult(pid: pid)
        var pending: [UInt8] = []
        var pendingSince: UInt64 = 0
        var buf = [UInt8](repeating: 0, count: 16384)
        var open = true
        var exited = false
        var exitedAt: UInt64 = 0
        var status: Int32 = 0

        func flush() {
            guard !pending.isEmpty else { return }
            onOutput(pending)
            pending.removeAll(keepingCapacity: true)
        }

        while true {
            var now = WallClock.monotonicNs()
            if !exited {
                let r = waitpid(pid, &status, WNOHANG)
                if r == pid { exited = true; exitedAt = now }
                // ECHILD: someone else reaped it (cannot happen with pid-specific waits); treat as gone.
                if r < 0 && errno == ECHILD { exited = true; exitedAt = now; status = 0 }
            }
            // Done when the child has exited and its output is closed, or shortly after it exited when
            // something it left behind still holds the pipe.
            if exited && (!open || now - exitedAt >= 500_000_000) { break }
            if isCancelled() { result.cancelled = true; break }
            if now >= deadline { result.timedOut = true; break }
            var waitNs = min(deadline - now, 100_000_000)
            if !pending.isEmpty { waitNs = min(waitNs, (pendingSince + flushNs) > now ? pendingSince + flushNs - now : 0) }
            if exited { waitNs = min(waitNs, 10_000_000) }
            if open {
                var p = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
                let n = poll(&p, 1, Int32(waitNs / 1_000_000) + (waitNs % 1_000_000 > 0 ? 1 : 0))
                if n > 0 {
                    let got = buf.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                    if got > 0 {
                        result.outputBytes += got
                        let room = maxOutputBytes - (result.outputBytes - got)
                        if room <= 0 {
                            result.truncated = true
                        } else {
                            var offset = 0
                            let keep = min(got, room)
                            if keep < got { result.truncated = true }
                            while offset < keep {
                                if pending.isEmpty { pendingSince = WallClock.monotonicNs() }
                                let take = min(keep - offset, chunkLimit - pending.count)
                                pending.append(contentsOf: buf[offset..<(offset + take)])
                                offset += take
                                if pending.count >= chunkLimit { flush() }
                            }
                        }
                    } else if got == 0 || (errno != EINTR && errno != EAGAIN) {
                        open = false
                    }
                }
            } else if waitNs > 0 {
                usleep(UInt32(min(waitNs, 10_000_000) / 1000))
            }
            now = WallClock.monotonicNs()
            if !pending.isEmpty && now >= pendingSince + flushNs { flush() }
        }
        flush()
        if !exited {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        } else if result.cancelled || result.timedOut {
            kill(-pid, SIGKILL)   // leftovers of an exited step
        }
        let sig = status & 0x7f
        if sig == 0 { result.exitCode = (status >> 8) & 0xff } else { result.signal = sig }
        result.durationMs = Int64((WallClock.monotonicNs() - started) / 1_000_000)
        return result
    }

    /// Starts `program` with `argv` and `environment` (stdin /dev/null, stdout and stderr into a pipe,
    /// own process group, default signal dispositions and an empty mask). Returns the pid and the read
    /// end of the pipe.
    private static func spawn(program: String, argv: [String], environment: [String]) throws(AgentError) -> (Int32, Int32) {
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
        return (pid, readEnd)
    }
}

/// How a child run by ``ProcessRunner/stream(argv:executable:environment:timeoutMs:maxOutputBytes:flushIntervalMs:chunkBytes:onStart:onOutput:isCancelled:)`` ended.
public struct StreamedProcessResult: Sendable, Equatable {
    public var pid: Int32
    /// Exit status when it exited normally.
    public var exitCode: Int32?
    /// The signal that killed it, if one did.
    public var signal: Int32?
    /// Killed for running past its timeout.
    public var timedOut = false
    /// Killed because `isCancelled` answered true.
    public var cancelled = false
    /// Bytes the child wrote, including any discarded beyond the cap.
    public var outputBytes = 0
    /// Output beyond the cap was discarded.
    public var truncated = false
    /// Wall time from start to end.
    public var durationMs: Int64 = 0

    public init(pid: Int32) {
        self.pid = pid
    }

    /// Exited with status 0.
    public var succeeded: Bool { exitCode == 0 && !timedOut && !cancelled }
}

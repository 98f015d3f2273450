import Glibc

/// A self-pipe: any thread (or a signal handler) writes a byte to wake the UI loop's `poll()`.
final class WakePipe: Sendable {
    /// The byte a terminating signal writes.
    static let terminateByte: UInt8 = 0x54 // "T"
    /// The byte ordinary wake-ups write.
    static let wakeByte: UInt8 = 0x57 // "W"

    let readFD: Int32
    let writeFD: Int32

    init() throws(ConsoleError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw ConsoleError("cannot create the wake pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        readFD = fds[0]
        writeFD = fds[1]
    }

    deinit {
        close(readFD)
        close(writeFD)
    }

    /// Wakes the loop (never blocks; a full pipe already means "awake").
    func wake(_ byte: UInt8 = WakePipe.wakeByte) {
        var b = byte
        _ = write(writeFD, &b, 1)
    }

    /// Reads every pending byte; returns whether a terminate byte was among them.
    func drain() -> Bool {
        var terminate = false
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let n = read(readFD, &buffer, buffer.count)
            if n <= 0 { break }
            if buffer[0..<n].contains(Self.terminateByte) { terminate = true }
        }
        return terminate
    }
}

#if canImport(Glibc)
import Glibc
#endif
import VigilWire

/// A log file the agent follows.
public struct LogFileConfig: Sendable, Equatable {
    /// Absolute path; also the `source` of every line shipped from it.
    public var path: String
    /// Ship the file's existing content on the very first start instead of beginning at its end.
    public var fromStart: Bool

    public init(path: String, fromStart: Bool = false) {
        self.path = path
        self.fromStart = fromStart
    }
}

/// Follows log files like `tail -F`, turning complete lines into ``LogEntry`` values.
///
/// - Offsets survive restarts: ``saveState()`` writes them (atomically) to `tail-offsets` in the state
///   directory, and a new instance resumes there when the file is still the same inode.
/// - A file seen for the first time is read from its end (old history is not shipped) unless
///   `fromStart` is set; a file that appears after the agent started is read from its beginning.
/// - Rotation (the path now names another inode): the old file is read to its end, then the new one
///   from offset 0. Truncation (size below the offset, `copytruncate`): reading restarts at 0.
/// - A partial last line waits for its newline. Lines longer than `maxLineBytes` are cut and end with
///   ``truncationSuffix``; the rest of such a line is skipped.
/// - Each ``poll(nowMs:)`` returns at most `maxLinesPerCycle` lines and reads at most
///   `maxBytesPerCycle` bytes, shared fairly between files; the rest waits for the next poll.
///
/// Not thread-safe: use from one thread.
public final class LogTailer {
    /// Appended to a line cut at `maxLineBytes`.
    public static let truncationSuffix = "…[truncated]"
    /// Name of the offsets file in the state directory.
    public static let stateFileName = "tail-offsets"

    public let maxLineBytes: Int
    public let maxLinesPerCycle: Int
    public let maxBytesPerCycle: Int
    private let statePath: String?
    private var files: [Tracked]

    private struct Saved {
        var dev: UInt64
        var ino: UInt64
        var offset: UInt64
    }

    private final class Tracked {
        let path: String
        let fromStart: Bool
        var fd: Int32 = -1
        var dev: UInt64 = 0
        var ino: UInt64 = 0
        /// Position of the next byte to read.
        var offset: UInt64 = 0
        /// Bytes of an unfinished line (already read, before `offset`).
        var pending: [UInt8] = []
        /// Discarding the rest of a line that was cut at the length cap.
        var skipping = false
        /// The next open starts at 0: the file did not exist when we last looked.
        var startAtZero = false
        var saved: Saved?

        init(path: String, fromStart: Bool) {
            self.path = path
            self.fromStart = fromStart
        }

        /// The offset to resume from after a restart: the start of the unfinished line.
        var committedOffset: UInt64 { offset - UInt64(skipping ? 0 : pending.count) }
    }

    /// Creates a tailer and opens the files that exist (so lines written from now on are shipped).
    /// With `stateDirectory` nil nothing is remembered across instances.
    public init(files: [LogFileConfig], stateDirectory: String?, maxLineBytes: Int = 8192,
                maxLinesPerCycle: Int = 5000, maxBytesPerCycle: Int = 4 * 1024 * 1024) {
        self.maxLineBytes = max(16, maxLineBytes)
        self.maxLinesPerCycle = max(1, maxLinesPerCycle)
        self.maxBytesPerCycle = max(4096, maxBytesPerCycle)
        self.statePath = stateDirectory.map { $0 + "/" + LogTailer.stateFileName }
        self.files = files.map { Tracked(path: $0.path, fromStart: $0.fromStart) }
        let saved = statePath.map(Self.loadState) ?? [:]
        for f in self.files {
            f.saved = saved[f.path]
            if !FileSystem.exists(f.path) { f.startAtZero = true }
            openIfNeeded(f)
        }
    }

    deinit {
        for f in files where f.fd >= 0 { close(f.fd) }
    }

    /// Reads what was appended since the last poll and returns the complete lines, stamped `nowMs`.
    public func poll(nowMs: Int64) -> [LogEntry] {
        var out: [LogEntry] = []
        guard !files.isEmpty else { return out }
        let lineBudget = max(1, maxLinesPerCycle / files.count)
        let byteBudget = max(4096, maxBytesPerCycle / files.count)
        for f in files {
            var budget = Budget(lines: lineBudget, bytes: byteBudget)
            follow(f, nowMs: nowMs, budget: &budget, into: &out)
        }
        return out
    }

    /// Writes every file's resume offset to the state directory (atomically). Call after the lines
    /// returned so far are safely spooled, and before exiting.
    public func saveState() throws(AgentError) {
        guard let statePath else { return }
        var text = ""
        for f in files {
            if f.fd >= 0 {
                text += "\(f.dev) \(f.ino) \(f.committedOffset) \(f.path)\n"
            } else if let s = f.saved, !f.startAtZero {
                text += "\(s.dev) \(s.ino) \(s.offset) \(f.path)\n"
            }
        }
        try FileSystem.writeAtomically(statePath, Array(text.utf8))
    }

    // MARK: - Following one file

    private struct Budget {
        var lines: Int
        var bytes: Int
        var exhausted: Bool { lines <= 0 || bytes <= 0 }
    }

    private func follow(_ f: Tracked, nowMs: Int64, budget: inout Budget, into out: inout [LogEntry]) {
        if f.fd < 0 {
            openIfNeeded(f)
            guard f.fd >= 0 else { return }
        }
        var st = stat()
        if fstat(f.fd, &st) == 0, UInt64(st.st_size) < f.offset {
            // Truncated in place (copytruncate): start over.
            f.offset = 0
            f.pending.removeAll()
            f.skipping = false
        }
        readToEnd(f, nowMs: nowMs, budget: &budget, into: &out)
        if budget.exhausted { return }
        // At the end of the open file: has the path moved on to another file?
        var current = stat()
        if stat(f.path, &current) != 0 {
            f.startAtZero = true   // Rotated away and not yet recreated: whatever appears next is new.
            return
        }
        if UInt64(current.st_ino) != f.ino || UInt64(current.st_dev) != f.dev {
            if !f.pending.isEmpty && !f.skipping {
                emit(f.pending[...], from: f, nowMs: nowMs, truncated: false, into: &out)
            }
            close(f.fd)
            f.fd = -1
            f.pending.removeAll()
            f.skipping = false
            f.startAtZero = true
            f.saved = nil
            openIfNeeded(f)
            if f.fd >= 0 { readToEnd(f, nowMs: nowMs, budget: &budget, into: &out) }
        }
    }

    private func openIfNeeded(_ f: Tracked) {
        guard f.fd < 0 else { return }
        let fd = open(f.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return
        }
        f.fd = fd
        f.dev = UInt64(st.st_dev)
        f.ino = UInt64(st.st_ino)
        let size = UInt64(st.st_size)
        if let s = f.saved, s.dev == f.dev, s.ino == f.ino {
            f.offset = s.offset <= size ? s.offset : 0
        } else if f.saved != nil || f.startAtZero || f.fromStart {
            f.offset = 0
        } else {
            f.offset = size
        }
        f.saved = nil
        f.startAtZero = false
        f.pending.removeAll()
        f.skipping = false
    }

    private func readToEnd(_ f: Tracked, nowMs: Int64, budget: inout Budget, into out: inout [LogEntry]) {
        let chunkSize = 64 * 1024
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        while !budget.exhausted {
            let want = min(chunkSize, budget.bytes)
            let n = chunk.withUnsafeMutableBytes { pread(f.fd, $0.baseAddress, want, off_t(f.offset)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            budget.bytes -= n
            var lineStart = 0
            var i = 0
            while i < n {
                if chunk[i] == UInt8(ascii: "\n") {
                    if f.skipping {
                        f.skipping = false
                    } else {
                        f.pending.append(contentsOf: chunk[lineStart..<i])
                        emit(f.pending[...], from: f, nowMs: nowMs, truncated: false, into: &out)
                        budget.lines -= 1
                    }
                    f.pending.removeAll(keepingCapacity: true)
                    lineStart = i + 1
                    if budget.lines <= 0 {
                        // Stop right after this line; the rest of the chunk is read again next poll.
                        f.offset += UInt64(i + 1)
                        return
                    }
                } else if !f.skipping && f.pending.count + (i - lineStart) >= maxLineBytes {
                    f.pending.append(contentsOf: chunk[lineStart..<i])
                    emit(f.pending[...], from: f, nowMs: nowMs, truncated: true, into: &out)
                    budget.lines -= 1
                    f.pending.removeAll(keepingCapacity: true)
                    f.skipping = true
                    lineStart = i
                }
                i += 1
            }
            if !f.skipping { f.pending.append(contentsOf: chunk[lineStart..<n]) }
            f.offset += UInt64(n)
        }
    }

    private func emit(_ bytes: ArraySlice<UInt8>, from f: Tracked, nowMs: Int64, truncated: Bool,
                      into out: inout [LogEntry]) {
        var line = bytes
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        let message: String
        if truncated {
            line = Self.dropIncompleteUTF8(line.prefix(maxLineBytes))
            message = String(decoding: line, as: UTF8.self) + LogTailer.truncationSuffix
        } else {
            message = String(decoding: line, as: UTF8.self)
        }
        if !truncated && line.allSatisfy({ $0 == 32 || $0 == 9 }) { return }
        out.append(LogEntry(ts: nowMs, source: f.path, level: LogLevelDetector.detect(line), message: message))
    }

    /// `bytes` without a UTF-8 sequence cut short at its end.
    static func dropIncompleteUTF8(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var i = bytes.endIndex
        var back = 0
        while i > bytes.startIndex && back < 4 {
            i -= 1
            back += 1
            let b = bytes[i]
            if b & 0xC0 == 0x80 { continue }          // continuation byte: keep looking for the lead
            let length = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
            return length > back ? bytes[bytes.startIndex..<i] : bytes
        }
        return bytes
    }

    // MARK: - State file

    private static func loadState(_ path: String) -> [String: Saved] {
        guard let text = FileSystem.readText(path, limit: 1024 * 1024) else { return [:] }
        var out: [String: Saved] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard f.count == 4, let dev = UInt64(f[0]), let ino = UInt64(f[1]), let off = UInt64(f[2]) else { continue }
            out[String(f[3])] = Saved(dev: dev, ino: ino, offset: off)
        }
        return out
    }
}

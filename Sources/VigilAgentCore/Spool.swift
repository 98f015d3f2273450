#if canImport(Glibc)
import Glibc
#endif

/// One batch file in the spool.
public struct SpoolEntry: Sendable, Equatable, Comparable {
    /// File name inside the spool directory, e.g. `00000000000000000042.batch.gz` or, for the halves
    /// of a split batch, `00000000000000000042-1.batch.gz`.
    public let name: String
    /// Sequence number then split indices; entries are replayed in this order.
    public let key: [UInt64]
    /// Size of the file.
    public let bytes: Int

    public static func < (a: SpoolEntry, b: SpoolEntry) -> Bool { a.key.lexicographicallyPrecedes(b.key) }

    /// Parses a spool file name; nil for anything else (temporary files, strangers).
    static func parse(name: String, bytes: Int) -> SpoolEntry? {
        guard name.hasSuffix(Spool.suffix) else { return nil }
        let stem = name.dropLast(Spool.suffix.count)
        let parts = stem.split(separator: "-", omittingEmptySubsequences: false)
        var key: [UInt64] = []
        for p in parts {
            guard !p.isEmpty, let v = UInt64(p) else { return nil }
            key.append(v)
        }
        return key.isEmpty ? nil : SpoolEntry(name: name, key: key, bytes: bytes)
    }

    static func name(for key: [UInt64]) -> String {
        var s = String(key[0])
        s = String(repeating: "0", count: max(0, 20 - s.count)) + s
        for k in key.dropFirst() { s += "-\(k)" }
        return s + Spool.suffix
    }
}

/// A directory of batches waiting to be delivered: one gzip JSON request body per file, written
/// atomically (temporary file, fsync, rename), named by a monotonically increasing sequence number and
/// replayed oldest first.
///
/// Bounded by total bytes: appending beyond ``maxBytes`` deletes the oldest batches and counts them in
/// ``droppedBatches``. Survives restarts: a new instance on the same directory picks up where the last
/// one stopped. Not thread-safe; one process per directory.
public final class Spool {
    static let suffix = ".batch.gz"

    public let directory: String
    public let maxBytes: Int
    /// Waiting batches, oldest first.
    public private(set) var entries: [SpoolEntry] = []
    /// Sum of the sizes of ``entries``.
    public private(set) var totalBytes = 0
    /// Batches deleted unsent to stay within ``maxBytes`` since this instance was created.
    public private(set) var droppedBatches = 0
    private var nextSequence: UInt64 = 1

    /// Opens (creating it if needed) the spool in `directory`, removing leftovers of interrupted writes.
    public init(directory: String, maxBytes: Int = 64 * 1024 * 1024) throws(AgentError) {
        self.directory = directory
        self.maxBytes = max(1, maxBytes)
        try FileSystem.makeDirectories(directory)
        guard let names = FileSystem.listDirectory(directory) else {
            throw AgentError.system("cannot list spool directory", path: directory, errno: errno)
        }
        for name in names {
            let path = directory + "/" + name
            if name.hasSuffix(".tmp") { FileSystem.remove(path); continue }
            var st = stat()
            guard stat(path, &st) == 0, let e = SpoolEntry.parse(name: name, bytes: Int(st.st_size)) else { continue }
            entries.append(e)
            totalBytes += e.bytes
            nextSequence = max(nextSequence, e.key[0] + 1)
        }
        entries.sort()
    }

    /// The batch to deliver next.
    public var oldest: SpoolEntry? { entries.first }

    /// Number of waiting batches.
    public var count: Int { entries.count }

    /// Stores one request body. Returns how many batches were dropped to make room (the oldest ones;
    /// the new batch itself when it alone exceeds ``maxBytes``).
    @discardableResult
    public func append(_ body: [UInt8]) throws(AgentError) -> Int {
        if body.count > maxBytes {
            droppedBatches += 1
            return 1
        }
        var dropped = 0
        while totalBytes + body.count > maxBytes, let first = entries.first {
            remove(first)
            dropped += 1
        }
        droppedBatches += dropped
        let key = [nextSequence]
        nextSequence += 1
        let name = SpoolEntry.name(for: key)
        try FileSystem.writeAtomically(directory + "/" + name, body)
        let entry = SpoolEntry(name: name, key: key, bytes: body.count)
        entries.append(entry)
        totalBytes += body.count
        return dropped
    }

    /// The stored body of `entry`.
    public func read(_ entry: SpoolEntry) throws(AgentError) -> [UInt8] {
        guard let bytes = FileSystem.readBytes(directory + "/" + entry.name) else {
            throw AgentError.system("cannot read spooled batch", path: directory + "/" + entry.name, errno: errno)
        }
        return bytes
    }

    /// Deletes `entry` (delivered, or given up on).
    public func remove(_ entry: SpoolEntry) {
        FileSystem.remove(directory + "/" + entry.name)
        if let i = entries.firstIndex(of: entry) {
            entries.remove(at: i)
            totalBytes -= entry.bytes
        }
    }

    /// Replaces `entry` by `parts`, which take its place in the replay order (used to split a batch
    /// the listener found too large). The parts are written before the original is deleted.
    public func replace(_ entry: SpoolEntry, with parts: [[UInt8]]) throws(AgentError) {
        guard let index = entries.firstIndex(of: entry) else { return }
        var created: [SpoolEntry] = []
        for (i, body) in parts.enumerated() {
            let key = entry.key + [UInt64(i + 1)]
            let name = SpoolEntry.name(for: key)
            do {
                try FileSystem.writeAtomically(directory + "/" + name, body)
            } catch {
                for c in created { FileSystem.remove(directory + "/" + c.name) }
                throw error
            }
            created.append(SpoolEntry(name: name, key: key, bytes: body.count))
        }
        FileSystem.remove(directory + "/" + entry.name)
        FileSystem.syncDirectory(containing: directory + "/" + entry.name)
        entries.replaceSubrange(index...index, with: created)
        totalBytes += created.reduce(0) { $0 + $1.bytes } - entry.bytes
    }
}

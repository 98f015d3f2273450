#if canImport(Glibc)
import Glibc
#endif

/// Which files disk-cleanup removes: regular files whose mtime is more than `olderThanDays` days before now
/// and, when `largerThanBytes` is set, whose size is larger than that.
public struct CleanupCriteria: Sendable, Equatable {
    public var olderThanDays: Int
    public var largerThanBytes: Int64?

    public init(olderThanDays: Int, largerThanBytes: Int64? = nil) {
        self.olderThanDays = olderThanDays
        self.largerThanBytes = largerThanBytes
    }

    /// True when a regular file of `size` bytes last modified at `mtime` (Unix seconds) is selected at `now`.
    public func selects(size: Int64, mtime: Int64, now: Int64) -> Bool {
        guard mtime < now - Int64(olderThanDays) * 86_400 else { return false }
        if let largerThanBytes, size <= largerThanBytes { return false }
        return true
    }
}

/// One file disk-cleanup would remove, located by the directory names leading to it from the root.
public struct CleanupCandidate: Sendable, Equatable {
    /// Directory names from the root to the file's directory (raw bytes).
    public var directories: [[UInt8]]
    /// The file's name (raw bytes).
    public var name: [UInt8]
    public var size: Int64
    /// Allocated bytes (what removing it frees, when it has no other links).
    public var allocated: Int64
    public var links: Int
    public var mtime: Int64
    public var device: UInt64
    public var inode: UInt64

    /// The path relative to the root, safe to print.
    public var shownRelativePath: String {
        StepText.shown(Array((directories + [name]).joined(separator: [UInt8(ascii: "/")])))
    }
}

/// What disk-cleanup found under one directory: the files it would remove and what it stepped around.
/// The dry run prints it; the real run removes exactly these files after re-checking each one.
public struct CleanupPlan: Sendable, Equatable {
    /// The resolved directory.
    public var root: String
    public var rootDevice: UInt64
    public var rootInode: UInt64
    public var candidates: [CleanupCandidate] = []
    /// Symbolic links seen (never followed, never removed).
    public var symlinksSkipped = 0
    /// Directories on another filesystem (not entered).
    public var otherFilesystemsSkipped = 0
    /// Entries that could not be examined, worded for the report.
    public var problems: [String] = []

    public var totalBytes: Int64 { candidates.reduce(0) { $0 + $1.size } }
}

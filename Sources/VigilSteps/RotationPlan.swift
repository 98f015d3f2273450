/// What log-rotate found in one log directory: the files at or over the size limit, and for each the
/// renames that keep at most `keep` compressed generations.
public struct RotationPlan: Sendable, Equatable {
    /// One file to rotate.
    public struct File: Sendable, Equatable {
        public var name: [UInt8]
        public var size: Int64
        public var device: UInt64
        public var inode: UInt64
        /// Generations `NAME.i.gz` present now (sorted).
        public var generations: [Int]

        public var shownName: String { StepText.shown(name) }
    }

    /// The resolved directory.
    public var directory: String
    public var device: UInt64
    public var inode: UInt64
    public var files: [File] = []
    /// Entries left alone and why (symbolic links, already-rotated names), for the report.
    public var skipped: [String] = []

    /// True for names that are already rotated or compressed (`x.1`, `x.2.gz`, `x.gz`, `x-20250101`), which
    /// are never rotated again.
    public static func isRotatedName(_ name: [UInt8]) -> Bool {
        let text = String(decoding: name, as: UTF8.self)
        for suffix in [".gz", ".xz", ".bz2", ".zst", ".zip", ".lz4", ".old", ".tmp"] where text.hasSuffix(suffix) {
            return true
        }
        // ".N" (digits) or "-YYYYMMDD" (logrotate dateext) at the end.
        let digits = name.reversed().prefix(while: { $0 >= 48 && $0 <= 57 }).count
        if digits > 0 && digits < name.count {
            let before = name[name.count - digits - 1]
            if before == UInt8(ascii: ".") { return true }
            if before == UInt8(ascii: "-") && digits >= 8 { return true }
        }
        return false
    }

    /// `NAME.i.gz` as bytes.
    public static func generationName(_ name: [UInt8], _ i: Int) -> [UInt8] {
        name + Array(".\(i).gz".utf8)
    }

    /// `NAME.1` (the uncompressed copy) as bytes.
    public static func copyName(_ name: [UInt8]) -> [UInt8] { name + Array(".1".utf8) }

    /// The renames, in order, that make room for a new `NAME.1.gz` while keeping at most `keep` generations:
    /// `(from, to)`, where `to == nil` means the generation is deleted. `present` lists the generations that exist.
    public static func shifts(present: [Int], keep: Int) -> [(from: Int, to: Int?)] {
        var ops: [(from: Int, to: Int?)] = []
        for g in present.sorted(by: >) {
            if g >= keep { ops.append((g, nil)) } else { ops.append((g, g + 1)) }
        }
        return ops
    }
}

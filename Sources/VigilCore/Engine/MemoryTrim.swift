import Foundation

/// glibc's allocator controls, looked up at run time (they are not in the module Swift imports; on another C
/// library they are absent and these do nothing).
public enum MemoryTrim {
    private typealias Trim = @convention(c) (Int) -> Int32
    private typealias Option = @convention(c) (Int32, Int32) -> Int32
    private static let trim: Trim? = {
        guard let p = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(p, to: Trim.self)
    }()
    private static let option: Option? = {
        guard let p = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return nil }
        return unsafeBitCast(p, to: Option.self)
    }()

    /// Returns free memory of every malloc arena to the system.
    public static func releaseFreeMemory() {
        _ = trim?(0)
    }

    /// glibc's `M_ARENA_MAX`.
    static let arenaMaxOption: Int32 = -8
    /// glibc's `M_TRIM_THRESHOLD`.
    static let trimThresholdOption: Int32 = -1
    /// Arenas this process's allocator may use.
    public static let arenas: Int32 = 2
    /// Free memory above this at the top of an arena is handed back to the system.
    public static let trimThreshold: Int32 = 128 * 1024

    /// Caps the allocator at `arenas` arenas, unless `MALLOC_ARENA_MAX` is set. glibc gives each thread that
    /// allocates under contention an arena of its own (up to 8 per core) and keeps what they free: under ingest with
    /// the default rules `vigil serve` peaked at 451–550 MiB, 279 MiB with two arenas, at the same rate.
    ///
    /// And fixes the trim threshold at 128 KiB, unless `MALLOC_TRIM_THRESHOLD_` is set. glibc starts there but raises
    /// it (to twice the largest block it has freed from `mmap`, up to 64 MiB) each time a large block is freed, after
    /// which arenas keep that much free memory at their top: setting it once turns the raising off. Under ingest with
    /// the default rules, peak RSS went from 598 to 575 MiB at the median of three runs, at the same CPU per sample
    /// (docs/BENCHMARKS.md).
    ///
    /// Call it first thing, before threads start.
    public static func configureAllocator(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if environment["MALLOC_ARENA_MAX"] == nil { _ = option?(arenaMaxOption, arenas) }
        if environment["MALLOC_TRIM_THRESHOLD_"] == nil { _ = option?(trimThresholdOption, trimThreshold) }
    }
}

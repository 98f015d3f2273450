#if canImport(Glibc)
import Glibc
#endif
import VigilAgentCore
import VigilWire

/// `disk-cleanup [--dir D…] (default: every allow_dir) [--older-than-days N=7] [--larger-than-mb M] [--journal-max-size SIZE] [--dry-run]`
public enum DiskCleanup {
    public static let name = "disk-cleanup"
    public static let usage = "disk-cleanup [--dir D…] [--older-than-days N=7] [--larger-than-mb M] [--journal-max-size 500M] [--dry-run]"

    static let options: [StepArguments.Option] = [
        .init("dir", .repeated), .init("older-than-days", .single), .init("larger-than-mb", .single),
        .init("journal-max-size", .single), .init("dry-run", .flag),
    ]

    /// Parsed and validated arguments.
    public struct Request: Sendable, Equatable {
        /// Resolved directories, each inside an allow or log directory.
        public var directories: [String]
        public var criteria: CleanupCriteria
        public var journalMaxSize: String?
        public var dryRun: Bool
    }

    static let maxDepth = 64
    static let maxEntries = 2_000_000

    /// Validates `args` against `policy`.
    public static func request(_ args: [String], policy: StepPolicy) throws(StepError) -> Request {
        let parsed = try StepArguments.parse(args, options: options, program: name)
        let days = try parsed.value("older-than-days").map { v throws(StepError) in
            try ArgumentValidator.integer(v, argument: "--older-than-days", range: 1...36_500)
        } ?? 7
        let larger = try parsed.value("larger-than-mb").map { v throws(StepError) in
            Int64(try ArgumentValidator.integer(v, argument: "--larger-than-mb", range: 0...16_777_216)) * 1_048_576
        }
        let journal = try parsed.value("journal-max-size").map { v throws(StepError) in
            try ArgumentValidator.journalSize(v, argument: "--journal-max-size")
        }
        // No --dir: every allow-listed directory that exists (temp dirs, package caches). Log directories are
        // cleaned only when named: an old-looking log may still be open.
        let rawDirs = parsed.all("dir").isEmpty ? policy.allowDirs.filter { FileSystemProbe.isDirectory($0) } : parsed.all("dir")
        guard !rawDirs.isEmpty || journal != nil else { throw .usage("--dir: none given and no allow_dirs exist on this host (or give --journal-max-size)") }
        var dirs: [String] = []
        for d in rawDirs {
            let resolved = try AllowedDirectory.check(d, argument: "--dir", roots: policy.allowDirs + policy.logDirs,
                                                      rootsName: "allow_dirs + log_dirs")
            if !dirs.contains(resolved) { dirs.append(resolved) }
        }
        return Request(directories: dirs, criteria: CleanupCriteria(olderThanDays: days, largerThanBytes: larger),
                       journalMaxSize: journal, dryRun: parsed.has("dry-run"))
    }

    /// Walks `root` (resolved) without following links or leaving its filesystem and lists the selected files.
    public static func plan(root: String, criteria: CleanupCriteria, now: Int64) throws(StepError) -> CleanupPlan {
        let handle = try DirectoryHandle.open(path: root)
        var plan = CleanupPlan(root: root, rootDevice: handle.device, rootInode: handle.inode)
        var seen = 0
        walk(handle, path: [], criteria: criteria, now: now, plan: &plan, seen: &seen)
        return plan
    }

    private static func walk(_ dir: DirectoryHandle, path: [[UInt8]], criteria: CleanupCriteria, now: Int64,
                             plan: inout CleanupPlan, seen: inout Int) {
        guard let names = dir.entries() else {
            plan.problems.append("cannot list \(shown(plan.root, path)): \(FileSystem.errorText(errno))")
            return
        }
        for name in names.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            seen += 1
            if seen > maxEntries {
                if seen == maxEntries + 1 { plan.problems.append("stopped after \(maxEntries) entries") }
                return
            }
            guard let st = dir.status(name) else {
                plan.problems.append("cannot stat \(shown(plan.root, path + [name])): \(FileSystem.errorText(errno))")
                continue
            }
            if st.isSymlink {
                plan.symlinksSkipped += 1
            } else if st.isDirectory {
                guard UInt64(st.st_dev) == plan.rootDevice else {
                    plan.otherFilesystemsSkipped += 1
                    continue
                }
                guard path.count < maxDepth else {
                    plan.problems.append("not entering \(shown(plan.root, path + [name])): deeper than \(maxDepth) levels")
                    continue
                }
                guard let child = dir.openChild(name) else {
                    plan.problems.append("cannot open \(shown(plan.root, path + [name])): \(FileSystem.errorText(errno))")
                    continue
                }
                // The entry may have been swapped between the stat and the open.
                guard child.device == plan.rootDevice, child.inode == UInt64(st.st_ino) else {
                    plan.problems.append("\(shown(plan.root, path + [name])) changed while scanning; skipped")
                    continue
                }
                walk(child, path: path + [name], criteria: criteria, now: now, plan: &plan, seen: &seen)
            } else if st.isRegular && UInt64(st.st_dev) == plan.rootDevice {
                let size = Int64(st.st_size)
                let mtime = Int64(st.st_mtim.tv_sec)
                if criteria.selects(size: size, mtime: mtime, now: now) {
                    plan.candidates.append(CleanupCandidate(
                        directories: path, name: name, size: size, allocated: Int64(st.st_blocks) * 512,
                        links: Int(st.st_nlink), mtime: mtime, device: UInt64(st.st_dev), inode: UInt64(st.st_ino)))
                }
            }
        }
    }

    static func shown(_ root: String, _ path: [[UInt8]]) -> String {
        path.isEmpty ? StepText.shown(root)
            : StepText.shown(root) + "/" + StepText.shown(Array(path.joined(separator: [UInt8(ascii: "/")])))
    }

    /// The outcome of removing a plan's files.
    public struct Removal: Sendable, Equatable {
        public var removed = 0
        public var bytes: Int64 = 0
        /// Files left alone because they changed since the plan, or could not be removed.
        public var notes: [String] = []
    }

    /// Removes the plan's files. Each is reached again from the root through O_NOFOLLOW opens (same
    /// filesystem), and removed only if it is still the same regular file and still selected.
    public static func execute(_ plan: CleanupPlan, criteria: CleanupCriteria, now: Int64) -> Removal {
        var result = Removal()
        let root: DirectoryHandle
        do {
            root = try DirectoryHandle.open(path: plan.root)
        } catch {
            result.notes.append(error.message)
            return result
        }
        guard root.device == plan.rootDevice, root.inode == plan.rootInode else {
            result.notes.append("\(StepText.shown(plan.root)) was replaced since the scan; nothing removed")
            return result
        }
        var cache: [[[UInt8]]: DirectoryHandle] = [[]: root]
        for c in plan.candidates {
            guard let dir = directory(c.directories, root: root, cache: &cache) else {
                result.notes.append("kept \(c.shownRelativePath): its directory changed or cannot be opened")
                continue
            }
            guard let st = dir.status(c.name), st.isRegular, UInt64(st.st_dev) == c.device, UInt64(st.st_ino) == c.inode else {
                result.notes.append("kept \(c.shownRelativePath): changed since the scan")
                continue
            }
            guard criteria.selects(size: Int64(st.st_size), mtime: Int64(st.st_mtim.tv_sec), now: now) else {
                result.notes.append("kept \(c.shownRelativePath): modified since the scan")
                continue
            }
            if dir.unlink(c.name) {
                result.removed += 1
                if st.st_nlink <= 1 { result.bytes += Int64(st.st_size) }
            } else {
                result.notes.append("cannot remove \(c.shownRelativePath): \(FileSystem.errorText(errno))")
            }
        }
        return result
    }

    private static func directory(_ path: [[UInt8]], root: DirectoryHandle,
                                  cache: inout [[[UInt8]]: DirectoryHandle]) -> DirectoryHandle? {
        if let d = cache[path] { return d }
        guard let parent = directory(Array(path.dropLast()), root: root, cache: &cache),
              let child = parent.openChild(path[path.count - 1]), child.device == root.device else { return nil }
        // Keep the cache small: only the current chain of directories is useful (candidates are in walk order).
        if cache.count > 256 { cache = [[]: root] }
        cache[path] = child
        return child
    }

    /// Runs the program.
    public static func run(_ args: [String], policy: StepPolicy, out: StepOutput) -> Int32 {
        let request: Request
        do {
            request = try self.request(args, policy: policy)
        } catch {
            out.line("\(name): \(error.message)")
            return error.exitCode
        }
        let now = Int64(WallClock.nowMs() / 1000)
        let verb = request.dryRun ? "would remove" : "removed"
        var failed = false
        var totalFiles = 0
        var totalBytes: Int64 = 0
        for dir in request.directories {
            let plan: CleanupPlan
            do {
                plan = try self.plan(root: dir, criteria: request.criteria, now: now)
            } catch {
                out.line("\(StepText.shown(dir)): \(error.message)")
                failed = true
                continue
            }
            for c in plan.candidates.prefix(200) {
                out.line("  \(request.dryRun ? "would remove" : "remove") \(StepText.shown(dir))/\(c.shownRelativePath) "
                    + "(\(StepText.bytes(c.size)), \(age(c.mtime, now: now)))")
            }
            if plan.candidates.count > 200 { out.line("  … and \(plan.candidates.count - 200) more files") }
            for p in plan.problems.prefix(20) { out.line("  note: \(p)") }
            if plan.symlinksSkipped > 0 { out.line("  skipped \(plan.symlinksSkipped) symbolic link(s) (never followed or removed)") }
            if plan.otherFilesystemsSkipped > 0 {
                out.line("  skipped \(plan.otherFilesystemsSkipped) directory(ies) on another filesystem")
            }
            if request.dryRun {
                out.line("\(StepText.shown(dir)): \(verb) \(plan.candidates.count) file(s), \(StepText.bytes(plan.totalBytes))")
                totalFiles += plan.candidates.count
                totalBytes += plan.totalBytes
            } else {
                let removal = execute(plan, criteria: request.criteria, now: now)
                for n in removal.notes.prefix(50) { out.line("  note: \(n)") }
                out.line("\(StepText.shown(dir)): \(verb) \(removal.removed) file(s), freed \(StepText.bytes(removal.bytes))")
                totalFiles += removal.removed
                totalBytes += removal.bytes
                if removal.removed < plan.candidates.count && removal.notes.contains(where: { $0.hasPrefix("cannot") }) {
                    failed = true
                }
            }
        }
        if let size = request.journalMaxSize {
            let argv = [policy.journalctl, "--vacuum-size=\(size)"]
            if request.dryRun {
                out.line("would run: \(StepText.command(argv))")
            } else if !ToolRunner.run(argv, timeoutMs: 120_000, out: out).succeeded {
                failed = true
            }
        }
        let summary = "\(name): \(verb) \(totalFiles) file(s), \(StepText.bytes(totalBytes)) in \(request.directories.count) director\(request.directories.count == 1 ? "y" : "ies")"
        out.line(summary + (failed ? " (with failures)" : ""))
        return failed ? 1 : 0
    }

    static func age(_ mtime: Int64, now: Int64) -> String {
        let days = max(0, now - mtime) / 86_400
        return "modified \(days) day(s) ago"
    }
}

#if canImport(Glibc)
import Glibc
#endif
import VigilAgentCore
import VigilWire

/// `log-rotate --dir D [--dir D…] --max-size-mb M [--keep K=5] [--dry-run]`: copytruncate rotation of the
/// regular files at the top of each log directory that are at least M MiB.
public enum LogRotate {
    public static let name = "log-rotate"
    public static let usage = "log-rotate [--dir D…] --max-size-mb M [--keep K=5] [--dry-run]   (default dirs: every log_dir; or --logrotate-config PATH)"

    static let options: [StepArguments.Option] = [
        .init("dir", .repeated), .init("max-size-mb", .single), .init("keep", .single), .init("dry-run", .flag),
    ]

    /// Compressed in members of this many bytes (a valid multi-member gzip file), so memory stays bounded.
    static let memberBytes = 4 * 1_048_576
    /// Generations beyond this are never looked for.
    static let maxKeep = 100

    public struct Request: Sendable, Equatable {
        public var directories: [String]
        public var minBytes: Int64
        public var keep: Int
        public var dryRun: Bool
    }

    public static func request(_ args: [String], policy: StepPolicy) throws(StepError) -> Request {
        let parsed = try StepArguments.parse(args, options: options, program: name)
        let mb = try ArgumentValidator.integer(try parsed.required("max-size-mb"), argument: "--max-size-mb", range: 1...16_777_216)
        let keep = try parsed.value("keep").map { v throws(StepError) in
            try ArgumentValidator.integer(v, argument: "--keep", range: 1...maxKeep)
        } ?? 5
        // No --dir: every configured log directory that exists.
        let raw = parsed.all("dir").isEmpty ? policy.logDirs.filter { FileSystemProbe.isDirectory($0) } : parsed.all("dir")
        guard !raw.isEmpty else { throw .usage("--dir: none given and no log_dirs are configured on this host") }
        var dirs: [String] = []
        for d in raw {
            let resolved = try AllowedDirectory.check(d, argument: "--dir", roots: policy.logDirs, rootsName: "log_dirs")
            if !dirs.contains(resolved) { dirs.append(resolved) }
        }
        return Request(directories: dirs, minBytes: Int64(mb) * 1_048_576, keep: keep, dryRun: parsed.has("dry-run"))
    }

    /// Lists the files of `directory` (resolved) that are at least `minBytes`.
    public static func plan(directory: String, minBytes: Int64) throws(StepError) -> RotationPlan {
        let dir = try DirectoryHandle.open(path: directory)
        var plan = RotationPlan(directory: directory, device: dir.device, inode: dir.inode)
        guard let names = dir.entries() else {
            throw .failed("cannot list \(StepText.shown(directory)): \(FileSystem.errorText(errno))")
        }
        for name in names.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            guard let st = dir.status(name) else { continue }
            if st.isSymlink {
                plan.skipped.append("\(StepText.shown(name)): symbolic link, not followed")
                continue
            }
            guard st.isRegular, Int64(st.st_size) >= minBytes else { continue }
            if RotationPlan.isRotatedName(name) {
                plan.skipped.append("\(StepText.shown(name)): already a rotated file")
                continue
            }
            var generations: [Int] = []
            for i in 1...maxKeep + 1 where dir.status(RotationPlan.generationName(name, i)) != nil {
                generations.append(i)
            }
            plan.files.append(.init(name: name, size: Int64(st.st_size), device: UInt64(st.st_dev),
                                    inode: UInt64(st.st_ino), generations: generations))
        }
        return plan
    }

    /// Rotates one planned file; returns the size after truncation, or throws what went wrong.
    public static func rotate(_ file: RotationPlan.File, in dir: DirectoryHandle, keep: Int) throws(StepError) -> Int64 {
        let shown = file.shownName
        guard let (fd, st) = dir.openFile(file.name, flags: O_RDWR) else {
            throw .failed("\(shown): cannot open: \(FileSystem.errorText(errno))")
        }
        defer { close(fd) }
        guard UInt64(st.st_dev) == file.device, UInt64(st.st_ino) == file.inode else {
            throw .failed("\(shown): replaced since the scan; left alone")
        }
        let copy = RotationPlan.copyName(file.name)
        if dir.status(copy) != nil {
            throw .failed("\(shown): \(StepText.shown(copy)) already exists (left by an interrupted rotation?); "
                + "compress or move it first")
        }
        // Make room: drop the oldest generation(s), shift the rest up by one.
        var present: [Int] = []
        for i in 1...maxKeep + 1 {
            guard let g = dir.status(RotationPlan.generationName(file.name, i)) else { continue }
            guard !g.isDirectory else {
                throw .failed("\(shown): \(StepText.shown(RotationPlan.generationName(file.name, i))) is a directory; left alone")
            }
            present.append(i)
        }
        for op in RotationPlan.shifts(present: present, keep: keep) {
            let from = RotationPlan.generationName(file.name, op.from)
            if let to = op.to {
                guard dir.rename(from, to: RotationPlan.generationName(file.name, to)) else {
                    throw .failed("\(shown): cannot rename \(StepText.shown(from)): \(FileSystem.errorText(errno))")
                }
            } else {
                guard dir.unlink(from) else {
                    throw .failed("\(shown): cannot remove \(StepText.shown(from)): \(FileSystem.errorText(errno))")
                }
            }
        }
        // Copy, then truncate in place (writers keep their descriptor; the same inode continues).
        let mode = mode_t(st.st_mode & 0o666)
        let out = dir.createFile(copy, mode: mode)
        guard out >= 0 else { throw .failed("\(shown): cannot create \(StepText.shown(copy)): \(FileSystem.errorText(errno))") }
        var copied = false
        defer {
            close(out)
            if !copied { _ = dir.unlink(copy) }
        }
        _ = fchown(out, st.st_uid, st.st_gid)
        _ = fchmod(out, mode)
        try copyAll(from: fd, to: out, label: shown)
        guard fsync(out) == 0 else { throw .failed("\(shown): cannot fsync \(StepText.shown(copy)): \(FileSystem.errorText(errno))") }
        copied = true
        guard ftruncate(fd, 0) == 0 else {
            throw .failed("\(shown): copied to \(StepText.shown(copy)) but cannot truncate: \(FileSystem.errorText(errno))")
        }
        var after = stat()
        _ = fstat(fd, &after)
        try compress(copy, in: dir, owner: st, mode: mode, label: shown)
        return Int64(after.st_size)
    }

    static func copyAll(from src: Int32, to dst: Int32, label: String) throws(StepError) {
        var buf = [UInt8](repeating: 0, count: 256 * 1024)
        var offset: off_t = 0
        while true {
            let n = buf.withUnsafeMutableBytes { pread(src, $0.baseAddress, $0.count, offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .failed("\(label): read failed: \(FileSystem.errorText(errno))")
            }
            if n == 0 { return }
            try writeAll(dst, buf[0..<n], label: label)
            offset += off_t(n)
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>, label: String) throws(StepError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .failed("\(label): write failed: \(FileSystem.errorText(errno))")
            }
            done += n
        }
    }

    /// gzip `NAME.1` into `NAME.1.gz` (via a temporary name, fsynced, renamed), then remove `NAME.1`.
    static func compress(_ copy: [UInt8], in dir: DirectoryHandle, owner st: stat, mode: mode_t, label: String) throws(StepError) {
        let gz = copy + Array(".gz".utf8)
        let tmp = gz + Array(".tmp".utf8)
        if let t = dir.status(tmp), t.isRegular || t.isSymlink { _ = dir.unlink(tmp) }
        guard let (src, _) = dir.openFile(copy, flags: O_RDONLY) else {
            throw .failed("\(label): cannot reopen \(StepText.shown(copy)): \(FileSystem.errorText(errno))")
        }
        defer { close(src) }
        let dst = dir.createFile(tmp, mode: mode)
        guard dst >= 0 else { throw .failed("\(label): cannot create \(StepText.shown(tmp)): \(FileSystem.errorText(errno))") }
        var done = false
        defer {
            close(dst)
            if !done { _ = dir.unlink(tmp) }
        }
        _ = fchown(dst, st.st_uid, st.st_gid)
        _ = fchmod(dst, mode)
        var member = [UInt8]()
        member.reserveCapacity(memberBytes)
        var buf = [UInt8](repeating: 0, count: 256 * 1024)
        var wroteAny = false
        while true {
            let n = buf.withUnsafeMutableBytes { read(src, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .failed("\(label): read failed: \(FileSystem.errorText(errno))")
            }
            if n > 0 { member.append(contentsOf: buf[0..<n]) }
            if member.count >= memberBytes || (n == 0 && (!member.isEmpty || !wroteAny)) {
                let packed = Gzip.compress(member)
                guard !packed.isEmpty else { throw .failed("\(label): gzip failed") }
                try writeAll(dst, packed[...], label: label)
                wroteAny = true
                member.removeAll(keepingCapacity: true)
            }
            if n == 0 { break }
        }
        guard fsync(dst) == 0 else { throw .failed("\(label): cannot fsync \(StepText.shown(tmp)): \(FileSystem.errorText(errno))") }
        guard dir.rename(tmp, to: gz) else {
            throw .failed("\(label): cannot rename to \(StepText.shown(gz)): \(FileSystem.errorText(errno))")
        }
        done = true
        _ = dir.unlink(copy)
        _ = fsync(dir.fd)
    }

    public static func run(_ args: [String], policy: StepPolicy, out: StepOutput) -> Int32 {
        // `--logrotate-config PATH`: hand the rotation to logrotate itself (`logrotate-run --config PATH`).
        if let i = args.firstIndex(where: { $0 == "--logrotate-config" || $0.hasPrefix("--logrotate-config=") }) {
            let value = args[i].hasPrefix("--logrotate-config=") ? String(args[i].dropFirst("--logrotate-config=".count))
                : (i + 1 < args.count ? args[i + 1] : "")
            let rest = args.enumerated().filter { $0.offset != i && !($0.offset == i + 1 && !args[i].contains("=")) }.map(\.element)
            let extra = rest.filter { $0 == "--dry-run" }
            let ignored = rest.filter { $0 != "--dry-run" }
            if !ignored.isEmpty { out.line("\(name): --logrotate-config given; logrotate decides sizes and counts (ignoring \(ignored.joined(separator: " ")))") }
            return LogrotateRun.run(["--config", value] + extra, policy: policy, out: out)
        }
        let request: Request
        do {
            request = try self.request(args, policy: policy)
        } catch {
            out.line("\(name): \(error.message)")
            return error.exitCode
        }
        var rotated = 0
        var failures = 0
        for directory in request.directories {
            let plan: RotationPlan
            do {
                plan = try self.plan(directory: directory, minBytes: request.minBytes)
            } catch {
                out.line(error.message)
                failures += 1
                continue
            }
            for s in plan.skipped.prefix(50) { out.line("  skip \(StepText.shown(directory))/\(s)") }
            let handle: DirectoryHandle?
            if request.dryRun {
                handle = nil
            } else {
                do {
                    let h = try DirectoryHandle.open(path: directory)
                    guard h.device == plan.device, h.inode == plan.inode else {
                        out.line("\(StepText.shown(directory)): replaced since the scan; nothing rotated")
                        failures += 1
                        continue
                    }
                    handle = h
                } catch {
                    out.line(error.message)
                    failures += 1
                    continue
                }
            }
            for file in plan.files {
                let path = "\(StepText.shown(directory))/\(file.shownName)"
                let shifts = RotationPlan.shifts(present: file.generations, keep: request.keep)
                let dropped = shifts.filter { $0.to == nil }.map { "\(file.shownName).\($0.from).gz" }
                if let handle {
                    do {
                        let after = try rotate(file, in: handle, keep: request.keep)
                        rotated += 1
                        out.line("rotated \(path): \(StepText.bytes(file.size)) -> \(StepText.bytes(after)), "
                            + "copy in \(file.shownName).1.gz" + (dropped.isEmpty ? "" : ", dropped \(dropped.joined(separator: ", "))"))
                    } catch {
                        failures += 1
                        out.line("failed \(StepText.shown(directory))/\(error.message)")
                    }
                } else {
                    rotated += 1
                    out.line("would rotate \(path): \(StepText.bytes(file.size)) -> 0 B, copy to \(file.shownName).1.gz, "
                        + "shift \(shifts.count - dropped.count) older generation(s)"
                        + (dropped.isEmpty ? "" : ", drop \(dropped.joined(separator: ", "))"))
                }
            }
        }
        let verb = request.dryRun ? "would rotate" : "rotated"
        out.line("\(name): \(verb) \(rotated) file(s) of at least \(StepText.bytes(request.minBytes))"
            + (failures > 0 ? ", \(failures) failure(s)" : ""))
        return failures > 0 ? 1 : 0
    }
}

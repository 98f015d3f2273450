#if canImport(Glibc)
import Glibc
#endif
import VigilAgentCore

/// An open directory, reached without following any symbolic link, for `*at` calls on its entries.
/// Names are raw bytes (file names need not be UTF-8).
public final class DirectoryHandle {
    /// The open descriptor (O_DIRECTORY | O_NOFOLLOW).
    public let fd: Int32
    /// Device and inode of the directory.
    public let device: UInt64
    public let inode: UInt64

    private init(fd: Int32, device: UInt64, inode: UInt64) {
        self.fd = fd
        self.device = device
        self.inode = inode
    }

    deinit { close(fd) }

    static let directoryFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC

    /// Opens an absolute path one component at a time from `/`, each with O_NOFOLLOW: if any component is
    /// (or has become) a symbolic link, the open fails instead of following it.
    public static func open(path: String) throws(StepError) -> DirectoryHandle {
        guard path.hasPrefix("/") else { throw .usage("\(path): not an absolute path") }
        let rootFD = Glibc.open("/", directoryFlags)
        guard rootFD >= 0 else { throw .failed("cannot open /: \(FileSystem.errorText(errno))") }
        var current = try wrap(rootFD, path: "/")
        for component in path.split(separator: "/") {
            guard component != "." && component != ".." else { throw .usage("\(path): '.' and '..' are not allowed") }
            guard let next = current.openChild(Array(component.utf8)) else {
                let e = errno
                if e == ELOOP || e == ENOTDIR {
                    throw .usage("\(StepText.shown(path)): '\(StepText.shown(String(component)))' is a symbolic link or not a directory")
                }
                throw .failed("cannot open \(StepText.shown(path)): \(FileSystem.errorText(e))")
            }
            current = next
        }
        return current
    }

    private static func wrap(_ fd: Int32, path: String) throws(StepError) -> DirectoryHandle {
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw .failed("cannot stat \(StepText.shown(path)): \(FileSystem.errorText(e))")
        }
        return DirectoryHandle(fd: fd, device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    /// Opens the subdirectory `name` without following a link; nil (errno set) when it is not a directory,
    /// is a symbolic link, or cannot be opened.
    public func openChild(_ name: [UInt8]) -> DirectoryHandle? {
        let child = Self.withCName(name) { openat(fd, $0, Self.directoryFlags) }
        guard child >= 0 else { return nil }
        var st = stat()
        guard fstat(child, &st) == 0 else {
            let e = errno
            close(child)
            errno = e
            return nil
        }
        return DirectoryHandle(fd: child, device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    /// lstat of an entry (never follows a link).
    public func status(_ name: [UInt8]) -> stat? {
        var st = stat()
        let rc = Self.withCName(name) { fstatat(fd, $0, &st, AT_SYMLINK_NOFOLLOW) }
        return rc == 0 ? st : nil
    }

    /// The names in the directory, without `.` and `..`. Nil when it cannot be read.
    public func entries() -> [[UInt8]]? {
        let copy = dup(fd)
        guard copy >= 0 else { return nil }
        guard let dir = fdopendir(copy) else {
            close(copy)
            return nil
        }
        defer { closedir(dir) }
        rewinddir(dir)
        var names: [[UInt8]] = []
        while let entry = readdir(dir) {
            let name: [UInt8] = withUnsafePointer(to: &entry.pointee.d_name) { p in
                p.withMemoryRebound(to: UInt8.self, capacity: 256) { bytes in
                    var out: [UInt8] = []
                    var i = 0
                    while i < 256 && bytes[i] != 0 {
                        out.append(bytes[i])
                        i += 1
                    }
                    return out
                }
            }
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            names.append(name)
        }
        return names
    }

    /// Opens a regular file in this directory without following a link (O_NOFOLLOW | O_NONBLOCK, so a FIFO
    /// swapped in cannot block). Returns the descriptor and its status; nil (errno set) otherwise.
    public func openFile(_ name: [UInt8], flags: Int32) -> (fd: Int32, status: stat)? {
        let f = Self.withCName(name) { openat(fd, $0, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) }
        guard f >= 0 else { return nil }
        var st = stat()
        guard fstat(f, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(f)
            errno = EINVAL
            return nil
        }
        return (f, st)
    }

    /// Creates a new file (O_CREAT | O_EXCL | O_NOFOLLOW: fails if anything, even a link, has the name).
    public func createFile(_ name: [UInt8], mode: mode_t) -> Int32 {
        Self.withCName(name) { openat(fd, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode) }
    }

    /// unlinkat of a non-directory entry (a link is removed itself, never its target).
    public func unlink(_ name: [UInt8]) -> Bool {
        Self.withCName(name) { unlinkat(fd, $0, 0) } == 0
    }

    /// renameat within this directory (links are moved or replaced, never followed).
    public func rename(_ from: [UInt8], to: [UInt8]) -> Bool {
        Self.withCName(from) { f in Self.withCName(to) { t in renameat(fd, f, fd, t) } } == 0
    }

    /// Calls `body` with a NUL-terminated copy of `name`.
    public static func withCName<R>(_ name: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        var c = name.map { CChar(bitPattern: $0) }
        c.append(0)
        return c.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

extension stat {
    var isRegular: Bool { (st_mode & S_IFMT) == S_IFREG }
    var isDirectory: Bool { (st_mode & S_IFMT) == S_IFDIR }
    var isSymlink: Bool { (st_mode & S_IFMT) == S_IFLNK }
}

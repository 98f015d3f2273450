#if canImport(Glibc)
import Glibc
#endif

/// Thin, Foundation-free file helpers over the POSIX calls the agent needs.
public enum FileSystem {
    /// The text of an `errno` value, e.g. "No such file or directory".
    public static func errorText(_ code: Int32) -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard strerror_r(code, &buf, buf.count) == 0 else { return "errno \(code)" }
        return string(fromCString: buf)
    }

    /// The text of a NUL-terminated C buffer.
    public static func string(fromCString buf: [CChar]) -> String {
        String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Reads a whole file (including /proc files, whose size is reported as 0). Nil when it cannot be read.
    public static func readBytes(_ path: String, limit: Int = 64 * 1024 * 1024) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while out.count < limit {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<min(n, limit - out.count)])
        }
        return out
    }

    /// Reads a whole file as UTF-8 text (invalid sequences are repaired). Nil when it cannot be read.
    public static func readText(_ path: String, limit: Int = 64 * 1024 * 1024) -> String? {
        guard let bytes = readBytes(path, limit: limit) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Streams a file in chunks to `body`; false when the file cannot be opened.
    public static func forEachChunk(_ path: String, chunkSize: Int = 64 * 1024,
                                    _ body: (UnsafeRawBufferPointer) -> Void) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 1)
        defer { buf.deallocate() }
        while true {
            let n = read(fd, buf.baseAddress, chunkSize)
            if n < 0 {
                if errno == EINTR { continue }
                return true
            }
            if n == 0 { return true }
            body(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
        }
    }

    /// Writes `bytes` to `path` atomically: a temporary file in the same directory, fsync, rename, fsync
    /// of the directory. Readers see either the old or the new content, never a mix.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws(AgentError) {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw AgentError.system("cannot create", path: tmp, errno: errno) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                close(fd)
                unlink(tmp)
                throw AgentError.system("cannot write", path: tmp, errno: e)
            }
            written += n
        }
        if fsync(fd) != 0 {
            let e = errno
            close(fd)
            unlink(tmp)
            throw AgentError.system("cannot fsync", path: tmp, errno: e)
        }
        close(fd)
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw AgentError.system("cannot rename into", path: path, errno: e)
        }
        syncDirectory(containing: path)
    }

    /// fsyncs the directory holding `path` so a rename or unlink in it is durable.
    public static func syncDirectory(containing path: String) {
        let dir = directoryName(path)
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// The directory part of `path` ("." when there is none).
    public static func directoryName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of `path`.
    public static func baseName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Creates `path` and its missing parents (like `mkdir -p`).
    public static func makeDirectories(_ path: String, mode: mode_t = 0o750) throws(AgentError) {
        if isDirectory(path) { return }
        let parent = directoryName(path)
        if parent != path && parent != "." && parent != "/" && !isDirectory(parent) {
            try makeDirectories(parent, mode: mode)
        }
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw AgentError.system("cannot create directory", path: path, errno: errno)
        }
    }

    /// True when `path` exists and is a directory.
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// True when `path` exists (following symlinks).
    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// The names in a directory, without "." and "..". Nil when it cannot be listed.
    public static func listDirectory(_ path: String) -> [String]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        return names
    }

    /// Removes a file; true when it was removed or did not exist.
    @discardableResult
    public static func remove(_ path: String) -> Bool {
        unlink(path) == 0 || errno == ENOENT
    }
}

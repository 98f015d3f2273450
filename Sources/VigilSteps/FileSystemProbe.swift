#if canImport(Glibc)
import Glibc
#endif

/// Read-only questions about paths (no following of symlinks).
enum FileSystemProbe {
    /// True when `path` is a directory itself (a symlink to one does not count).
    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }
}

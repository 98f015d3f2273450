import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under the temporary directory, removed when the value is released.
public final class TempDir: @unchecked Sendable {
    public let path: String

    public init() {
        var template = Array((NSTemporaryDirectory() + "vigil-test-XXXXXX").utf8CString)
        guard let p = mkdtemp(&template) else { fatalError("mkdtemp failed: \(String(cString: strerror(errno)))") }
        path = String(cString: p)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `name` (created or truncated), close-on-exec.
    public func write(_ name: String, _ text: String) {
        _ = writeCloseOnExec(file(name), Array(text.utf8))
    }

    /// Appends `text` to `name`, which must exist.
    public func append(_ name: String, _ text: String) {
        let h = FileHandle(forWritingAtPath: file(name))!
        h.seekToEndOfFile()
        h.write(Data(text.utf8))
        try? h.close()
    }
}

/// Creates (or truncates) `path` with `bytes` through a close-on-exec descriptor, so a process another test starts
/// meanwhile never inherits the write descriptor (which makes running the file fail with "Text file busy").
public func writeCloseOnExec(_ path: String, _ bytes: [UInt8]) -> Bool {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return bytes.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count) } == bytes.count
}

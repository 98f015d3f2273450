import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on 127.0.0.1 for the test receivers: each accepted connection is handed to `handle` on a thread
/// of its own (which closes it). `port: 0` picks a free port.
public final class LoopbackListener: @unchecked Sendable {
    public let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var stopped = false

    public init(port: Int = 0, handle: @escaping @Sendable (Int32) -> Void) throws {
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, len) } }
        guard bound == 0, listen(sock, 64) == 0 else {
            let e = errno
            close(sock)
            throw NSError(domain: "LoopbackListener", code: Int(e), userInfo: [NSLocalizedDescriptionKey: "cannot listen on 127.0.0.1:\(port)"])
        }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &len) } }
        fd = sock
        self.port = Int(UInt16(bigEndian: addr.sin_port))
        Thread { [self] in
            while true {
                let c = accept(sock, nil, nil)
                if c < 0 {
                    if isStopped { return }
                    continue
                }
                Thread {
                    handle(c)
                    close(c)
                }.start()
            }
        }.start()
    }

    deinit { stop() }

    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    public func stop() {
        lock.lock()
        let was = stopped
        stopped = true
        lock.unlock()
        if !was { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
    }

    /// Sends all of `bytes` (ignoring a peer that went away).
    public static func send(_ c: Int32, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}

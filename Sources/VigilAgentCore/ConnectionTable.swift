#if canImport(Glibc)
import Glibc
#endif
import VigilWire

/// One socket of `/proc/net/tcp` or `/proc/net/tcp6`.
public struct TCPSocket: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case established, listen, other
    }

    public var localAddr: String
    public var localPort: Int
    public var remoteAddr: String
    public var remotePort: Int
    public var state: State
    public var inode: UInt64
}

/// The host's TCP connections, grouped into `ConnectionRecord`s: a connection whose local port is one this host
/// listens on is inbound (grouped by process, local address and port, and peer address), every other one outbound
/// (grouped by process, local address, and peer address and port). A connection to the host's own address is left
/// out. Which process owns a socket comes from `/proc/PID/fd` (its `socket:[INODE]` links), read only for inodes not
/// seen before. Reads files only; nothing runs.
public final class ConnectionTable {
    /// The most records a batch carries (the largest counts first).
    public static let maxRecords = IngestDecoder.maxConnections

    private let procRoot: String
    /// Socket inode → owning process name, kept while the socket lives.
    private var owners: [UInt64: String] = [:]

    public init(procRoot: String = "/proc") {
        self.procRoot = procRoot
    }

    /// Reads the tables and groups the established connections.
    public func collect() -> [ConnectionRecord] {
        var sockets: [TCPSocket] = []
        for file in ["tcp", "tcp6"] {
            guard let bytes = FileSystem.readBytes(procRoot + "/net/" + file) else { continue }
            sockets += Self.parse(bytes)
        }
        return group(sockets)
    }

    func group(_ sockets: [TCPSocket]) -> [ConnectionRecord] {
        var listening = Set<Int>()
        var listeningAt = Set<String>()
        for s in sockets where s.state == .listen {
            if s.localAddr == "0.0.0.0" || s.localAddr == "::" { listening.insert(s.localPort) } else { listeningAt.insert("\(s.localAddr) \(s.localPort)") }
        }
        let established = sockets.filter { $0.state == .established && $0.localAddr != $0.remoteAddr }
        resolveOwners(Set(established.map(\.inode)))
        var counts: [ConnectionRecord: Int] = [:]
        for s in established {
            let process = owners[s.inode] ?? ""
            let inbound = listening.contains(s.localPort) || listeningAt.contains("\(s.localAddr) \(s.localPort)")
            let r = inbound
                ? ConnectionRecord(direction: .inbound, process: process, localAddr: s.localAddr, localPort: s.localPort, remoteAddr: s.remoteAddr)
                : ConnectionRecord(direction: .outbound, process: process, localAddr: s.localAddr, remoteAddr: s.remoteAddr, remotePort: s.remotePort)
            counts[r, default: 0] += 1
        }
        let records = counts.map { r, n -> ConnectionRecord in
            var r = r
            r.count = n
            return r
        }
        return Array(records.sorted {
            ($1.count, $0.direction.rawValue, $0.remoteAddr, $0.remotePort, $0.localPort, $0.process)
                < ($0.count, $1.direction.rawValue, $1.remoteAddr, $1.remotePort, $1.localPort, $1.process)
        }.prefix(Self.maxRecords))
    }

    /// Finds the process of every inode in `wanted` not known yet, by reading `/proc/PID/fd`; forgets inodes gone.
    private func resolveOwners(_ wanted: Set<UInt64>) {
        owners = owners.filter { wanted.contains($0.key) }
        var missing = wanted.subtracting(owners.keys)
        guard !missing.isEmpty, let pids = FileSystem.listDirectory(procRoot) else { return }
        var link = [CChar](repeating: 0, count: 64)
        for pid in pids where pid.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            let dir = procRoot + "/" + pid + "/fd"
            guard let fds = FileSystem.listDirectory(dir) else { continue }
            var name: String?
            for fd in fds {
                let n = readlink(dir + "/" + fd, &link, link.count - 1)
                guard n > 9 else { continue }
                link[n] = 0
                let text = FileSystem.string(fromCString: link)
                guard text.hasPrefix("socket:["), text.hasSuffix("]"), let inode = UInt64(text.dropFirst(8).dropLast()),
                      missing.contains(inode) else { continue }
                if name == nil {
                    name = FileSystem.readText(procRoot + "/" + pid + "/comm", limit: 64).map { String($0.prefix { $0 != "\n" }) } ?? ""
                }
                owners[inode] = name
                missing.remove(inode)
            }
            if missing.isEmpty { return }
        }
    }

    /// The sockets of one `/proc/net/tcp{,6}` file (its header line skipped, malformed lines too).
    public static func parse(_ text: String) -> [TCPSocket] { parse(Array(text.utf8)) }

    /// The same over the file's bytes: fields split at spaces, hex read in place (a busy host has thousands of lines
    /// and this runs every minute).
    public static func parse(_ bytes: [UInt8]) -> [TCPSocket] {
        var out: [TCPSocket] = []
        var fields: [Range<Int>] = []
        fields.reserveCapacity(20)
        var lineStart = 0
        var first = true
        let n = bytes.count
        while lineStart < n {
            var lineEnd = lineStart
            while lineEnd < n && bytes[lineEnd] != 10 { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            if first {
                first = false
                continue
            }
            fields.removeAll(keepingCapacity: true)
            var i = lineStart
            while i < lineEnd && fields.count < 10 {
                while i < lineEnd && bytes[i] == 32 { i += 1 }
                let f = i
                while i < lineEnd && bytes[i] != 32 { i += 1 }
                if i > f { fields.append(f..<i) }
            }
            guard fields.count >= 10, let local = endpoint(bytes, fields[1]), let remote = endpoint(bytes, fields[2]),
                  let st = hex(bytes, fields[3]), let inode = decimal(bytes, fields[9]) else { continue }
            let state: TCPSocket.State = st == 0x01 ? .established : st == 0x0A ? .listen : .other
            out.append(TCPSocket(localAddr: local.0, localPort: local.1, remoteAddr: remote.0, remotePort: remote.1, state: state, inode: inode))
        }
        return out
    }

    @inline(__always)
    static func hexDigit(_ b: UInt8) -> UInt64? {
        switch b {
        case 48...57: UInt64(b - 48)
        case 65...70: UInt64(b - 55)
        case 97...102: UInt64(b - 87)
        default: nil
        }
    }

    static func hex(_ bytes: [UInt8], _ r: Range<Int>) -> UInt64? {
        guard !r.isEmpty, r.count <= 16 else { return nil }
        var v: UInt64 = 0
        for i in r {
            guard let d = hexDigit(bytes[i]) else { return nil }
            v = v << 4 | d
        }
        return v
    }

    static func decimal(_ bytes: [UInt8], _ r: Range<Int>) -> UInt64? {
        guard !r.isEmpty, r.count <= 19 else { return nil }
        var v: UInt64 = 0
        for i in r {
            guard bytes[i] >= 48, bytes[i] <= 57 else { return nil }
            v = v * 10 + UInt64(bytes[i] - 48)
        }
        return v
    }

    /// `0100007F:1F90` → ("127.0.0.1", 8080); 32 hex digits for IPv6 (four little-endian words).
    static func endpoint(_ s: Substring) -> (String, Int)? {
        let bytes = Array(s.utf8)
        return endpoint(bytes, 0..<bytes.count)
    }

    static func endpoint(_ bytes: [UInt8], _ r: Range<Int>) -> (String, Int)? {
        guard let colon = r.first(where: { bytes[$0] == 58 }), let port = hex(bytes, (colon + 1)..<r.upperBound), port <= 65_535 else { return nil }
        let digits = colon - r.lowerBound
        guard digits == 8 || digits == 32 else { return nil }
        // Each 8-digit word is the address's bytes in memory order read as a little-endian number.
        var address: [UInt8] = []
        address.reserveCapacity(digits / 2)
        var i = r.lowerBound
        while i < colon {
            guard let w = hex(bytes, i..<(i + 8)) else { return nil }
            address += [UInt8(w & 0xFF), UInt8(w >> 8 & 0xFF), UInt8(w >> 16 & 0xFF), UInt8(w >> 24 & 0xFF)]
            i += 8
        }
        if address.count == 4 { return (ipv4(address), Int(port)) }
        // IPv4-mapped (::ffff:a.b.c.d) reads as the IPv4 address.
        if address[0..<10].allSatisfy({ $0 == 0 }), address[10] == 0xFF, address[11] == 0xFF { return (ipv4(Array(address[12...])), Int(port)) }
        return (ipv6(address), Int(port))
    }

    static func ipv4(_ b: [UInt8]) -> String { b.map(String.init).joined(separator: ".") }

    /// Text form with the longest run of zero groups (two or more) as `::`.
    static func ipv6(_ b: [UInt8]) -> String {
        let groups = (0..<8).map { Int(b[$0 * 2]) << 8 | Int(b[$0 * 2 + 1]) }
        var bestStart = -1, bestLength = 1, start = -1
        for i in 0...8 {
            if i < 8, groups[i] == 0 {
                if start < 0 { start = i }
            } else if start >= 0 {
                if i - start > bestLength { (bestStart, bestLength) = (start, i - start) }
                start = -1
            }
        }
        let text = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return text.joined(separator: ":") }
        return text[..<bestStart].joined(separator: ":") + "::" + text[(bestStart + bestLength)...].joined(separator: ":")
    }
}

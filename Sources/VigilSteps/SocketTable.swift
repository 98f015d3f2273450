import VigilAgentCore

/// TCP sockets from /proc/net/tcp and /proc/net/tcp6, filtered by local port and state.
public enum SocketTable {
    /// The states conn-report and conn-reset handle.
    public enum State: String, Sendable, CaseIterable {
        case closeWait = "close-wait"
        case timeWait = "time-wait"

        /// The kernel's hex code in /proc/net/tcp.
        public var code: String { self == .closeWait ? "08" : "06" }

        public static func parse(_ value: String, argument: String) throws(StepError) -> State {
            guard let s = State(rawValue: value) else {
                throw .usage("\(argument): '\(StepText.shown(value))' is not a supported state (close-wait or time-wait)")
            }
            return s
        }
    }

    /// One matching socket.
    public struct Socket: Sendable, Equatable {
        public var local: String
        public var remote: String

        public init(local: String, remote: String) {
            self.local = local
            self.remote = remote
        }
    }

    /// The sockets in the text of one /proc/net/tcp* file whose local port is `port` and state `state`.
    public static func matching(_ text: String, port: Int, state: State) -> [Socket] {
        var out: [Socket] = []
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count > 3, f[3] == state.code,
                  let (localAddr, localPort) = split(f[1]), localPort == port,
                  let (remoteAddr, remotePort) = split(f[2]) else { continue }
            out.append(Socket(local: address(localAddr, localPort), remote: address(remoteAddr, remotePort)))
        }
        return out
    }

    /// Splits `0100007F:1F90` into the hex address and the port.
    static func split(_ field: Substring) -> (Substring, Int)? {
        guard let colon = field.lastIndex(of: ":"), let port = Int(field[field.index(after: colon)...], radix: 16) else { return nil }
        return (field[..<colon], port)
    }

    /// A printable address: the kernel writes each 32-bit word in host (little-endian) order.
    static func address(_ hex: Substring, _ port: Int) -> String {
        let bytes = Array(hex.utf8)
        var words: [[UInt8]] = []
        var i = 0
        while i + 8 <= bytes.count {
            guard let w = UInt32(String(decoding: bytes[i..<(i + 8)], as: UTF8.self), radix: 16) else { return "\(hex):\(port)" }
            words.append([UInt8(w & 0xff), UInt8((w >> 8) & 0xff), UInt8((w >> 16) & 0xff), UInt8(w >> 24)])
            i += 8
        }
        if words.count == 1 {
            return words[0].map(String.init).joined(separator: ".") + ":\(port)"
        }
        if words.count == 4 {
            let b = words.flatMap { $0 }
            if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xff && b[11] == 0xff {
                return b[12..<16].map(String.init).joined(separator: ".") + ":\(port)"
            }
            var groups: [String] = []
            for g in 0..<8 { groups.append(String(UInt16(b[2 * g]) << 8 | UInt16(b[2 * g + 1]), radix: 16)) }
            return "[" + groups.joined(separator: ":") + "]:\(port)"
        }
        return "\(hex):\(port)"
    }

    /// Reads /proc/net/tcp and /proc/net/tcp6 now.
    public static func scan(port: Int, state: State) -> [Socket] {
        var all: [Socket] = []
        for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = FileSystem.readText(file, limit: 512 * 1024 * 1024) else { continue }
            all += matching(text, port: port, state: state)
        }
        return all
    }
}

/// Established TCP connections of one process to (or from) one address and port, as the agent saw them at one
/// cycle. Outbound: this host's `process` connects to `remoteAddr:remotePort` (`localPort` is 0: an ephemeral
/// port says nothing). Inbound: `remoteAddr` connects to this host's `process` listening on `localAddr:localPort`
/// (`remotePort` is 0). The engine turns repeated ones between monitored hosts into topology links.
public struct ConnectionRecord: Sendable, Equatable, Hashable {
    public enum Direction: String, Sendable, Equatable, Hashable {
        case outbound = "out"
        case inbound = "in"
    }

    public var direction: Direction
    /// The owning process's name (`comm`), or "" when the agent may not see it (another user's process).
    public var process: String
    public var localAddr: String
    public var localPort: Int
    public var remoteAddr: String
    public var remotePort: Int
    /// How many connections this record stands for.
    public var count: Int

    public init(direction: Direction, process: String, localAddr: String, localPort: Int = 0, remoteAddr: String, remotePort: Int = 0,
                count: Int = 1) {
        self.direction = direction
        self.process = process
        self.localAddr = localAddr
        self.localPort = localPort
        self.remoteAddr = remoteAddr
        self.remotePort = remotePort
        self.count = count
    }
}

import Foundation
import NIOCore
import NIOHTTPTypes
import Synchronization

/// What the listener tolerates from a connection before it closes it. The defaults hold a listener open to a
/// fleet of agents against clients that connect and send nothing, trickle headers, or hold a body open.
public struct ConnectionLimits: Sendable, Equatable {
    /// Open connections at once, from everyone (also capped by the process's file-descriptor limit).
    public var maxConnections = 4096
    /// Open connections at once from one IP address.
    public var maxPerAddress = 256
    /// From accepting a connection (or finishing a response) until the next request's headers are complete.
    public var headerTimeout: TimeAmount = .seconds(10)
    /// From a request's headers until its body is complete.
    public var bodyTimeout: TimeAmount = .seconds(60)
    /// A kept-alive connection with no request in flight.
    public var idleTimeout: TimeAmount = .seconds(75)
    /// Failed authentications from one address within `authWindowMs` before it gets 429s until the window ends.
    public var maxAuthFailures = 20
    public var authWindowMs: Int64 = 60_000

    public init() {}

    public static let `default` = ConnectionLimits()
}

/// Counts open connections, in total and per address.
public final class ConnectionTable: Sendable {
    private struct Counts {
        var total = 0
        var perAddress: [String: Int] = [:]
    }

    private let counts = Locked(Counts())
    let maxConnections: Int
    let maxPerAddress: Int
    /// Connections refused for being over a cap (for /metrics).
    let refused = Atomic<Int>(0)

    public init(limits: ConnectionLimits) {
        // Leave room for the store, logs and the process's own files under the descriptor limit.
        var rl = rlimit()
        let fdRoom = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &rl) == 0 && rl.rlim_cur < UInt(Int.max) ? max(64, Int(rl.rlim_cur) - 128) : Int.max
        maxConnections = min(limits.maxConnections, fdRoom)
        maxPerAddress = limits.maxPerAddress
    }

    /// Takes a place for a connection from `address`; false when a cap is reached.
    func admit(_ address: String) -> Bool {
        let ok = counts.withLock { c -> Bool in
            guard c.total < maxConnections, c.perAddress[address, default: 0] < maxPerAddress else { return false }
            c.total += 1
            c.perAddress[address, default: 0] += 1
            return true
        }
        if !ok { refused.add(1, ordering: .relaxed) }
        return ok
    }

    func release(_ address: String) {
        counts.withLock { c in
            c.total -= 1
            let left = c.perAddress[address, default: 1] - 1
            c.perAddress[address] = left > 0 ? left : nil
        }
    }

    /// Open connections now.
    public var open: Int { counts.withLock { $0.total } }
}

/// One per connection, after the HTTP codec: refuses connections over the caps and closes those that take too
/// long to send their headers or body, or sit idle. Runs on the connection's event loop only.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let table: ConnectionTable
    private let limits: ConnectionLimits
    private var address: String?
    private var timer: Scheduled<Void>?

    init(table: ConnectionTable, limits: ConnectionLimits) {
        self.table = table
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if address == nil { admit(context: context) }
        context.fireChannelActive()
    }

    private func admit(context: ChannelHandlerContext) {
        let who = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard table.admit(who) else {
            context.close(promise: nil)
            return
        }
        address = who
        arm(limits.headerTimeout, context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: arm(limits.bodyTimeout, context: context)
        case .body: break
        case .end: disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(limits.idleTimeout, context: context) }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        leave()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        leave()
    }

    /// Stops the timer and gives the connection's place back (once, whichever of the two callbacks comes first).
    private func leave() {
        disarm()
        if let address {
            table.release(address)
            self.address = nil
        }
    }

    private func arm(_ after: TimeAmount, context: ChannelHandlerContext) {
        timer?.cancel()
        let channel = context.channel
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: after) {
            channel.close(promise: nil)
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}

import Hummingbird
import NIOCore

/// The request context of Vigil's listener: Hummingbird's core storage plus the client's IP address (for the
/// authentication throttle).
public struct ListenerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's IP address, or nil when unknown.
    public let remoteIP: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteIP = source.channel.remoteAddress?.ipAddress
    }
}

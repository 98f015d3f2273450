import Foundation
import Logging
import VigilWire

/// The services and server groups `topology.yaml` defines, for the engine and the console: read again when the file
/// changes (checked at most every 10 s), the last good version kept while it does not parse (the error logged once
/// per change).
public final class TopologyDirectory: Sendable {
    struct State: Sendable {
        var services: [ServiceDefinition] = []
        var groups: [ServerGroup] = []
        var modified: Date?
        var checkedAt: Int64?
        var error: String?
    }

    /// Nil: no topology file (no services).
    public let path: String?
    private let logger: Logger
    private let state = Locked(State())

    public init(path: String?, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    /// The services as of the file now.
    public func services(now: Int64 = WallClock.nowMs()) -> [ServiceDefinition] {
        refresh(now: now)
        return state.withLock { $0.services }
    }

    /// The server groups as of the file now.
    public func groups(now: Int64 = WallClock.nowMs()) -> [ServerGroup] {
        refresh(now: now)
        return state.withLock { $0.groups }
    }

    private func refresh(now: Int64) {
        guard let path else { return }
        let due = state.withLock { s -> Bool in
            if let checked = s.checkedAt, now >= checked, now - checked < 10_000 { return false }
            s.checkedAt = now
            return true
        }
        if due { reload(path) }
    }

    /// Why the file was last refused, if it was.
    public var error: String? { state.withLock { $0.error } }

    private func reload(_ path: String) {
        let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]) as? Date
        guard modified != state.withLock({ $0.modified }) else { return }
        do {
            let config = try TopologyConfig.load(path: path)
            let services = config.services
            state.withLock {
                $0.services = services
                $0.groups = config.groups
                $0.modified = modified
                $0.error = nil
            }
            let objectives = services.filter { $0.objective != nil }.count
            logger.info("\(path): \(services.count) services, \(objectives) with an objective")
        } catch {
            state.withLock {
                $0.modified = modified
                $0.error = error.description
            }
            logger.error("\(error.description) (the services stay as they were)")
        }
    }
}

import Foundation
import Logging
import VigilCore

/// The engine a console runs in-process: at start when no other engine holds the store's lease, or later when the
/// engine it attached to stops and its lease expires. Closing (or losing) `vigil serve` on an ops box then does not
/// leave rules unevaluated and notifications unsent while a console is open on it.
final class ConsoleEngine: Sendable {
    private let store: any Store
    private let options: VigilEngine.Options
    private let logger: Logger
    private let running = Locked<(engine: VigilEngine, task: Task<Void, Never>)?>(nil)

    init(store: any Store, options: VigilEngine.Options, logger: Logger) {
        self.store = store
        self.options = options
        self.logger = logger
    }

    var engine: VigilEngine? { running.withLock { $0?.engine } }

    /// What the rules pane and `:reload` (by `actor`) reach: this engine's evaluator once it runs, nothing before.
    func ruleAccess(actor: String) -> RuleAccess {
        guard let evaluator = engine?.evaluator else { return RuleAccess() }
        return RuleAccess(status: { evaluator.status }, rules: { evaluator.currentRules }, reload: { evaluator.requestReload(by: actor) })
    }

    /// Starts the engine (once) and returns what the status line says of its listener. A taken port (another
    /// program, or an engine on another store) leaves the listener off, so this machine is still collected and the
    /// rules still evaluated. Blocks up to 2 s while the listener binds.
    /// `bindRetrySeconds`: on a takeover the stopping engine may hold the port a moment after it let the lease go.
    @discardableResult
    func start(bindRetrySeconds: Double = 0) -> String {
        if running.withLock({ $0 != nil }) { return "engine already running" }
        var options = self.options
        var (e, task, failure) = Self.startEngine(store: store, options: options, logger: logger)
        let deadline = Date().addingTimeInterval(bindRetrySeconds)
        while let error = failure, Self.isAddressInUse(error), Date() < deadline {
            let failed = e
            _ = try? Blocking.run { try await self.store.releaseLease(holder: failed.holder) }
            usleep(250_000)
            (e, task, failure) = Self.startEngine(store: store, options: options, logger: logger)
        }
        let description: String
        if let error = failure {
            description = "listener off: \(options.listen) \(Self.describe(error))"
            options.runListener = false
            let failed = e
            _ = try? Blocking.run { try await self.store.releaseLease(holder: failed.holder) }
            (e, task, _) = Self.startEngine(store: store, options: options, logger: logger)
        } else if let port = e.boundPort {
            description = "listening \(options.listen.host):\(port)"
        } else {
            description = "listener starting on \(options.listen)"
        }
        running.withLock { $0 = (e, task) }
        return description
    }

    /// Asks the engine to finish and waits for it (no-op when it never started).
    func stop() async {
        guard let (engine, task) = running.withLock({ $0 }) else { return }
        await engine.stop()
        await task.value
    }

    /// Starts an engine and waits until its listener is bound (or it failed, or 2 s passed).
    static func startEngine(store: any Store, options: VigilEngine.Options, logger: Logger) -> (VigilEngine, Task<Void, Never>, (any Error)?) {
        let e = VigilEngine(store: store, options: options, logger: logger)
        let failure = Shared<(any Error)?>(nil)
        let task = Task.detached {
            do { try await e.run() } catch { failure.set(error) }
        }
        for _ in 0..<100 where options.runListener && e.boundPort == nil && failure.get() == nil { usleep(20_000) }
        return (e, task, failure.get())
    }

    static func describe(_ error: any Error) -> String {
        isAddressInUse(error) ? "(address in use: another vigil? use --listen 127.0.0.1:0)" : "(\(String(describing: error).prefix(60)))"
    }

    static func isAddressInUse(_ error: any Error) -> Bool {
        let text = "\(error)"
        return text.contains("Address already in use") || text.contains("EADDRINUSE") || text.contains("errno: 98")
    }
}

/// How an attached console watches the engine it attached to: each refresh reads the store's lease; when no engine
/// holds it any more, `takeOver` starts one here.
struct ConsoleStandby: Sendable {
    /// The holder the console attached to, and its process id.
    var holder: String
    var pid: Int
    /// Starts the engine in this console; returns the listener's description and the rules it now evaluates.
    var takeOver: @Sendable () -> (description: String, rules: RuleAccess)

    /// The status line's words for an engine another process runs.
    static func attachedDescription(_ lease: EngineLease) -> String {
        "attached to engine pid \(lease.pid) on \(lease.hostname) (\(lease.listen))"
    }
}

import ArgumentParser
import Foundation
import Logging
import VigilAgentCore
import VigilCore
import VigilHTTP
import VigilWire

/// `vigil` / `vigil console`: the interactive console. Runs the engine in-process unless another
/// engine holds the store's lease, in which case it attaches.
struct ConsoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "The interactive console (the default command)."
    )

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("Config file (default $XDG_CONFIG_HOME/vigil/config.yaml); flags and VIGIL_* variables override it.", valueName: "PATH"))
    var config: String?

    @Option(help: ArgumentHelp("Where the in-process listener takes agents when this console runs the engine (default 127.0.0.1:9470).", valueName: "HOST:PORT"))
    var listen: String?

    @Option(help: ArgumentHelp("Colour theme: default, light, high-contrast, mono, or a file name in a themes directory.", valueName: "NAME"))
    var theme: String?

    @Flag(help: "Show everything, change nothing: drops every action that changes state.")
    var readonly = false

    @Flag(help: "Do not collect this machine's own metrics in-process.")
    var noLocalCollector = false

    @Option(help: ArgumentHelp("Seconds between screen data refreshes (default 2).", valueName: "SECONDS"))
    var refresh: Double?

    @Option(name: .customLong("rules"), help: ArgumentHelp("A directory of rule files (repeatable), when this console runs the engine.", valueName: "DIR"))
    var ruleDirectories: [String] = []

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let file: ConsoleConfig
        do {
            file = try ConsoleConfig.load(path: config ?? ConsoleConfig.defaultPath(), explicit: config != nil)
        } catch {
            throw ValidationError("\(error)")
        }
        let address: ListenAddress
        do { address = try ListenAddress.parse(listen ?? file.listen ?? "127.0.0.1:9470") } catch let e as StoreError { throw ValidationError(e.message) }
        let refresh = self.refresh ?? file.refreshSeconds ?? 2
        guard refresh >= 0.2 && refresh <= 60 else { throw ValidationError("--refresh must be from 0.2 to 60 seconds") }
        let readonly = self.readonly || (file.readonly ?? false)
        let noLocalCollector = self.noLocalCollector || !(file.localCollector ?? true)
        var storeOptions = self.store
        if storeOptions.db == nil && environment["VIGIL_DB"] == nil { storeOptions.db = file.db }
        let store = try storeOptions.open()
        let quiet = Logger(label: "vigil", factory: { _ in SwiftLogNoOpLogHandler() })
        var notifyWarnings: [String] = []
        var notifyConfig: NotifyConfig?
        if let path = NotifyConfig.defaultPath(environment: environment) {
            do {
                notifyConfig = try NotifyConfig.load(path: path)
            } catch {
                notifyWarnings.append("notifications off: \(error.description)")
            }
        }
        let local: (@Sendable () -> any BatchSource)? = noLocalCollector ? nil : { @Sendable () -> any BatchSource in LocalHostSource() }
        var engineOptions = VigilEngine.Options(listen: address, localSource: local, handleSignals: false,
                                                ruleDirectories: ruleDirectories.isEmpty ? nil : ruleDirectories)
        engineOptions.userRunbooks = RunbookCatalog.defaultUserDirectory()
        // Notifications go out from whichever engine holds the lease, this console's included.
        if let notifyConfig { engineOptions.notify = (notifyConfig, { (HTTPClient(), SMTPClient()) }) }
        if !noLocalCollector && !readonly { engineOptions.localJobs = LocalJobRunner(host: LocalJobRunner.localHostName()) }
        let user = try Operator.current(store: store)
        let consoleEngine = ConsoleEngine(store: store, options: engineOptions, logger: quiet)
        let listenerDescription: String
        var standby: ConsoleStandby?
        if let lease = try Blocking.run({ try await store.currentLease(now: WallClock.nowMs()) }) {
            listenerDescription = ConsoleStandby.attachedDescription(lease)
            // If that engine stops, this console takes over, as it would have run the engine had it started then.
            standby = ConsoleStandby(holder: lease.holder, pid: lease.pid) { (consoleEngine.start(bindRetrySeconds: 10), consoleEngine.ruleAccess(actor: user.name)) }
        } else {
            listenerDescription = consoleEngine.start()
        }
        let isDemo = (try? Blocking.run { await DemoSettings.load(from: store) }) != nil
        // The rules pane and `:reload` reach the evaluator only when this console runs the engine.
        let rules = consoleEngine.ruleAccess(actor: user.name)
        var options = ConsoleOptions(
            reader: store,
            themeName: theme ?? environment["VIGIL_THEME"] ?? file.theme ?? "default",
            themeDirectories: ConsoleCommand.themeDirectories(),
            readOnly: readonly,
            storeDescription: store.description + (isDemo ? " (demo)" : ""),
            listenerDescription: listenerDescription,
            refreshInterval: refresh,
            store: store,
            user: user,
            ruleStatus: rules.status,
            rules: rules.rules,
            reloadRules: rules.reload
        )
        options.ruleWarnings = rules.status?().warnings ?? []
        options.warnings = notifyWarnings
        options.engineInProcess = consoleEngine.engine != nil
        options.notifyConfig = notifyConfig
        options.standby = standby
        defer { _ = try? Blocking.run { await consoleEngine.stop() } }
        try ConsoleApp.run(options)
    }

    /// Where theme files are looked up, first match wins; the themes embedded in the binary come after them.
    static func themeDirectories() -> [String] {
        var dirs: [String] = []
        let env = ProcessInfo.processInfo.environment
        if let d = env["VIGIL_THEMES"] { dirs.append(d) }
        let config = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.config")
        dirs.append(config + "/vigil/themes")
        return dirs
    }
}

/// The console's built-in collector for the machine it runs on.
final class LocalHostSource: BatchSource {
    private let collector = HostCollector()
    private lazy var host = collector.hostname()
    private lazy var agent = collector.agentInfo()

    func next(nowMs: Int64) -> IngestBatch? {
        let samples = collector.collect(nowMs: nowMs)
        guard WireNames.isValidHost(host) else { return nil }
        var batch = IngestBatch(host: host, agent: agent, labels: ["role": "ops-box"], samples: samples)
        batch.processes = collector.processes
        return batch
    }
}

/// A value shared between threads behind a lock.
final class Shared<T: Sendable>: Sendable {
    private let value: Locked<T>
    init(_ v: T) { value = Locked(v) }
    func get() -> T { value.withLock { $0 } }
    func set(_ v: T) { value.withLock { $0 = v } }
}

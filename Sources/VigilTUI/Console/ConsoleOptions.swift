import VigilCore

/// What `vigil` (the console subcommand) passes to `ConsoleApp.run`.
struct ConsoleOptions: Sendable {
    var reader: any FleetReader
    /// "default" unless `--theme` or the config says otherwise.
    var themeName: String
    /// Where `<name>.yaml` themes are looked up, in order (`~` expands to `$HOME`).
    var themeDirectories: [String]
    /// `--readonly`: drop every dangerous action.
    var readOnly: Bool
    /// e.g. "sqlite ~/.local/share/vigil/vigil.db".
    var storeDescription: String
    /// e.g. "listening 127.0.0.1:9470" or "attached (engine pid 123)".
    var listenerDescription: String?
    /// Seconds between refreshes.
    var refreshInterval: Double
    /// Where alerts and silences are read and changed (nil: the alert panes stay empty).
    var store: (any Store)?
    /// Who is at the keyboard (the OS login resolved against the store).
    var user: VigilUser
    /// The rule evaluator's status, when this console runs the engine (nil: attached to another engine, whose
    /// rules the console cannot see; the rules pane says so).
    var ruleStatus: (@Sendable () -> RuleStatus)?
    /// The rules in force, when this console runs the engine.
    var rules: (@Sendable () -> [AlertRule])?
    /// Asks the engine this console runs to re-read its rule files (`:reload`); nil when attached.
    var reloadRules: (@Sendable () -> Void)?
    /// The notification config, for the notifications pane.
    var notifyConfig: NotifyConfig?
    /// Other warnings for the status line (a notification config that cannot be used).
    var warnings: [String] = []
    /// This console runs the engine that commits the lines it shows: live tails are pushed by its store's `LogBus`
    /// (attached to another engine, they read the store every second).
    var engineInProcess = false
    /// When attached: how to watch the engine attached to and take over when it stops.
    var standby: ConsoleStandby?
    /// The engine's rule warnings at start, for the status line.
    var ruleWarnings: [String] = []
    /// The runbooks remediation offers; nil loads the shipped ones and the operator's (as the engine does).
    var catalog: RunbookCatalog?
    /// The safety limits the console's plans are checked against.
    var safety = SafetyPolicy()
    /// Where the AI assistant sends its questions; nil loads it as `vigil ai` does (environment, then the `ai:`
    /// section of ~/.config/vigil/config.yaml).
    var ai: AIConfig?

    init(reader: any FleetReader, themeName: String = "default", themeDirectories: [String] = [], readOnly: Bool = false,
         storeDescription: String = "", listenerDescription: String? = nil, refreshInterval: Double = 2,
         store: (any Store)? = nil, user: VigilUser? = nil, ruleStatus: (@Sendable () -> RuleStatus)? = nil,
         rules: (@Sendable () -> [AlertRule])? = nil, reloadRules: (@Sendable () -> Void)? = nil) {
        self.reader = reader
        self.themeName = themeName
        self.themeDirectories = themeDirectories
        self.readOnly = readOnly
        self.storeDescription = storeDescription
        self.listenerDescription = listenerDescription
        self.refreshInterval = refreshInterval
        self.store = store
        self.user = user ?? .consoleDefault
        self.ruleStatus = ruleStatus
        self.rules = rules
        self.reloadRules = reloadRules
    }
}

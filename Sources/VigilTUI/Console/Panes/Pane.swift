import VigilCore
import VigilWire

/// What a pane gets when it renders.
struct RenderContext {
    /// Unix ms of the frame.
    var now: Int64
    var glyphs: Glyphs
    /// Whether the pane is the top of the stack (its keys are live).
    var focused: Bool
}

/// A screen of the console: the dashboard, a host detail view, the help overlay. Panes render into a `Canvas`
/// and never call curses; they handle keys through their key map, returning a `Reaction`.
protocol Pane: AnyObject {
    /// The breadcrumb name, also the help section of the pane's keys.
    var title: String { get }
    /// The pane's own actions; the console merges them over the global map.
    var keyMap: KeyMap { get }
    /// Overlays (help, dialogs) draw over the pane below instead of replacing it.
    var isOverlay: Bool { get }
    /// The host whose detail the pane wants the poller to fetch, if any.
    var subscribedHost: String? { get }
    /// The active `/` filter text, or "" when none.
    var filterText: String { get }

    func render(into canvas: inout Canvas, in rect: Rect, context: RenderContext)
    /// A key the merged map did not bind.
    func handleUnmapped(_ key: Key) -> Reaction
    /// New data from the background poller. Returns whether the pane needs redrawing.
    func receive(_ message: ConsoleMessage, now: Int64) -> Bool
    /// Applies a `/` filter. Returns (matching, total) rows, or nil when the pane does not filter.
    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)?
    /// Moves focus to the next section (Tab). Returns whether anything changed.
    func focusNext() -> Bool
    /// Host names the pane knows, for command completion.
    var knownHosts: [String] { get }
    /// What the pane's rows are, for messages like "no host matches /foo".
    var rowNoun: String { get }
    /// What the pane wants the poller to fetch while it is visible.
    var pollInterest: PollInterest { get }
    /// Forms: every key goes to the pane's own map, then `handleUnmapped`; global keys except Ctrl-C are off.
    var capturesTyping: Bool { get }
    /// Remediation runs whose state and output the pane wants polled (every 250 ms) while it is visible.
    var followedRuns: [RunFollow] { get }
}

extension Pane {
    var isOverlay: Bool { false }
    var subscribedHost: String? { nil }
    var filterText: String { "" }
    func handleUnmapped(_ key: Key) -> Reaction { .ignored }
    func receive(_ message: ConsoleMessage, now: Int64) -> Bool { false }
    func applyFilter(_ text: String) throws(CommandError) -> (matching: Int, total: Int)? { nil }
    func focusNext() -> Bool { false }
    var knownHosts: [String] { [] }
    var rowNoun: String { "row" }
    var pollInterest: PollInterest { PollInterest(host: subscribedHost) }
    var capturesTyping: Bool { false }
    var followedRuns: [RunFollow] { [] }
}

/// What background work posts to the console's mailbox: immutable values only.
enum ConsoleMessage: Sendable {
    /// A fresh fleet snapshot.
    case fleet(FleetSnapshot)
    /// The detail of host `name` (nil: unknown host).
    case detail(name: String, HostDetail?)
    /// The fleet refresh failed.
    case fleetError(String)
    /// The engine changed hands while this console was attached: another process took the lease, or this console
    /// took over (`runsHere`). `note` is for the status line.
    case engine(description: String, runsHere: Bool, note: String)
    /// Recent warnings left in the store by an engine (a host at its series limit).
    case storeWarnings([String])
    /// The detail refresh of host `name` failed.
    case detailError(name: String, String)
    /// Fresh alerts (and, when asked for, resolved alerts and silences).
    case alerts(AlertsSnapshot)
    /// The alerts refresh failed.
    case alertsError(String)
    /// The timeline of one alert.
    case timeline(fingerprint: String, [AlertTimelineEntry])
    /// Resolved incidents like one alert, best first (the incident memory).
    case pastIncidents(fingerprint: String, [IncidentRecord])
    /// The points of an alert's metric from 30 minutes before it became active until now (or its end).
    case alertMetric(fingerprint: String, points: [SeriesPoint], from: Int64, to: Int64)
    /// The rule status and rules of the engine this console runs (while the rules pane is visible).
    case rules(RulesSnapshot)
    /// The outcome of a `StoreRequest` (or a rule reload), for the status line.
    case actionResult(String, isError: Bool)
    /// Recent remediation runs and the approvals queue (while the runbooks pane is visible).
    case runs(RunsSnapshot)
    /// A diagnosis, plan, started run or run progress from `RemediationWorker`.
    case remediation(RemediationUpdate)
    /// A loaded conversation, a streamed piece of an answer, a tool result, the AI call log, from `ChatWorker`.
    case chat(ChatUpdate)
    /// Top log patterns, a pattern's raw lines or search results, from the poller (while the logs pane is visible).
    case logs(LogsUpdate)
    /// Audit entries and the chain's last check (while the audit pane is visible).
    case audit(AuditSnapshot)
    case auditError(String)
    /// A host's top processes over the last hour (while its detail is visible).
    case processes(host: String, [ProcessSample])
    /// A metric's series over a range (while the metric view is visible).
    case metric(MetricSnapshot)
    case metricError(String)
    /// Stored reports, newest first (while the reports pane is visible).
    case reports([StoredReport])
    case reportsError(String)
    /// The outbox and escalations (while the notifications pane is visible).
    case notifications(NotifySnapshot)
    /// The database servers the probes watch (while the databases pane is visible).
    case databases(DatabasesSnapshot)
    /// One database's long-running and slow queries of the last hour.
    case databaseQueries(DatabaseQueriesSnapshot)
    case databasesError(String)
    /// Availability per check over a window (while the SLA pane is visible; at most every 30 s).
    case sla(SLASnapshot)
    case slaError(String)
    /// The links of the topology (while the topology pane is visible; at most every 10 s).
    case topology(TopologySnapshot)
    case topologyError(String)
    /// The services with their checks, latency, uptime and alerts (while the services pane is visible; at most every 30 s).
    case services(ServicesSnapshot)
    case servicesError(String)
}

import Foundation
import VigilWire

/// The assistant's tools: read-only questions about the fleet, plus `propose_runbook`, which plans a run and says
/// whether the safety checks would let it through but never submits it.
///
/// The console's chat pane hands `definitions` to the model (`openAITools`) and answers its tool calls with
/// `call(name:arguments:)`; `vigil mcp` serves the same catalogue over the Model Context Protocol. A call never
/// throws: bad arguments and failed reads come back as `ToolResult.error` with a message naming what was wrong.
public struct FleetTools: Sendable {
    public let store: any Store
    /// Plans `propose_runbook` (its catalogue, policy and `--readonly` apply); nothing is ever submitted here.
    public var remediator: Remediator
    /// On whose behalf runbooks are proposed: the role check of the plan's verdict is this person's.
    public var requester: SafetyRequest.Requester
    /// Unix ms now (a fixed clock in tests).
    public var clock: @Sendable () -> Int64

    public init(store: any Store, remediator: Remediator, requester: SafetyRequest.Requester,
                clock: @escaping @Sendable () -> Int64 = { WallClock.nowMs() }) {
        self.store = store
        self.remediator = remediator
        self.requester = requester
        self.clock = clock
    }

    /// With a remediator over `catalog` and the default safety policy.
    public init(store: any Store, catalog: RunbookCatalog, requester: SafetyRequest.Requester,
                clock: @escaping @Sendable () -> Int64 = { WallClock.nowMs() }) {
        self.init(store: store, remediator: Remediator(store: store, catalog: catalog), requester: requester, clock: clock)
    }

    // MARK: limits

    static let maxLookBackMs: Int64 = 7 * 86_400_000
    static let maxSeriesPerQuery = 10
    static let maxMessageChars = 500

    // MARK: catalogue

    public static let queryMetrics = "query_metrics"
    public static let listAlerts = "list_alerts"
    public static let searchLogs = "search_logs"
    public static let listHosts = "list_hosts"
    public static let topologyNeighbours = "topology_neighbours"
    public static let similarIncidents = "similar_incidents"
    public static let proposeRunbook = "propose_runbook"

    /// Every tool, in the order a model is best shown them.
    public var definitions: [ToolDefinition] {
        let runbooks = remediator.catalog.runbooks
        let runbookKind: ToolParameter.Kind = runbooks.isEmpty ? .string : .oneOf(runbooks.map(\.name))
        let known = runbooks.map { "\($0.name) (\($0.risk.rawValue) risk: \($0.description))" }.joined(separator: "; ")
        return [
            ToolDefinition(name: Self.listHosts, description: """
                The fleet now: every host's status (up/stale/down), health score 0-100, CPU, memory and fullest-disk \
                percent, load, failing checks and error log lines of the last 15 minutes; worst health first.
                """, parameters: [
                    ToolParameter("status", .oneOf(HostStatus.allCases.map(\.rawValue)), "Only hosts in this status."),
                    ToolParameter("label", .string, "Only hosts with this label, as key=value (e.g. group=web)."),
                    ToolParameter("limit", .integer(min: 1, max: 500), "At most this many hosts (default 100)."),
                ]),
            ToolDefinition(name: Self.queryMetrics, description: """
                One metric of one host over a look-back window: latest, min, max and average, and a compact series \
                of bucket averages. Metric names are like cpu.usage_percent, mem.used_percent, disk.used_percent, \
                load.1; an unknown name is answered with the host's metric names.
                """, parameters: [
                    ToolParameter("host", .string, "The host name, e.g. web-1.", required: true),
                    ToolParameter("metric", .string, "The metric name, e.g. cpu.usage_percent.", required: true),
                    ToolParameter("labels", .stringMap, "Only series with these labels, e.g. {\"mount\": \"/\"}. Default: every series of the metric."),
                    ToolParameter("since", .string, "Look-back window such as 15m, 1h, 2d (default 1h, at most 7d)."),
                    ToolParameter("points", .integer(min: 1, max: 120), "Buckets in the compact series (default 30)."),
                ]),
            ToolDefinition(name: Self.listAlerts, description: """
                Alerts, most severe and oldest first: rule, severity, state, host, value, since when, who acknowledged, \
                why muted. Default: the active ones (pending or firing).
                """, parameters: [
                    ToolParameter("state", .oneOf(["active", "firing", "pending", "resolved", "all"]), "Which alerts (default active)."),
                    ToolParameter("host", .string, "Only alerts of this host."),
                    ToolParameter("severity", .oneOf(AlertSeverity.allCases.map(\.rawValue)), "Only alerts at least this severe."),
                    ToolParameter("limit", .integer(min: 1, max: 200), "At most this many alerts (default 50)."),
                ]),
            ToolDefinition(name: Self.searchLogs, description: """
                Log lines, newest first, by full-text search (every word must appear), host, minimum level and \
                look-back window.
                """, parameters: [
                    ToolParameter("query", .string, "Words that must all appear, e.g. \"connection refused\". Default: any line."),
                    ToolParameter("host", .string, "Only this host's lines."),
                    ToolParameter("level", .oneOf(LogLevel.allCases.map(\.rawValue)), "Only lines at least this severe."),
                    ToolParameter("since", .string, "Look-back window such as 15m, 1h, 2d (default 1h, at most 7d)."),
                    ToolParameter("limit", .integer(min: 1, max: 200), "At most this many lines (default 50)."),
                ]),
            ToolDefinition(name: Self.topologyNeighbours, description: """
                Hosts related to a host. When an operator accepted topology edges for it, those (inferred: false); \
                otherwise INFERRED from observed data only: hosts sharing its group, role, service or cluster label, \
                and hosts whose checks probe it or that its checks probe (by name or address label). Absence of a \
                neighbour proves nothing.
                """, parameters: [
                    ToolParameter("host", .string, "The host name, e.g. web-1.", required: true),
                ]),
            ToolDefinition(name: Self.similarIncidents, description: """
                Resolved incidents remembered by Vigil that resemble an alert (by its fingerprint) or a description \
                (by words): what was diagnosed, which runbook ran and how it ended, notes, log patterns.
                """, parameters: [
                    ToolParameter("fingerprint", .string, "An alert's fingerprint (from list_alerts): incidents like that alert."),
                    ToolParameter("query", .string, "Or words to search for, e.g. \"disk full postgres\"."),
                    ToolParameter("limit", .integer(min: 1, max: 20), "At most this many incidents (default 5)."),
                ]),
            ToolDefinition(name: Self.proposeRunbook, description: """
                Plans a runbook on a host WITHOUT running or queueing it: the resolved parameters, the exact commands, \
                and the safety verdict (allowed, needs approval, or blocked and why). An operator must accept the \
                proposal for anything to happen. \(known.isEmpty ? "No runbooks are loaded." : "Runbooks: \(known).")
                """, parameters: [
                    ToolParameter("runbook", runbookKind, "The runbook name.", required: true),
                    ToolParameter("host", .string, "The host to run it on.", required: true),
                    ToolParameter("params", .stringMap, "Runbook parameters by name, e.g. {\"service\": \"nginx\"}."),
                    ToolParameter("alert", .string, "The fingerprint of the alert this answers: its labels fill parameters and a diagnosis is attached."),
                ]),
        ]
    }

    /// The catalogue as OpenAI's chat-completions `tools` array.
    public var openAITools: JSONValue { .array(definitions.map(\.openAITool)) }

    public func definition(named name: String) -> ToolDefinition? { definitions.first { $0.name == name } }

    // MARK: calls

    /// Runs a tool. Unknown tools, bad arguments and store failures come back as error results.
    public func call(name: String, arguments: [String: JSONValue]) async -> ToolResult {
        guard let def = definition(named: name) else {
            return .error("no tool named '\(name)' (tools: \(definitions.map(\.name).joined(separator: ", ")))")
        }
        do {
            let args = try ToolArguments(tool: def, values: arguments)
            switch name {
            case Self.listHosts: return try await listHosts(args)
            case Self.queryMetrics: return try await queryMetrics(args)
            case Self.listAlerts: return try await listAlerts(args)
            case Self.searchLogs: return try await searchLogs(args)
            case Self.topologyNeighbours: return try await topologyNeighbours(args)
            case Self.similarIncidents: return try await similarIncidents(args)
            case Self.proposeRunbook: return try await proposeRunbook(args)
            default: return .error("no tool named '\(name)'")
            }
        } catch let e as ToolArgumentError {
            return .error("\(name): \(e.description)")
        } catch let e as StoreError {
            return .error("\(name): the store could not answer: \(e.message)")
        } catch {
            return .error("\(name): the store could not answer: \(error)")
        }
    }

    /// Runs a tool whose arguments are JSON text, as OpenAI's tool calls carry them (empty text means none).
    public func call(name: String, argumentsJSON: String) async -> ToolResult {
        let text = argumentsJSON.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return await call(name: name, arguments: [:]) }
        let value: JSONValue
        do { value = try JSONValue.parse(text) } catch { return .error("\(name): the arguments are \(error.message)") }
        guard let object = value.objectValue else {
            return .error("\(name): the arguments must be a JSON object, got \(value.kindName)")
        }
        return await call(name: name, arguments: object)
    }
}

/// A command typed on the `:` command line (named so as not to clash with the `console` subcommand).
enum TypedCommand: Equatable, Sendable {
    /// The fleet dashboard.
    case hosts
    /// The detail view of one host.
    case host(String)
    case quit
    /// Switch theme; nil lists the available themes.
    case theme(String?)
    case help
    /// Fetch fresh data now.
    case refresh
    /// The alerts pane.
    case alerts
    /// The silences pane.
    case silences
    /// The rules pane.
    case rules
    /// The runbooks pane: approvals, runs, catalogue.
    case runbooks
    /// The notifications pane: on call, channels, outbox.
    case notifications
    /// Send a test message to a channel (`:notify test NAME`).
    case notifyTest(String)
    /// Re-read the rule files (admin; only when this console runs the engine).
    case reload
    /// The AI chat: about the fleet, or about one host.
    case chat(host: String?)
    /// The AI call log.
    case aiCalls
    /// The logs pane: top log patterns of one host, or of the fleet.
    case logs(host: String?)
    /// The audit log and the state of its hash chain.
    case audit
    /// The PostgreSQL servers the agents watch.
    case databases
    /// Availability objectives and error budgets per check.
    case sla
    case topology
    case groups
    case services
    /// Stored daily and weekly reports.
    case reports
    /// A metric over time on some hosts (none: every host with it).
    case metric(String, hosts: [String])
}

/// A command line that did not parse; the message says what to type instead.
struct CommandError: Error, Equatable, Sendable, CustomStringConvertible {
    var message: String
    var description: String { message }
}

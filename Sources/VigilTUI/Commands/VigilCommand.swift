import ArgumentParser
import VigilCore
import VigilWire

/// The root command: the console unless a subcommand is named.
struct VigilCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "A terminal-first operations console: fleet, alerts, logs, runbooks.",
        version: VigilVersion.current,
        subcommands: [ConsoleCommand.self, ServeCommand.self, TokenCommand.self, UserCommand.self, AuditCommand.self, RulesCommand.self, RunbookCommand.self, LogsCommand.self, AnomalyCommand.self, AICommand.self, MCPCommand.self, ReportCommand.self, TopologyCommand.self, SLACommand.self, NotifyCommand.self, OnCallCommand.self, DemoCommand.self, DBCommand.self, DefaultsCommand.self],
        defaultSubcommand: ConsoleCommand.self
    )
}

/// `--db`, shared by every command that opens the store.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The store: a SQLite file path (default $XDG_DATA_HOME/vigil/vigil.db) or postgres://USER@HOST:PORT/DB; also VIGIL_DB.", valueName: "PATH|URL"))
    var db: String?

    var location: StoreLocation { StoreLocation.resolve(flag: db) }

    func open() throws -> any Store {
        do {
            return try location.open()
        } catch let e as StoreError {
            // Not a usage mistake: the error alone, without the usage text.
            throw CommandFailure(e.message)
        }
    }
}

/// A command that could not do its work: printed as `Error: message`, exit status 1, without the usage text that
/// a `ValidationError` (a mistake in the command line) brings.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

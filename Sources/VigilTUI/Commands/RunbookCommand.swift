import ArgumentParser
import Foundation
import Logging
import VigilAgentCore
import VigilCore
import VigilWire

/// `vigil runbook list|show|dry-run|run|runs|approve|reject|cancel`: the scriptable face of remediation.
struct RunbookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runbook",
        abstract: "Runbooks: list, show, dry-run and run them on a host; approve, reject and cancel runs (docs/runbooks.md).",
        subcommands: [List.self, Show.self, DryRun.self, Run.self, Runs.self, Approve.self, Reject.self, Cancel.self]
    )

    /// `--runbooks DIR`, shared by the subcommands that read the catalogue.
    struct CatalogOptions: ParsableArguments {
        @Option(name: .customLong("runbooks"), help: ArgumentHelp("Your runbook directory (default $VIGIL_RUNBOOKS, ~/.config/vigil/runbooks or /etc/vigil/runbooks).", valueName: "DIR"))
        var directory: String?

        func load() -> RunbookCatalog {
            let catalog = RunbookCatalog.load(userDirectory: directory ?? RunbookCatalog.defaultUserDirectory())
            for e in catalog.errors { FileHandle.standardError.write(Data("\(e)\n".utf8)) }
            for w in catalog.warnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
            return catalog
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The catalogue: name, risk, role, the alerts each fits, where each comes from.")
        @OptionGroup var catalog: CatalogOptions

        func run() throws {
            let c = catalog.load()
            var rows: [[String]] = []
            for rb in c.runbooks {
                let fits = rb.matches.map { m in ([m.alert.map { "alert\($0.description)" }].compactMap { $0 } + m.labels.map(\.description)).joined(separator: " ") }
                let source = EmbeddedDefaults.isEmbedded(rb.file) ? "embedded" : rb.file
                rows.append([rb.name, rb.risk.rawValue, rb.role.rawValue, "\(rb.steps.count)", fits.joined(separator: "; "), source, rb.description])
            }
            print(TimeText.table(header: ["NAME", "RISK", "ROLE", "STEPS", "FITS", "SOURCE", "DESCRIPTION"], rows: rows))
            if c.runbooks.isEmpty { FileHandle.standardError.write(Data("warning: no runbooks\n".utf8)) }
            if !c.errors.isEmpty { throw ExitCode.failure }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One runbook: parameters, steps, file and hash.")
        @OptionGroup var catalog: CatalogOptions
        @Argument(help: "The runbook name.") var name: String

        func run() throws {
            let c = catalog.load()
            guard let rb = c.runbook(named: name) else {
                throw ValidationError("no runbook named '\(name)' (known: \(c.runbooks.map(\.name).joined(separator: ", ")))")
            }
            print(RunbookText.describe(rb))
        }
    }

    /// The options of dry-run and run.
    struct Target: ParsableArguments {
        @Argument(help: "The runbook name.") var name: String
        @Option(help: "The host to run it on.") var host: String
        @Option(name: .customLong("param"), help: ArgumentHelp("A parameter value (repeatable).", valueName: "NAME=VALUE"))
        var params: [String] = []
        @Option(help: ArgumentHelp("Tie the run to this alert (its labels fill parameters; the run shows on its timeline).", valueName: "FINGERPRINT"))
        var alert: String?
        @Option(help: ArgumentHelp("Give up waiting for the host after this long (default 10m).", valueName: "DURATION"))
        var wait: String = "10m"

        func parameters() throws -> [String: String] {
            var out: [String: String] = [:]
            for p in params {
                guard let eq = p.firstIndex(of: "="), eq != p.startIndex else {
                    throw ValidationError("--param '\(p)' must be NAME=VALUE, e.g. --param older_than_days=3")
                }
                out[String(p[..<eq])] = String(p[p.index(after: eq)...])
            }
            return out
        }
    }

    struct DryRun: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dry-run",
            abstract: "Show the exact argv of every step and what it would touch (files, PIDs, sockets); change nothing.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var catalog: CatalogOptions
        @OptionGroup var target: Target

        func run() throws {
            try RunbookCommand.execute(target: target, dryRun: true, store: store, catalog: catalog)
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a runbook on a host after the safety checks; stream its output. Ctrl-C cancels.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var catalog: CatalogOptions
        @OptionGroup var target: Target
        @Option(help: ArgumentHelp("For a high-risk runbook: type the host name to confirm.", valueName: "HOST"))
        var confirm: String?

        func run() throws {
            let c = catalog.load()
            if let rb = c.runbook(named: target.name), rb.risk == .high, confirm != target.host {
                throw ValidationError("\(rb.name) is high risk: add --confirm \(target.host) to run it on \(target.host)")
            }
            try RunbookCommand.execute(target: target, dryRun: false, store: store, catalog: catalog)
        }
    }

    /// Plans, checks, submits, then follows the run to its end, printing each step's output.
    static func execute(target: Target, dryRun: Bool, store storeOptions: StoreOptions, catalog catalogOptions: CatalogOptions) throws {
        let store = try storeOptions.open()
        let user = try Operator.require(.runRunbook, store: store)
        guard let waitMs = DurationText.milliseconds(target.wait), waitMs > 0 else {
            throw ValidationError("--wait '\(target.wait)' is not a duration; write e.g. 10m")
        }
        let remediator = Remediator(store: store, catalog: catalogOptions.load())
        let params = try target.parameters()
        let (name, host, fp) = (target.name, target.host, target.alert)
        let plan: RemediationPlan
        do {
            plan = try Blocking.run {
                let now = WallClock.nowMs()
                let alert = try await fp.asyncMap { f in
                    guard let a = try await store.alert(fingerprint: f) else { throw RemediationError("no alert with fingerprint '\(f)'") }
                    return a
                }
                return try await remediator.plan(runbook: name, host: host, parameters: params, alert: alert,
                                                 requester: .user(name: user.name, role: user.role), dryRun: dryRun, now: now)
            }
        } catch let e as RemediationError {
            throw ValidationError(e.message)
        }
        print(RunbookText.plan(plan))
        let run = try Blocking.run { try await remediator.submit(plan, now: WallClock.nowMs()) }
        guard run.state == .queued else {
            print("\(run.id): \(run.state.rawValue.replacingOccurrences(of: "_", with: " ")): \(run.message)")
            throw ExitCode.failure
        }
        print("\(run.id): queued for \(host)")
        let final = try follow(run, store: store, user: user, remediator: remediator, waitMs: waitMs)
        throw final == .succeeded ? ExitCode.success : ExitCode.failure
    }

    /// Prints the run's events until it ends. Runs the job in this process when the host is this machine and
    /// no engine is running to do it. Ctrl-C asks for a cancel.
    static func follow(_ run: RemediationRun, store: any Store, user: VigilUser, remediator: Remediator, waitMs: Int64) throws -> RunState {
        let interrupted = SignalFlag(SIGINT)
        let local = LocalJobRunner.localHostName()
        let lease = try Blocking.run { try await store.currentLease(now: WallClock.nowMs()) }
        if run.host == local && lease == nil {
            // No engine anywhere: this process is the local host's agent for the run.
            let service = RemediationService(remediator: remediator, rules: { [] }, isLeader: { false }, local: nil, logger: Logger(label: "vigil"))
            let runner = LocalJobRunner(host: local)
            Task.detached {
                if let claimed = try await store.claimJobs(host: local, now: WallClock.nowMs()).first(where: { $0.id == run.id }) {
                    await service.runLocally(claimed, runner: runner)
                }
            }
        }
        var seq = 0
        let printer = RunbookText.EventPrinter(steps: run.job.steps)
        let started = WallClock.nowMs()
        var warned = false
        var cancelSent = false
        while true {
            let after = seq
            let (events, current) = try Blocking.run { (try await store.runEvents(id: run.id, afterSeq: after), try await store.run(id: run.id)) }
            for e in events {
                seq = max(seq, e.seq)
                for line in printer.lines(for: e) { print(line) }
            }
            fflush(nil)
            guard let current else { throw ValidationError("run \(run.id) disappeared from the store") }
            if current.state.isFinal {
                print("\(run.id): \(current.state.rawValue.replacingOccurrences(of: "_", with: " ")): \(current.message)")
                return current.state
            }
            if interrupted.isSet && !cancelSent {
                cancelSent = true
                print("cancelling \(run.id)…")
                _ = try? Blocking.run { try await remediator.cancel(run.id, by: user, now: WallClock.nowMs()) }
            }
            let waited = WallClock.nowMs() - started
            if current.state == .queued && waited > 5_000 && !warned {
                warned = true
                print("waiting for \(run.host)'s agent to pick it up (the listener of `vigil serve` or the console hands it over; the agent must run with remediation enabled)…")
            }
            if current.state == .queued && waited > waitMs {
                _ = try? Blocking.run { try await remediator.cancel(run.id, by: user, now: WallClock.nowMs()) }
                throw ValidationError("\(run.host) did not pick up \(run.id) within \(DurationText.short(ms: waitMs)); cancelled it")
            }
            usleep(150_000)
        }
    }

    struct Runs: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recent runs, newest first.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Only this host.") var host: String?
        @Option(help: "How many (default 30).") var limit: Int = 30

        func run() throws {
            let store = try self.store.open()
            let (host, limit) = (self.host, self.limit)
            let runs = try Blocking.run { try await store.runs(RunFilter(host: host, limit: max(1, limit))) }
            var rows: [[String]] = []
            let now = WallClock.nowMs()
            for r in runs {
                rows.append([r.id, r.runbook + (r.dryRun ? " (dry)" : ""), r.host, r.state.rawValue, r.approvedBy ?? r.requestedBy,
                             DurationText.short(ms: now - r.createdAt) + " ago", String(r.message.prefix(80))])
            }
            print(TimeText.table(header: ["ID", "RUNBOOK", "HOST", "STATE", "BY", "WHEN", "MESSAGE"], rows: rows))
        }
    }

    struct Approve: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve a run waiting for approval.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var catalog: CatalogOptions
        @Argument(help: "The run id (run_…).") var id: String

        func run() throws {
            let store = try self.store.open()
            let user = try Operator.require(.runRunbook, store: store)
            let remediator = Remediator(store: store, catalog: catalog.load())
            let id = self.id
            let r = try RunbookCommand.transition { try await remediator.approve(id, by: user, now: WallClock.nowMs()) }
            print("\(r.id): \(r.message)")
        }
    }

    struct Reject: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject a run waiting for approval, with a reason.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The run id (run_…).") var id: String
        @Option(help: "Why (required).") var reason: String

        func run() throws {
            let store = try self.store.open()
            let user = try Operator.require(.runRunbook, store: store)
            let remediator = Remediator(store: store, catalog: RunbookCatalog(runbooks: []))
            let (id, reason) = (self.id, self.reason)
            let r = try RunbookCommand.transition { try await remediator.reject(id, by: user, reason: reason, now: WallClock.nowMs()) }
            print("\(r.id): \(r.message)")
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a run (a running step is stopped).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The run id (run_…).") var id: String

        func run() throws {
            let store = try self.store.open()
            let user = try Operator.require(.runRunbook, store: store)
            let remediator = Remediator(store: store, catalog: RunbookCatalog(runbooks: []))
            let id = self.id
            let r = try RunbookCommand.transition { try await remediator.cancel(id, by: user, now: WallClock.nowMs()) }
            print("\(r.id): \(r.message)")
        }
    }

    static func transition(_ body: @escaping @Sendable () async throws -> RemediationRun) throws -> RemediationRun {
        do {
            return try Blocking.run(body)
        } catch let e as RunTransitionError {
            throw ValidationError(e.message)
        } catch let e as RemediationError {
            throw ValidationError(e.message)
        } catch let e as StoreError {
            throw ValidationError(e.message)
        }
    }
}

extension Optional {
    func asyncMap<T>(_ f: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let v = self else { return nil }
        return try await f(v)
    }
}

/// A signal that only sets a flag (checked by a polling loop).
final class SignalFlag: @unchecked Sendable {
    private let source: any DispatchSourceSignal
    private let lock = NSLock()
    private var set = false

    init(_ sig: Int32) {
        signal(sig, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler { [weak self] in
            guard let self else { return }
            self.lock.lock()
            self.set = true
            self.lock.unlock()
        }
        source.resume()
    }

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return set
    }
}

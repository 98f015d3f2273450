import ArgumentParser
import Foundation
import Logging
import VigilCore
import VigilHTTP
import VigilWire

/// `vigil serve`: the engine, headless, for systemd.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the engine headless: the listener for agents, compaction and the engine lease."
    )

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("Where agents connect (default 127.0.0.1:9470; 0.0.0.0:9470 to take agents from the network).", valueName: "HOST:PORT"))
    var listen: String = "127.0.0.1:9470"

    @Option(help: ArgumentHelp("Largest request body accepted, in bytes (default 8 MiB).", valueName: "BYTES"))
    var maxBody: Int = 8 * 1024 * 1024

    @Option(help: ArgumentHelp("Most series one host may have; a batch creating more is refused with 400 series_limit (default 10000).", valueName: "N"))
    var maxSeriesPerHost: Int = 10_000

    @Option(help: ArgumentHelp("Most series of the core metrics (CPU, memory, disks, network, TCP, error rate) the anomaly scanner follows per host, the host's own before those of its mounts and interfaces (default 64; metrics anomaly rules name are not limited).", valueName: "N"))
    var anomalySeriesPerHost: Int = AnomalyScanner.defaultCoreSeriesPerHost

    @Option(help: ArgumentHelp("Serve HTTPS with this certificate chain (PEM); with --tls-key. SIGHUP reads both again.", valueName: "PATH"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The private key (PEM) of --tls-cert.", valueName: "PATH"))
    var tlsKey: String?

    @Option(help: ArgumentHelp("Require client certificates signed by this CA (PEM): mutual TLS for agents.", valueName: "PATH"))
    var tlsClientCa: String?

    @Option(name: .customLong("rules"), help: ArgumentHelp("A directory of rule files (repeatable; default: /etc/vigil/rules, ~/.config/vigil/rules, else the shipped defaults). SIGHUP reloads.", valueName: "DIR"))
    var ruleDirectories: [String] = []

    @Option(name: .customLong("runbooks"), help: ArgumentHelp("Your runbook directory (default $VIGIL_RUNBOOKS, ~/.config/vigil/runbooks or /etc/vigil/runbooks).", valueName: "DIR"))
    var runbookDirectory: String?

    @OptionGroup var notify: NotifyCommand.ConfigOption

    func run() throws {
        let address: ListenAddress
        do { address = try ListenAddress.parse(listen) } catch let e as StoreError { throw ValidationError(e.message) }
        guard maxBody >= 1024 else { throw ValidationError("--max-body must be at least 1024 bytes") }
        guard maxSeriesPerHost >= 100 else { throw ValidationError("--max-series-per-host must be at least 100") }
        guard anomalySeriesPerHost >= 0 else { throw ValidationError("--anomaly-series-per-host must be 0 (no core series scanned) or more") }
        var tls: ListenerTLS?
        switch (tlsCert, tlsKey) {
        case let (cert?, key?):
            do { tls = try ListenerTLS(files: .init(certificate: cert, key: key, clientCA: tlsClientCa)) } catch let e as StoreError {
                throw CommandFailure(e.message)
            }
        case (nil, nil):
            if tlsClientCa != nil { throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key") }
        default:
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        let store = try self.store.open()
        (store as? SQLiteStore)?.maxSeriesPerHost = maxSeriesPerHost
        (store as? PostgresStore)?.maxSeriesPerHost = maxSeriesPerHost
        var limits = WireLimits.default
        limits.maxBodyBytes = maxBody
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = .info
            return h
        }
        let logger = Logger(label: "vigil")
        var options = VigilEngine.Options(listen: address, limits: limits, ruleDirectories: ruleDirectories.isEmpty ? nil : ruleDirectories)
        options.tls = tls
        options.anomalySeriesPerHost = anomalySeriesPerHost
        options.userRunbooks = runbookDirectory ?? RunbookCatalog.defaultUserDirectory()
        if let config = try notify.loadIfAny() {
            options.notify = (config, { (HTTPClient(), SMTPClient()) })
            logger.info("notifications: \(config.channels.count) channels from \(config.source)")
        } else {
            logger.warning("notifications: no notify.yaml (looked for $VIGIL_NOTIFY, ~/.config/vigil/notify.yaml, /etc/vigil/notify.yaml): alerts are shown, not sent; see docs/notifications.md")
        }
        let engine = VigilEngine(store: store, options: options, logger: logger)
        let rules = engine.evaluator.status
        logger.info("vigil serve: store \(store.description), listening on \(tls == nil ? "http" : "https")://\(address), \(rules.rules) rules from \(engine.evaluator.ruleSources)")
        if tls == nil && !["127.0.0.1", "::1", "localhost"].contains(address.host) {
            logger.warning("the listener takes agents from the network over plain HTTP: tokens travel in the clear; use --tls-cert and --tls-key")
        }
        // SIGHUP: reload the rule files (a broken file keeps its last good version).
        signal(SIGHUP, SIG_IGN)
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hup.setEventHandler {
            engine.evaluator.requestReload(by: "SIGHUP")
            logger.info("SIGHUP: reloading rules")
            if let tls {
                do {
                    try tls.reload()
                    logger.info("SIGHUP: TLS certificate reloaded from \(tls.files.certificate)")
                } catch {
                    logger.error("SIGHUP: TLS certificate not reloaded, the old one stays: \(error)")
                }
            }
        }
        hup.resume()
        defer { hup.cancel() }
        try Blocking.run {
            try await engine.run()
        }
        logger.info("vigil serve: stopped")
    }
}

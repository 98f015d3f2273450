import ArgumentParser
import Foundation
import VigilCore
import VigilWire

/// `vigil ai status|diagnose|logs|calls`: the AI engine from the command line (docs/ai.md).
struct AICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ai",
        abstract: "The AI engine: configuration, root-cause analysis of an alert, log analysis, the call log (docs/ai.md).",
        subcommands: [Status.self, Diagnose.self, Logs.self, Calls.self]
    )

    /// `--ai-config PATH`, for the subcommands that call out.
    struct ConfigOptions: ParsableArguments {
        @Option(name: .customLong("config"), help: ArgumentHelp("The config file whose 'ai:' section applies (default ~/.config/vigil/config.yaml).", valueName: "PATH"))
        var path: String?

        func load() throws -> AIConfig {
            if let path, !FileManager.default.fileExists(atPath: path) { throw ValidationError("\(path): no such config file") }
            do { return try AIConfig.load(configFile: path) } catch { throw ValidationError(error.description) }
        }

        func client(log: (any AICallLog)?) throws -> AIClient {
            let config = try load()
            do { return try AIClient(config: config, log: log) } catch { throw ValidationError(error.description) }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The AI configuration and whether a key is set (the key is never shown).")
        @OptionGroup var config: ConfigOptions

        func run() throws {
            let c = try config.load()
            let rows: [[String]] = [
                ["endpoint", c.chatURL],
                ["model", c.model],
                ["key", c.hasKey ? "set (from \(c.keySource ?? "?"))" : "not set"],
                ["timeouts", "connect \(DurationText.short(ms: Int64(c.connectTimeoutMs))), idle \(DurationText.short(ms: Int64(c.idleTimeoutMs))), total \(DurationText.short(ms: Int64(c.totalTimeoutMs)))"],
                ["retries", "\(c.maxRetries) on 429/5xx, backoff from \(c.backoffBaseMs) ms"],
                ["context", "\(c.contextTokens) tokens, answers up to \(c.maxAnswerTokens)"],
                ["redaction", "built-in patterns" + (c.redactPatterns.isEmpty ? "" : " + \(c.redactPatterns.count) of yours")],
            ]
            print(TimeText.table(header: ["AI", ""], rows: rows))
            if !c.hasKey { print("\n" + AIConfig.noKeyMessage) }
        }
    }

    struct Diagnose: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Root-cause analysis of an alert by the AI (validated against the runbook catalogue); the heuristic diagnosis when there is no key or the answer is refused.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var catalog: RunbookCommand.CatalogOptions
        @OptionGroup var config: ConfigOptions
        @Argument(help: ArgumentHelp("The alert's fingerprint (or a unique prefix of it).", valueName: "FINGERPRINT"))
        var fingerprint: String
        @Flag(help: "Show the AI's answer on standard error as it streams in.")
        var stream = false

        func run() throws {
            let store = try store.open()
            let catalog = catalog.load()
            let client = try config.client(log: StoreAICallLog(store: store))
            let fingerprint = fingerprint
            let streaming = stream
            let result = try Blocking.run { () -> AIDiagnosisResult in
                let alert = try await AICommand.alert(fingerprint, store: store)
                let now = WallClock.nowMs()
                let input = await AIDiagnoser.input(for: alert, store: store, now: now)
                return await AIDiagnoser(client: client).analyze(input, catalog: catalog) { event in
                    guard streaming else { return }
                    switch event {
                    case .text(let t): FileHandle.standardError.write(Data(t.utf8))
                    case .retrying(let attempt, let ms, let reason):
                        FileHandle.standardError.write(Data("\n[retry \(attempt) in \(ms) ms: \(reason)]\n".utf8))
                    default: break
                    }
                }
            }
            if streaming { FileHandle.standardError.write(Data("\n".utf8)) }
            print(AICommand.describe(result))
        }
    }

    struct Logs: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Analyse a host's logs over a time range: templates with counts, and the AI's patterns, anomalies and assessment.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var config: ConfigOptions
        @Option(help: "The host.") var host: String
        @Option(help: ArgumentHelp("How far back, e.g. 30m, 1h, 1d.", valueName: "DURATION")) var since: String = "1h"
        @Option(help: ArgumentHelp("At most this many lines (newest kept).", valueName: "N")) var limit: Int = 20_000

        func run() throws {
            guard let ms = DurationText.milliseconds(since), ms > 0 else { throw ValidationError("--since '\(since)' is not a duration (e.g. 1h)") }
            guard limit > 0 else { throw ValidationError("--limit must be positive") }
            let store = try store.open()
            let client = try config.client(log: StoreAICallLog(store: store))
            let (host, limit) = (host, limit)
            let now = WallClock.nowMs()
            let analysis = try Blocking.run {
                try await LogAnalyzer(client: client).analyze(host: host, from: now - ms, to: now, store: store, limit: limit)
            }
            print(AICommand.describe(analysis))
        }
    }

    struct Calls: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The AI call log: feature, model, tokens, latency, outcome (never the content).")
        @OptionGroup var store: StoreOptions
        @Option(help: "How many calls, newest first.") var limit: Int = 50

        func run() throws {
            let store = try store.open()
            let limit = limit
            let calls = try Blocking.run { try await store.aiCalls(limit: limit) }
            if calls.isEmpty {
                print("no AI calls yet")
                return
            }
            let rows = calls.map { c in
                [TimeText.iso(c.ts), c.feature, c.model, c.promptTokens.map(String.init) ?? "-", c.completionTokens.map(String.init) ?? "-",
                 "\(c.latencyMs)", c.outcome.rawValue, c.detail]
            }
            print(TimeText.table(header: ["TIME", "FEATURE", "MODEL", "PROMPT", "ANSWER", "MS", "OUTCOME", "DETAIL"], rows: rows))
        }
    }

    /// The alert with this fingerprint, or the only one it is a prefix of.
    static func alert(_ fingerprint: String, store: any Store) async throws -> StoredAlert {
        if let a = try await store.alert(fingerprint: fingerprint) { return a }
        let matches = try await store.alerts(states: nil, limit: 10_000).filter { $0.fingerprint.hasPrefix(fingerprint) }
        guard matches.count == 1, let a = matches.first else {
            throw ValidationError(matches.isEmpty ? "no alert with fingerprint '\(fingerprint)' (list them in the console or with the alerts API)"
                                  : "'\(fingerprint)' matches \(matches.count) alerts; give more of the fingerprint")
        }
        return a
    }

    static func describe(_ r: AIDiagnosisResult) -> String {
        var out: [String] = []
        if let rc = r.rootCause {
            out.append("Root cause (\(rc.model)): \(rc.summary)")
            out.append("")
            for (i, c) in rc.causes.enumerated() {
                out.append("\(i + 1). \(c.cause)  [\(Int((c.confidence * 100).rounded()))%]")
                for e in c.evidence { out.append("     - \(e)") }
            }
            out.append("")
            if let rb = rc.runbook {
                let params = rc.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                out.append("Runbook: \(rb)" + (params.isEmpty ? "" : "  \(params)"))
            } else {
                out.append("Runbook: none fits; an operator must look")
            }
            out.append("Risk: \(rc.risk.rawValue)")
        } else {
            let d = r.diagnosis
            if let reason = r.fallbackReason { out.append(reason) }
            out.append("")
            out.append("Diagnosis (heuristic): \(d.cause)  [\(Int((d.confidence * 100).rounded()))%]")
            for e in d.evidence where e != r.fallbackReason { out.append("  - \(e)") }
            out.append("Runbook: " + (d.runbook.map { rb in
                rb + (d.parameters.isEmpty ? "" : "  " + d.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
            } ?? "none fits; an operator must look"))
        }
        return out.joined(separator: "\n")
    }

    static func describe(_ a: LogAnalysis) -> String {
        var out = ["Logs of \(a.host), \(TimeText.iso(a.from)) to \(TimeText.iso(a.to)): \(a.lines) lines, \(a.templates.count) templates"]
        if let reason = a.fallbackReason { out.append(reason) }
        out.append("")
        out.append("Assessment (\(a.source)): \(a.assessment)")
        if !a.patterns.isEmpty {
            out.append("")
            out.append("Patterns:")
            for p in a.patterns { out.append("  " + (p.count.map { "×\($0) " } ?? "") + p.pattern + (p.note.isEmpty ? "" : "  (\(p.note))")) }
        }
        if !a.anomalies.isEmpty {
            out.append("")
            out.append("Anomalies:")
            for x in a.anomalies {
                out.append("  [\(x.severity)] \(x.description)")
                for e in x.evidence { out.append("      - \(e)") }
            }
        }
        if !a.templates.isEmpty {
            out.append("")
            out.append(TimeText.table(header: ["COUNT", "LEVEL", "TEMPLATE"],
                                      rows: a.templates.prefix(20).map { ["\($0.count)", $0.worstLevel.rawValue, $0.template] }))
        }
        return out.joined(separator: "\n")
    }
}

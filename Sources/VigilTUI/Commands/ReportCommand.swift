import ArgumentParser
import Foundation
import VigilCore
import VigilWire

/// `vigil report daily|weekly|list|show`: the daily report (alerts, MTTR, incidents, remediation, new log patterns, worst
/// health) with its insight, stored in the store (docs/ai.md).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports: generate the daily or weekly report with its insight, list and show stored reports.",
        subcommands: [Daily.self, Weekly.self, List.self, Show.self]
    )

    struct Daily: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report the last 24 hours (or --since): alerts by rule and host, MTTR, incidents, runbook outcomes, new log patterns, worst health; with an insight (AI when a key is configured, else rules of thumb). Printed and stored.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var config: AICommand.ConfigOptions
        @Option(help: ArgumentHelp("How far back, e.g. 24h, 7d.", valueName: "DURATION")) var since: String = "24h"
        @Flag(inversion: .prefixedNo, help: "Ask the AI for the insight (the default; without a key the heuristic insight says so). --no-ai: rules of thumb only, nothing is sent.")
        var ai = true
        @Flag(help: "Print the report as JSON instead of text.") var json = false

        func run() throws {
            guard let ms = DurationText.milliseconds(since), ms > 0 else { throw ValidationError("--since '\(since)' is not a duration (e.g. 24h)") }
            let store = try store.open()
            let client = try config.client(log: StoreAICallLog(store: store))
            let useAI = ai
            let now = WallClock.nowMs()
            let generated = try Blocking.run {
                try await GeneratedDailyReport.generate(store: store, client: client, from: now - ms, to: now, now: now, useAI: useAI)
            }
            print(json ? generated.stored.json : generated.stored.text)
            FileHandle.standardError.write(Data("stored as report \(generated.stored.id) (vigil report show \(generated.stored.id))\n".utf8))
        }
    }

    /// `vigil report weekly`: the last seven days against the seven before, stored as kind `weekly`.
    struct Weekly: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report the last 7 days against the 7 before: alerts, MTTR, incidents, runbook runs and success, new log patterns, per rule; then the week's incidents, remediation and worst health, with an insight. Printed (or written to --out) and stored.",
            discussion: "The engine holding the lease also writes one each Monday at 00:00 for the week just ended (vigil report list).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var config: AICommand.ConfigOptions
        @Option(help: ArgumentHelp("text, md (Markdown) or html.", valueName: "FORMAT")) var format: String = "text"
        @Option(help: ArgumentHelp("Write the report to this file instead of standard output.", valueName: "FILE")) var out: String?
        @Flag(inversion: .prefixedNo, help: "Ask the AI for the insight (the default; without a key the heuristic insight says so). --no-ai: rules of thumb only, nothing is sent.")
        var ai = true

        func validate() throws {
            guard WeeklyReport.Format(rawValue: format) != nil else {
                throw ValidationError("--format '\(format)' is not one of text, md, html")
            }
        }

        func run() throws {
            let format = WeeklyReport.Format(rawValue: self.format) ?? .text
            let store = try store.open()
            let client = try config.client(log: StoreAICallLog(store: store))
            let useAI = ai
            let now = WallClock.nowMs()
            let generated = try Blocking.run {
                try await GeneratedWeeklyReport.generate(store: store, client: client, to: now, now: now, useAI: useAI)
            }
            let rendered = generated.report.render(format, insight: generated.insight)
            if let out {
                do { try rendered.write(toFile: out, atomically: true, encoding: .utf8) } catch {
                    throw CommandFailure("\(out): cannot write the report: \(error.localizedDescription)")
                }
            } else {
                print(rendered)
            }
            FileHandle.standardError.write(Data("stored as report \(generated.stored.id) (vigil report show \(generated.stored.id))\n".utf8))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stored reports, newest first.")
        @OptionGroup var store: StoreOptions
        @Option(help: "How many.") var limit: Int = 30

        func run() throws {
            let store = try store.open()
            let limit = limit
            let reports = try Blocking.run { try await store.reports(kind: nil, limit: limit) }
            if reports.isEmpty {
                print("no reports yet (vigil report daily or vigil report weekly makes one)")
                return
            }
            let rows = reports.map { r in
                [String(r.id), r.kind, TimeText.iso(r.createdAt), "\(TimeText.iso(r.from)) to \(TimeText.iso(r.to))",
                 ((try? JSONValue.parse(r.json))?["insight"]?["headline"]?.stringValue).map { String($0.prefix(90)) } ?? ""]
            }
            print(TimeText.table(header: ["ID", "KIND", "CREATED", "RANGE", "HEADLINE"], rows: rows))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One stored report, as it was generated.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The report's id (vigil report list).") var id: Int64
        @Flag(help: "Print its JSON instead of its text.") var json = false

        func run() throws {
            let store = try store.open()
            let id = id
            guard let r = try Blocking.run({ try await store.report(id: id) }) else {
                throw ValidationError("no report with id \(id) (vigil report list shows them)")
            }
            print(json ? r.json : r.text)
        }
    }
}

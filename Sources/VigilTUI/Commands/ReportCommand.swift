import ArgumentParser
import Foundation
import VigilCore
import VigilWire

/// `vigil report daily|list|show`: the daily report (alerts, MTTR, incidents, remediation, new log patterns, worst
/// health) with its insight, stored in the store (docs/ai.md).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports: generate the daily report with its insight, list and show stored reports.",
        subcommands: [Daily.self, List.self, Show.self]
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

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stored reports, newest first.")
        @OptionGroup var store: StoreOptions
        @Option(help: "How many.") var limit: Int = 30

        func run() throws {
            let store = try store.open()
            let limit = limit
            let reports = try Blocking.run { try await store.reports(kind: nil, limit: limit) }
            if reports.isEmpty {
                print("no reports yet (vigil report daily makes one)")
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

import ArgumentParser
import Foundation
import VigilCore
import VigilWire

/// `vigil logs patterns FILE --format … [--out OUT.csv]`: log template mining of a file;
/// `vigil logs top [--host H] [--since 1h]`: the templates mined on ingest, most frequent first;
/// `vigil logs search QUERY…`: stored lines by the log query language (LogsCommand+Search).
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Work with log files and the log patterns mined on ingest.",
        subcommands: [Search.self, Patterns.self, Top.self]
    )

    /// `vigil logs patterns FILE`: gives every line a template id (variable parts as `<*>`) and writes the
    /// `LineId,EventId,EventTemplate` CSV (the Loghub layout) to OUT or standard output; a one-line summary
    /// goes to standard error. Algorithm: `LogTemplateMiner` (VigilCore/Intelligence).
    struct Patterns: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mine log templates: one template id per line; writes LineId,EventId,EventTemplate CSV."
        )
        @Argument(help: ArgumentHelp("A log file, one message per line.", valueName: "FILE"))
        var file: String

        @Option(help: ArgumentHelp(
            "Line layout that locates the message, e.g. '<Date> <Time> <Level> <Component>: <Content>' (Loghub notation: <Field>s, spaces match any whitespace, \\[ \\] \\| escapes, (…)? optional parts). Lines that do not match are mined whole. Default: the whole line is the message.",
            valueName: "FORMAT"))
        var format: String?

        @Option(help: ArgumentHelp("Write the CSV here instead of standard output.", valueName: "OUT"))
        var out: String?

        @Option(name: .customLong("set"),
                help: ArgumentHelp("Change one of the miner's knobs (for benchmarks' cross-validation; the engine always uses the defaults): "
                                   + LogTemplateMiner.Options.names.joined(separator: ", ") + ".", valueName: "NAME=VALUE"))
        var assignments: [String] = []

        func run() throws {
            var options = LogTemplateMiner.Options()
            for a in assignments {
                do { try options.set(a) } catch { throw ValidationError("--set: \(error)") }
            }
            var layout: LogFormat?
            if let format {
                do { layout = try LogFormat(format) } catch { throw ValidationError(error.description) }
            }
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("\(file): cannot read the file")
            }
            var report = LogPatternReport(format: layout, miner: LogTemplateMiner(options: options))
            data.withUnsafeBytes { raw in
                let bytes = raw.bindMemory(to: UInt8.self)
                var start = 0
                var i = 0
                while i < bytes.count {
                    if bytes[i] == 0x0A {
                        report.add(lineBytes: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                        start = i + 1
                    }
                    i += 1
                }
                if start < bytes.count { report.add(lineBytes: UnsafeBufferPointer(rebasing: bytes[start..<bytes.count])) }
            }

            if let out {
                guard FileManager.default.createFile(atPath: out, contents: nil), let handle = FileHandle(forWritingAtPath: out) else {
                    throw ValidationError("\(out): cannot create the file")
                }
                defer { try? handle.close() }
                try report.writeCSV { try handle.write(contentsOf: Data($0.utf8)) }
            } else {
                let handle = FileHandle.standardOutput
                try report.writeCSV { try handle.write(contentsOf: Data($0.utf8)) }
            }

            var summary = "\(report.lineTemplates.count) lines, \(report.miner.templateCount) templates"
            if report.unmatchedLines > 0 {
                summary += " (\(report.unmatchedLines) lines did not match the format and were mined whole)"
            }
            FileHandle.standardError.write(Data((summary + "\n").utf8))
        }
    }

    /// `vigil logs top`: the log templates (mined on ingest, variable parts as `<*>`) with the most lines in the
    /// last `--since`, with a trend over that span and the highest level.
    struct Top: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Top log patterns (templates mined on ingest) by line count, with a trend and level."
        )
        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp("Only this host's lines (default: every host).", valueName: "HOST"))
        var host: String?
        @Option(help: ArgumentHelp("How far back, e.g. 15m, 1h, 1d.", valueName: "DURATION"))
        var since: String = "1h"
        @Option(help: "How many patterns.")
        var limit: Int = 20

        func validate() throws {
            guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
            guard let ms = DurationText.milliseconds(since), ms > 0 else {
                throw ValidationError("--since '\(since)' is not a duration (e.g. 15m, 1h, 1d)")
            }
        }

        func run() throws {
            let span = DurationText.milliseconds(since) ?? 3_600_000
            let store = try self.store.open()
            let now = WallClock.nowMs()
            let (host, limit) = (self.host, self.limit)
            let top = try Blocking.run { try await store.topLogPatterns(host: host, from: now - span, to: now + 1, limit: limit) }
            print(Self.render(top, unicode: Self.localeIsUTF8(), now: now))
        }

        /// The table: COUNT, CHANGE against the span before, TREND, LEVEL, FIRST SEEN, PATTERN.
        static func render(_ stats: [LogPatternStat], unicode: Bool, now: Int64) -> String {
            guard !stats.isEmpty else { return "no log lines in that range" }
            let countWidth = max(5, stats.map { String($0.count).count }.max() ?? 0)
            var lines = ["\("COUNT".leftPad(countWidth))  CHANGE  \("TREND".padding(toLength: 12, withPad: " ", startingAt: 0))  LEVEL     FIRST SEEN  PATTERN"]
            for s in stats {
                let trend = Sparkline.render(s.trend.map { Double($0) }, width: unicode ? 6 : 12, unicode: unicode)
                let change: String
                if s.previousCount == 0 {
                    change = s.firstSeen >= now - 86_400_000 && s.firstSeen > 0 ? "new" : "-"
                } else {
                    let pct = (Double(s.count) - Double(s.previousCount)) / Double(s.previousCount) * 100
                    change = (pct >= 0 ? "+" : "") + String(format: "%.0f%%", pct)
                }
                let trendCell = trend.padding(toLength: 12, withPad: " ", startingAt: 0)
                lines.append("\(String(s.count).leftPad(countWidth))  \(change.leftPad(6))  \(trendCell)  \(s.level.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))  \(Self.age(now - s.firstSeen).leftPad(10))  \(s.template)")
            }
            return lines.joined(separator: "\n")
        }

        static func age(_ ms: Int64) -> String {
            let s = max(0, ms / 1000)
            if s < 60 { return "\(s)s ago" }
            if s < 3600 { return "\(s / 60)m ago" }
            if s < 86_400 { return "\(s / 3600)h ago" }
            return "\(s / 86_400)d ago"
        }

        static func localeIsUTF8() -> Bool {
            let env = ProcessInfo.processInfo.environment
            let value = env["LC_ALL"].flatMap { $0.isEmpty ? nil : $0 } ?? env["LC_CTYPE"].flatMap { $0.isEmpty ? nil : $0 } ?? env["LANG"] ?? ""
            let v = value.lowercased()
            return v.contains("utf-8") || v.contains("utf8")
        }
    }
}

private extension String {
    func leftPad(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

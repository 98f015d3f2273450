import ArgumentParser
import Foundation
import VigilCore

/// `vigil logs patterns FILE --format … [--out OUT.csv]`: log template mining.
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Work with log files.",
        subcommands: [Patterns.self]
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

        func run() throws {
            var layout: LogFormat?
            if let format {
                do { layout = try LogFormat(format) } catch { throw ValidationError(error.description) }
            }
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("\(file): cannot read the file")
            }
            var report = LogPatternReport(format: layout)
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
}

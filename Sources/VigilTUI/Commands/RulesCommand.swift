import ArgumentParser
import Foundation
import VigilCore

/// `vigil rules check FILE…`: validates alert rule files.
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Work with alert rule files (format: docs/rules.md).",
        subcommands: [List.self, Check.self, ImportPrometheus.self, Bench.self]
    )

    /// `vigil rules list`: the rules in force, each with the file it comes from (a path, or "embedded").
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The rules the engine would load now, and where each comes from (a file, or embedded)."
        )
        @Option(name: .customLong("rules"), help: ArgumentHelp("A directory of rule files (repeatable), as for 'vigil serve'.", valueName: "DIR"))
        var directories: [String] = []

        func run() throws {
            var set = directories.isEmpty ? RuleSet.standard() : RuleSet(directories: directories)
            set.reload(now: 0)
            var rows: [[String]] = []
            for path in set.files.keys.sorted() {
                for rule in set.files[path]!.rules {
                    rows.append([rule.name, rule.kind.name, rule.severity.rawValue, "\(path):\(rule.line)"])
                }
            }
            print(TimeText.table(header: ["ALERT", "KIND", "SEVERITY", "SOURCE"], rows: rows))
            print("\(rows.count) rule(s) from \(set.sourceDescription)")
            for e in set.errors.flatMap(\.errors) { FileHandle.standardError.write(Data("\(e)\n".utf8)) }
            for w in set.warnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
            if !set.errors.isEmpty { throw ExitCode.failure }
        }
    }

    /// `vigil rules check FILE…`: prints every error as `FILE:LINE:COL: message` (on standard error) and one
    /// OK line per good file (on standard output); exits 1 when any file has an error.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate rule files: every error with its line and column; exit 1 if any file is bad."
        )
        @Argument(help: ArgumentHelp("Rule files to check, e.g. rules/*.yaml.", valueName: "FILE"))
        var files: [String] = []

        func validate() throws {
            if files.isEmpty { throw ValidationError("name at least one rule file, e.g. 'vigil rules check rules/default.yaml'") }
        }

        func run() throws {
            var bad = 0
            for path in files {
                let (ok, lines) = Self.report(path: path)
                if ok {
                    print(lines.joined(separator: "\n"))
                } else {
                    bad += 1
                    FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
                }
            }
            if bad > 0 {
                FileHandle.standardError.write(Data("\(bad) of \(files.count) rule file(s) have errors\n".utf8))
                throw ExitCode.failure
            }
        }

        /// Whether the file is valid, and what to print: its errors, or its one-line summary.
        static func report(path: String) -> (ok: Bool, lines: [String]) {
            do {
                let file = try RuleFile.load(path: path)
                return (true, [summary(file)])
            } catch {
                return (false, error.errors.map(\.description))
            }
        }

        /// `rules/default.yaml: OK: 3 groups, 10 rules (threshold 6, forecast 1, …)`.
        static func summary(_ file: RuleFile) -> String {
            let groups = file.groups.count
            let rules = file.rules.count
            var line = "\(file.path): OK: \(groups) group\(groups == 1 ? "" : "s"), \(rules) rule\(rules == 1 ? "" : "s")"
            let kinds = file.rulesByKind.map { "\($0.kind) \($0.count)" }
            if !kinds.isEmpty { line += " (" + kinds.joined(separator: ", ") + ")" }
            return line
        }
    }
}

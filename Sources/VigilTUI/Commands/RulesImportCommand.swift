import ArgumentParser
import Foundation
import VigilCore

extension RulesCommand {
    /// `vigil rules import-prometheus FILE`: Prometheus alerting rules → a Vigil rule file.
    struct ImportPrometheus: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-prometheus",
            abstract: "Convert Prometheus alerting rules to Vigil rules; list each rule that could not be converted and why."
        )
        @Argument(help: ArgumentHelp("A Prometheus rule file.", valueName: "FILE")) var file: String
        @Option(help: ArgumentHelp("Write the Vigil rules here instead of standard output.", valueName: "OUT")) var out: String?

        func run() throws {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw ValidationError("\(file): cannot read the file") }
            let result: PrometheusRuleImporter.Result
            do { result = try PrometheusRuleImporter.convert(yaml: text, file: file) } catch { throw ValidationError("\(error)") }
            // What we write must itself be a valid Vigil rule file.
            do { _ = try RuleFile.parse(yaml: result.yaml, path: out ?? "(converted)") } catch {
                throw ValidationError("internal error: the converted rules do not validate:\n\(error)")
            }
            if let out {
                try result.yaml.write(toFile: out, atomically: true, encoding: .utf8)
            } else {
                print(result.yaml, terminator: "")
            }
            var report = "converted \(result.converted) rule(s)"
            if !result.skipped.isEmpty { report += ", could not convert \(result.skipped.count):" }
            for s in result.skipped { report += "\n  \(s.name): \(s.reason)" }
            for n in result.notes { report += "\n  note: \(n.name): \(n.note)" }
            FileHandle.standardError.write(Data((report + "\n").utf8))
        }
    }
}

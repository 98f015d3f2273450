import ArgumentParser
import Foundation
import VigilCore

/// `vigil anomaly score FILE.csv [--out OUT.csv]`: streaming anomaly scores for one metric series.
struct AnomalyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anomaly",
        abstract: "Anomaly scores for a single metric series (NAB CSV in, NAB results CSV out).",
        subcommands: [Score.self, Footprint.self]
    )

    /// Reads `timestamp,value` rows, scores them in order with one `AnomalyDetector` (causal: each score uses
    /// only that row and the rows before it) and writes `timestamp,value,anomaly_score`, echoing the input's
    /// timestamp and value text. A bad input is reported as `FILE:LINE:COL: message` on standard error (exit 1).
    struct Score: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score FILE.csv (header 'timestamp,value', 'YYYY-MM-DD HH:MM:SS' UTC timestamps); scores in [0, 1]."
        )
        @Argument(help: ArgumentHelp("The series, e.g. a NAB data file.", valueName: "FILE.csv"))
        var file: String
        @Option(help: ArgumentHelp("Write the scored CSV here (default: standard output).", valueName: "OUT.csv"))
        var out: String?
        @Option(name: .customLong("set"),
                help: ArgumentHelp("Change one of the detector's constants (for benchmarks' cross-validation; the engine always uses the defaults): "
                                   + AnomalyDetector.Parameters.names.joined(separator: ", ") + ".", valueName: "NAME=VALUE"))
        var assignments: [String] = []

        func run() throws {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                fail("\(file): cannot read: \(error.localizedDescription)")
            }
            let rows: [NABCSV.Row]
            do {
                rows = try NABCSV.parse(text)
            } catch {
                fail("\(file):\(error.line):\(error.column): \(error.message)")
            }
            var parameters = AnomalyDetector.Parameters()
            for a in assignments {
                do {
                    try parameters.set(a)
                } catch {
                    fail("--set: \(error)")
                }
            }
            var detector = AnomalyDetector(parameters: parameters)
            let scores = rows.map { detector.score(timestampMs: $0.timestampMs, value: $0.number) }
            let output = Data(NABCSV.render(rows: rows, scores: scores).utf8)
            if let out {
                do {
                    try output.write(to: URL(fileURLWithPath: out), options: .atomic)
                } catch {
                    fail("\(out): cannot write: \(error.localizedDescription)")
                }
            } else {
                FileHandle.standardOutput.write(output)
            }
        }

        private func fail(_ message: String) -> Never {
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Self.exit(withError: ExitCode.failure)
        }
    }
}

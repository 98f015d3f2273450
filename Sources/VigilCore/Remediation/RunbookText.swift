import Foundation
import VigilWire

/// Runbooks, plans and run events as text for people: `vigil runbook` prints these, the console shows them.
public enum RunbookText {
    /// `argv` as one would type it in a shell, quoting what needs quoting (display only; nothing is ever run
    /// through a shell).
    public static func command(_ argv: [String]) -> String {
        argv.map { a -> String in
            let safe = !a.isEmpty && a.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "@%+=:,./_-".unicodeScalars.contains($0)) }
            return safe ? a : "'" + a.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }

    public static func describe(_ rb: Runbook) -> String {
        var out = ["\(rb.name): \(rb.description)", "risk \(rb.risk.rawValue), needs \(rb.role.rawValue)\(rb.builtIn ? ", built in" : "")",
                   "file \(rb.file)", "hash \(rb.hash)"]
        if !rb.matches.isEmpty {
            out.append("fits:")
            for m in rb.matches {
                out.append("  " + ([m.alert.map { "alert\($0.description)" }].compactMap { $0 } + m.labels.map(\.description)).joined(separator: " "))
            }
        }
        if !rb.parameters.isEmpty {
            out.append("parameters:")
            for p in rb.parameters {
                var line = "  \(p.name) (\(p.kind.rawValue)\(p.required ? ", required" : ""))"
                if let d = p.defaultValue, !d.isEmpty { line += " = \(d)" }
                if let l = p.fromLabel { line += ", from label \(l)" }
                if !p.description.isEmpty { line += ": \(p.description)" }
                out.append(line)
            }
        }
        out.append("steps:")
        for (i, s) in rb.steps.enumerated() {
            let argv = s.argv.map { a -> String in
                switch a {
                case .text(let t): return t
                case .flag(let f, let p): return "[\(f) {{\(p)}}]"
                }
            }
            out.append("  \(i + 1). \(s.kind.rawValue) \(s.name) (timeout \(DurationText.short(ms: Int64(s.timeoutMs)))): \(argv.joined(separator: " "))")
        }
        return out.joined(separator: "\n")
    }

    /// The plan before it runs: parameters, exact steps, diagnosis, and every safety check.
    public static func plan(_ p: RemediationPlan) -> String {
        var out = ["\(p.dryRun ? "dry run of " : "")\(p.runbook.name) on \(p.host) (risk \(p.runbook.risk.rawValue))"]
        if let d = p.diagnosis {
            out.append("diagnosis (\(d.source), confidence \(Int((d.confidence * 100).rounded()))%): \(d.cause)")
            for e in d.evidence { out.append("  · \(e)") }
        }
        let params = p.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.isEmpty ? "(unset)" : $0.value)" }
        if !params.isEmpty { out.append("parameters: " + params.joined(separator: " ")) }
        out.append("steps:")
        for (i, s) in p.steps.enumerated() {
            out.append("  \(i + 1). \(s.kind.rawValue.padding(8)) \(s.name): \(command(s.argv))")
        }
        out.append("safety:")
        for c in p.verdict.checks {
            let mark = c.result == .pass ? "ok   " : (c.result == .block ? "BLOCK" : "WAIT ")
            out.append("  \(mark) \(c.name): \(c.detail)")
        }
        return out.joined(separator: "\n")
    }

    /// Turns run events into lines, remembering which step is which.
    public struct EventPrinter: Sendable {
        public let steps: [JobStep]
        public init(steps: [JobStep]) { self.steps = steps }

        public func lines(for e: JobEvent) -> [String] {
            let step = e.step.flatMap { $0 < steps.count ? steps[$0] : nil }
            let label = e.step.map { "[\($0 + 1)/\(steps.count)\(step.map { " \($0.kind.rawValue)" } ?? "")]" } ?? ""
            switch e.type {
            case .stepStarted:
                return ["▶ \(label) \(step?.name ?? ""): \(step.map { command($0.argv) } ?? "")"]
            case .output:
                return (e.text ?? "").split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { i, l in
                    l.isEmpty && i > 0 ? nil : "    " + l
                }
            case .stepFinished:
                let how: String
                if e.timedOut == true { how = "✗ timed out" }
                else if let sig = e.signal { how = "✗ killed by signal \(sig)" }
                else if e.exitCode == 0 { how = "✓ exit 0" }
                else { how = "✗ exit \(e.exitCode.map(String.init) ?? "?")" }
                return ["  \(how)\(e.durationMs.map { " (\($0) ms)" } ?? "")"]
            case .stepSkipped:
                return ["– \(label) \(step?.name ?? ""): \(e.text ?? "skipped")"]
            case .jobFinished:
                return ["= \(e.outcome?.rawValue ?? "finished"): \(e.text ?? "")"]
            }
        }
    }
}

private extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}

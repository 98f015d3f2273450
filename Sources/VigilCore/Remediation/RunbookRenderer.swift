import Foundation
import VigilWire

/// A parameter value that was refused, naming the parameter and why.
public struct RunbookParameterError: Error, Sendable, Equatable, CustomStringConvertible {
    public var parameter: String
    public var message: String

    public init(parameter: String, message: String) {
        self.parameter = parameter
        self.message = message
    }

    public var description: String { "parameter '\(parameter)': \(message)" }
}

/// Resolves a runbook's parameters and renders its steps into argument vectors. Pure.
///
/// Values are validated by type before they are placed, and a placeholder always fills exactly one argument:
/// no value can add an argument, start an option, or reach a shell (no shell is ever involved).
public enum RunbookRenderer {
    /// The value of every parameter, in this order of precedence: `explicit` (operator, CLI), `fromRule` (a
    /// rule's remediation parameters, where `{{labels.NAME}}` takes the alert's label), the parameter's
    /// `from_label`, its default. Every value is validated; unknown explicit names are errors.
    public static func resolve(_ runbook: Runbook, explicit: [String: String], fromRule: [String: String] = [:],
                               labels: [String: String] = [:]) throws(RunbookParameterError) -> [String: String] {
        for name in explicit.keys.sorted() where runbook.parameter(name) == nil {
            throw RunbookParameterError(parameter: name, message: "runbook \(runbook.name) has no such parameter (it has: \(runbook.parameters.map(\.name).joined(separator: ", ")))")
        }
        var values: [String: String] = [:]
        for p in runbook.parameters {
            var value: String?
            if let v = explicit[p.name] {
                value = v
            } else if let template = fromRule[p.name] {
                value = try substituteLabels(template, labels: labels, parameter: p.name)
            } else if let label = p.fromLabel, let v = labels[label], !v.isEmpty {
                value = v
            } else {
                value = p.defaultValue
            }
            let v = value ?? ""
            if v.isEmpty {
                if p.required { throw RunbookParameterError(parameter: p.name, message: "is required (\(p.description.isEmpty ? p.kind.rawValue : p.description))") }
                values[p.name] = ""
                continue
            }
            if let problem = problem(with: v, for: p) { throw RunbookParameterError(parameter: p.name, message: problem) }
            values[p.name] = v
        }
        return values
    }

    /// The job steps of `runbook` with `values` (from `resolve`) and the target host.
    public static func render(_ runbook: Runbook, values: [String: String], host: String) -> [JobStep] {
        runbook.steps.map { step in
            var argv: [String] = []
            for arg in step.argv {
                switch arg {
                case .text(let t):
                    argv.append(fill(t, values: values, host: host))
                case .flag(let flag, let name):
                    let value = values[name] ?? ""
                    guard !value.isEmpty else { continue }
                    switch runbook.parameter(name)?.kind {
                    case .bool?:
                        if value == "true" { argv.append(flag) }
                    case .paths?:
                        for item in value.split(separator: ",") { argv += [flag, String(item)] }
                    default:
                        argv += [flag, value]
                    }
                }
            }
            return JobStep(name: step.name, kind: step.kind, argv: argv, timeoutMs: step.timeoutMs)
        }
    }

    /// The names inside `{{…}}` in `text`.
    public static func placeholders(in text: String) -> [String] {
        var out: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            out.append(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
        }
        return out
    }

    static func fill(_ text: String, values: [String: String], host: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            out += rest[..<open.lowerBound]
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            out += name == "host" ? host : (values[name] ?? "")
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    static func substituteLabels(_ template: String, labels: [String: String], parameter: String) throws(RunbookParameterError) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            out += rest[..<open.lowerBound]
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard name.hasPrefix("labels.") else {
                throw RunbookParameterError(parameter: parameter, message: "'{{\(name)}}' is not allowed here (expected {{labels.NAME}})")
            }
            out += labels[String(name.dropFirst("labels.".count))] ?? ""
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    // MARK: Validation

    /// Why `value` is not acceptable for `p`, or nil when it is.
    public static func problem(with value: String, for p: RunbookParameter) -> String? {
        if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            return "contains a control character such as a newline (not allowed in any value)"
        }
        if value.utf8.count > 1024 { return "is longer than 1024 bytes" }
        let shown = "'\(value)'"
        switch p.kind {
        case .int:
            guard let n = Int(value) else { return "\(shown) is not a whole number" }
            if let min = p.min, n < min { return "\(n) is below the minimum \(min)" }
            if let max = p.max, n > max { return "\(n) is above the maximum \(max)" }
            if n < 0 && p.min == nil { return "\(n) is negative" }
            return nil
        case .bool:
            return value == "true" || value == "false" ? nil : "\(shown) is not true or false"
        case .port:
            guard let n = Int(value), (1...65535).contains(n) else { return "\(shown) is not a port (1–65535)" }
            return nil
        case .size:
            return isSize(value) ? nil : "\(shown) is not a size (expected digits and an optional K, M, G or T, e.g. 500M)"
        case .unit:
            return isUnitName(value) ? nil : "\(shown) is not a systemd unit name (letters, digits and @ . _ : -, e.g. nginx.service)"
        case .path:
            return pathProblem(value)
        case .paths:
            for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                if let problem = pathProblem(String(item)) { return problem }
            }
            return nil
        case .string:
            if value.hasPrefix("-") { return "\(shown) starts with '-' (it would read as an option)" }
            if let pattern = p.pattern {
                return pattern.matches(value) ? nil : "\(shown) does not match \(pattern.pattern)"
            }
            let ok = value.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._:@/+-".unicodeScalars.contains($0)) }
            return ok ? nil : "\(shown) holds characters outside letters, digits and . _ : @ / + - (declare a 'pattern' to allow others)"
        }
    }

    static func isSize(_ s: String) -> Bool {
        var digits = Substring(s)
        if let last = s.last, "KMGTkmgt".contains(last) { digits = s.dropLast() }
        return !digits.isEmpty && digits.count <= 15 && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func isUnitName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic || ("0"..."9").contains(first),
              s.utf8.count <= 255 else { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "@._:-".unicodeScalars.contains($0)) }
    }

    static func pathProblem(_ s: String) -> String? {
        guard s.hasPrefix("/") else { return "'\(s)' is not an absolute path" }
        let parts = s.split(separator: "/")
        if parts.contains(where: { $0 == ".." || $0 == "." }) { return "'\(s)' contains '.' or '..' components" }
        let ok = s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._/@+-".unicodeScalars.contains($0)) }
        return ok ? nil : "'\(s)' holds characters outside letters, digits and . _ / @ + -"
    }
}

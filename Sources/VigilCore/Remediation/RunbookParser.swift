import VigilWire
import Yams

/// Turns one runbook YAML file into a `Runbook`, collecting every error with its line and column. Pure: no I/O.
struct RunbookParser: YAMLFieldParsing {
    let path: String
    var errors: [RuleFileError] = []

    init(path: String) {
        self.path = path
    }

    static let topKeys = ["name", "description", "risk", "role", "parameters", "matches", "steps"]
    static let parameterKeys = ["name", "type", "description", "default", "from_label", "pattern", "min", "max", "required"]
    static let stepKeys = ["name", "kind", "run", "timeout"]
    /// Longest step timeout: a runbook step is an operator-sized action, not a batch job.
    static let maxStepTimeoutMs: Int64 = 30 * 60_000

    mutating func parse(_ yaml: String, builtIn: Bool) -> Runbook? {
        guard let root = root(yaml, empty: "a mapping with name, risk, steps") else { return nil }
        guard let map = mapping(root, "a runbook (a mapping with name, description, risk, steps)") else { return nil }
        let f = fields(map, allowed: Self.topKeys, context: "a runbook")
        var name = ""
        if let n = require(f, "name", in: root, context: "a runbook", hint: "its name, e.g. disk_cleanup"), let s = string(n, "the runbook name") {
            if Self.isValidName(s) { name = s } else {
                fail(n, "bad runbook name '\(s)' (expected lowercase letters, digits and _, starting with a letter)")
            }
        }
        let description = f["description"].flatMap { string($0, "a one-line description") } ?? ""
        var risk = RunbookRisk.medium
        if let r = require(f, "risk", in: root, context: "runbook '\(name)'", hint: "low, medium or high"), let s = string(r, "a risk") {
            if let parsed = RunbookRisk(rawValue: s) { risk = parsed } else { fail(r, "unknown risk '\(s)' (expected low, medium or high)") }
        }
        var role = UserRole.operator
        if let r = f["role"], let s = string(r, "a role") {
            if let parsed = UserRole(rawValue: s), parsed != .viewer { role = parsed } else {
                fail(r, "role '\(s)' cannot run runbooks (expected operator or admin)")
            }
        }
        var parameters: [RunbookParameter] = []
        if let p = f["parameters"], let list = sequence(p, "a list of parameters") {
            for item in list {
                guard let parameter = parseParameter(item) else { continue }
                if parameters.contains(where: { $0.name == parameter.name }) {
                    fail(item, "duplicate parameter '\(parameter.name)'")
                } else {
                    parameters.append(parameter)
                }
            }
        }
        var matches: [RunbookMatch] = []
        if let m = f["matches"], let list = sequence(m, "a list of alert matches (alert, labels)") {
            for item in list { if let match = parseMatch(item) { matches.append(match) } }
        }
        var steps: [RunbookStep] = []
        if let s = require(f, "steps", in: root, context: "runbook '\(name)'", hint: "a list of steps"),
           let list = sequence(s, "a list of steps") {
            for item in list { if let step = parseStep(item, parameters: parameters) { steps.append(step) } }
            if list.isEmpty { fail(s, "runbook '\(name)' has no steps (expected at least one)") }
            if !steps.isEmpty && !steps.contains(where: { $0.kind == .action }) && !steps.contains(where: { $0.kind == .check }) {
                fail(s, "runbook '\(name)' has neither a check nor an action step")
            }
        }
        guard errors.isEmpty else { return nil }
        return Runbook(name: name, description: description, risk: risk, role: role, parameters: parameters, matches: matches,
                       steps: steps, file: path, builtIn: builtIn, hash: SHA256.hash(Array(yaml.utf8)).hexString)
    }

    static func isValidName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, ("a"..."z").contains(first), s.count <= 64 else { return false }
        return s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    private mutating func parseParameter(_ node: Node) -> RunbookParameter? {
        guard let map = mapping(node, "a parameter (name, type, default, …)") else { return nil }
        let before = errors.count
        let f = fields(map, allowed: Self.parameterKeys, context: "a parameter")
        var name = ""
        if let n = require(f, "name", in: node, context: "a parameter", hint: "its name"), let s = string(n, "the parameter name") {
            if Self.isValidName(s) && s != "host" { name = s } else {
                fail(n, "bad parameter name '\(s)' (expected lowercase letters, digits and _; 'host' is reserved)")
            }
        }
        var kind = RunbookParameter.Kind.string
        if let t = require(f, "type", in: node, context: "parameter '\(name)'", hint: RunbookParameter.Kind.allCases.map(\.rawValue).joined(separator: ", ")),
           let s = string(t, "a parameter type") {
            if let k = RunbookParameter.Kind(rawValue: s) { kind = k } else {
                fail(t, "unknown type '\(s)' (expected \(RunbookParameter.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
        }
        var pattern: RegexPattern?
        if let p = f["pattern"], let s = string(p, "a regular expression the whole value must match") {
            if kind != .string { fail(p, "'pattern' only applies to type string") }
            pattern = RegexPattern(s, anchored: true)
            if pattern == nil { fail(p, "invalid regular expression '\(s)' (expected ICU/NSRegularExpression syntax)") }
        }
        let minValue = f["min"].flatMap { int($0, key: "min", min: Int.min) }
        let maxValue = f["max"].flatMap { int($0, key: "max", min: Int.min) }
        if (minValue != nil || maxValue != nil) && kind != .int, let n = f["min"] ?? f["max"] {
            fail(n, "'min' and 'max' only apply to type int")
        }
        let fromLabel = f["from_label"].flatMap { labelName($0) }
        let required = f["required"].flatMap { bool($0, key: "required") } ?? false
        var parameter = RunbookParameter(name: name, kind: kind, description: f["description"].flatMap { string($0, "a description") } ?? "",
                                         defaultValue: nil, fromLabel: fromLabel, pattern: pattern, min: minValue, max: maxValue,
                                         required: required)
        if let d = f["default"] {
            let text: String?
            if let list = d.sequence {
                var items: [String] = []
                for item in list { if let s = string(item, "a default value") { items.append(s) } }
                text = items.joined(separator: ",")
            } else if Self.isNull(d) {
                text = ""
            } else {
                text = string(d, "a default value")
            }
            if let text {
                if !text.isEmpty, let problem = RunbookRenderer.problem(with: text, for: parameter) {
                    fail(d, "default of parameter '\(name)': \(problem)")
                }
                parameter.defaultValue = text
            }
        }
        return errors.count == before ? parameter : nil
    }

    private mutating func parseMatch(_ node: Node) -> RunbookMatch? {
        guard let map = mapping(node, "an alert match (alert, labels)") else { return nil }
        let before = errors.count
        let f = fields(map, allowed: ["alert", "labels"], context: "an alert match")
        let alert = f["alert"].flatMap { stringMatcher($0, subject: "'alert'") }
        let labels = f["labels"].map { matchers($0) } ?? []
        if alert == nil && labels.isEmpty && errors.count == before {
            fail(node, "an alert match needs 'alert' or 'labels'")
        }
        return errors.count == before ? RunbookMatch(alert: alert, labels: labels) : nil
    }

    private mutating func parseStep(_ node: Node, parameters: [RunbookParameter]) -> RunbookStep? {
        guard let map = mapping(node, "a step (name, kind, run, timeout)") else { return nil }
        let before = errors.count
        let f = fields(map, allowed: Self.stepKeys, context: "a step")
        let name = require(f, "name", in: node, context: "a step", hint: "what it does").flatMap { string($0, "the step name") } ?? ""
        var kind = JobStepKind.action
        if let k = require(f, "kind", in: node, context: "step '\(name)'", hint: "check, action, verify or rollback"), let s = string(k, "a step kind") {
            if let parsed = JobStepKind(rawValue: s) { kind = parsed } else {
                fail(k, "unknown step kind '\(s)' (expected check, action, verify or rollback)")
            }
        }
        var argv: [RunbookArgument] = []
        if let r = require(f, "run", in: node, context: "step '\(name)'", hint: "an argument list such as [vigil-step, disk-usage, --path, \"{{path}}\"]") {
            if r.scalar != nil {
                fail(r, "'run' of step '\(name)' is a string; steps are argument lists, never shell strings (expected e.g. [/usr/bin/systemctl, restart, \"{{unit}}\"])")
            } else if let list = sequence(r, "an argument list") {
                for item in list { if let a = parseArgument(item, parameters: parameters) { argv.append(a) } }
                if case .text(let first)? = argv.first {
                    if first != "vigil-step" && !first.hasPrefix("/") {
                        fail(list.first!, "program '\(first)' must be an absolute path or vigil-step (expected e.g. /usr/bin/systemctl)")
                    } else if first.contains("{{") {
                        fail(list.first!, "the program of a step cannot come from a parameter")
                    }
                } else if !argv.isEmpty {
                    fail(r, "the first element of 'run' must be the program")
                } else if errors.count == before {
                    fail(r, "'run' of step '\(name)' is empty")
                }
            }
        }
        var timeout: Int64 = 60_000
        if let t = f["timeout"], let ms = duration(t, key: "timeout", positive: true) {
            if ms > Self.maxStepTimeoutMs { fail(t, "timeout \(DurationText.short(ms: ms)) is too long (at most 30m)") } else { timeout = ms }
        }
        return errors.count == before ? RunbookStep(name: name, kind: kind, argv: argv, timeoutMs: Int(timeout)) : nil
    }

    private mutating func parseArgument(_ node: Node, parameters: [RunbookParameter]) -> RunbookArgument? {
        if let map = node.mapping {
            let f = fields(map, allowed: ["flag", "value"], context: "an optional flag")
            guard let flagNode = require(f, "flag", in: node, context: "an optional flag", hint: "the flag, e.g. --dir"),
                  let flag = string(flagNode, "a flag"),
                  let valueNode = require(f, "value", in: node, context: "flag", hint: "the parameter that fills it"),
                  let value = string(valueNode, "a parameter name") else { return nil }
            guard flag.hasPrefix("-"), !flag.contains("{{") else {
                fail(flagNode, "flag '\(flag)' must start with '-' and hold no placeholder")
                return nil
            }
            guard parameters.contains(where: { $0.name == value }) else {
                fail(valueNode, "unknown parameter '\(value)' (declared: \(parameters.map(\.name).joined(separator: ", ")))")
                return nil
            }
            return .flag(flag, parameter: value)
        }
        guard let text = string(node, "an argument (a string, or {flag, value})") else { return nil }
        for placeholder in RunbookRenderer.placeholders(in: text) where placeholder != "host" {
            if !parameters.contains(where: { $0.name == placeholder }) {
                fail(node, "unknown placeholder '{{\(placeholder)}}' (declared parameters: \(parameters.map(\.name).joined(separator: ", ")); also {{host}})")
            } else if parameters.first(where: { $0.name == placeholder })?.kind == .paths {
                fail(node, "list parameter '\(placeholder)' must be passed with {flag: …, value: \(placeholder)}, one argument per item")
            }
        }
        return .text(text)
    }
}

/// The options one step program accepts, and the parsed values. Options are `--name value`, `--name=value`
/// or a bare `--flag`; there are no positional arguments, and an option given twice is an error unless it
/// may repeat.
public struct StepArguments: Sendable, Equatable {
    /// How one option takes values.
    public enum Kind: Sendable, Equatable {
        /// `--dry-run`: no value.
        case flag
        /// `--unit U`: one value, at most once.
        case single
        /// `--dir D --dir E`: one value, any number of times.
        case repeated
    }

    /// One accepted option.
    public struct Option: Sendable, Equatable {
        public var name: String
        public var kind: Kind
        public init(_ name: String, _ kind: Kind) {
            self.name = name
            self.kind = kind
        }
    }

    private var values: [String: [String]] = [:]
    private var flags: Set<String> = []

    /// Parses `args` (the program's arguments, without its name) against `options`. `program` names the
    /// program in messages.
    public static func parse(_ args: [String], options: [Option], program: String) throws(StepError) -> StepArguments {
        var parsed = StepArguments()
        var i = 0
        while i < args.count {
            let token = args[i]
            i += 1
            guard token.hasPrefix("--"), token.count > 2 else {
                throw .usage("\(program): unexpected argument '\(StepText.shown(token))' (options start with --)")
            }
            var name = token
            var inlineValue: String?
            if let eq = token.firstIndex(of: "=") {
                name = String(token[..<eq])
                inlineValue = String(token[token.index(after: eq)...])
            }
            guard let option = options.first(where: { "--" + $0.name == name }) else {
                let known = options.map { "--" + $0.name }.joined(separator: ", ")
                throw .usage("\(program): unknown option '\(StepText.shown(name))' (accepted: \(known))")
            }
            switch option.kind {
            case .flag:
                guard inlineValue == nil else { throw .usage("\(name): takes no value") }
                guard !parsed.flags.contains(option.name) else { throw .usage("\(name): given twice") }
                parsed.flags.insert(option.name)
            case .single, .repeated:
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard i < args.count, !args[i].hasPrefix("--") else { throw .usage("\(name): needs a value") }
                    value = args[i]
                    i += 1
                }
                if option.kind == .single && parsed.values[option.name] != nil {
                    throw .usage("\(name): given twice")
                }
                parsed.values[option.name, default: []].append(value)
            }
        }
        return parsed
    }

    /// The value of a single option, if given.
    public func value(_ name: String) -> String? { values[name]?.last }

    /// Every value of a repeated option, in order.
    public func all(_ name: String) -> [String] { values[name] ?? [] }

    /// True when a flag was given.
    public func has(_ flag: String) -> Bool { flags.contains(flag) }

    /// A required single option's value.
    public func required(_ name: String) throws(StepError) -> String {
        guard let v = value(name) else { throw .usage("--\(name): required") }
        return v
    }
}

/// `service-restart --unit U [--dry-run]`: `systemctl restart U` for an allow-listed unit.
public enum ServiceRestart {
    public static let name = "service-restart"
    public static let usage = "service-restart --unit U [--dry-run]"

    static let options: [StepArguments.Option] = [.init("unit", .single), .init("dry-run", .flag)]

    /// The validated, allow-listed unit (as given) and the dry-run flag.
    public static func request(_ args: [String], policy: StepPolicy) throws(StepError) -> (unit: String, dryRun: Bool) {
        let parsed = try StepArguments.parse(args, options: options, program: name)
        let unit = try allowedUnit(try parsed.required("unit"), argument: "--unit", policy: policy)
        return (unit, parsed.has("dry-run"))
    }

    /// Validates a unit name and checks it against `allow_units`.
    public static func allowedUnit(_ value: String, argument: String, policy: StepPolicy) throws(StepError) -> String {
        let unit = try ArgumentValidator.unitName(value, argument: argument)
        guard policy.allowsUnit(unit) else {
            let allowed = policy.allowUnits.isEmpty ? "none configured" : policy.allowUnits.joined(separator: ", ")
            throw .usage("\(argument): \(unit) is not in allow_units (\(allowed))")
        }
        return unit
    }

    /// The exact command run.
    public static func command(unit: String, policy: StepPolicy) -> [String] {
        [policy.systemctl, "restart", ArgumentValidator.canonicalUnit(unit)]
    }

    /// Restarts `unit` (already allow-listed) or reports that it would; true on success.
    static func restart(unit: String, dryRun: Bool, policy: StepPolicy, out: StepOutput) -> Bool {
        let argv = command(unit: unit, policy: policy)
        if dryRun {
            out.line("would run: \(StepText.command(argv))")
            return true
        }
        return ToolRunner.run(argv, timeoutMs: 120_000, out: out).succeeded
    }

    public static func run(_ args: [String], policy: StepPolicy, out: StepOutput) -> Int32 {
        let request: (unit: String, dryRun: Bool)
        do {
            request = try self.request(args, policy: policy)
        } catch {
            out.line("\(name): \(error.message)")
            return error.exitCode
        }
        let ok = restart(unit: request.unit, dryRun: request.dryRun, policy: policy, out: out)
        let unit = ArgumentValidator.canonicalUnit(request.unit)
        out.line("\(name): " + (request.dryRun ? "would restart \(unit)" : ok ? "restarted \(unit)" : "restart of \(unit) failed"))
        return ok ? 0 : 1
    }
}

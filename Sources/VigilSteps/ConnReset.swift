#if canImport(Glibc)
import Glibc
#endif
import VigilWire

/// `conn-reset --port P [--state close-wait|time-wait] [--restart-unit U]`: destroys the sockets with
/// `ss -K` (the kernel must support sock_destroy, CONFIG_INET_DIAG_DESTROY), re-counts, and restarts U
/// (allow-listed) if some remain.
public enum ConnReset {
    public static let name = "conn-reset"
    public static let usage = "conn-reset --port P [--state close-wait|time-wait] [--restart-unit U] [--dry-run]"

    static let options: [StepArguments.Option] = [
        .init("port", .single), .init("state", .single), .init("restart-unit", .single), .init("dry-run", .flag),
    ]

    public struct Request: Sendable, Equatable {
        public var port: Int
        public var state: SocketTable.State
        public var restartUnit: String?
        public var dryRun: Bool
    }

    public static func request(_ args: [String], policy: StepPolicy) throws(StepError) -> Request {
        let parsed = try StepArguments.parse(args, options: options, program: name)
        let port = try ArgumentValidator.port(try parsed.required("port"), argument: "--port")
        let state = try parsed.value("state").map { v throws(StepError) in try SocketTable.State.parse(v, argument: "--state") } ?? .closeWait
        let unit = try parsed.value("restart-unit").map { v throws(StepError) in
            try ServiceRestart.allowedUnit(v, argument: "--restart-unit", policy: policy)
        }
        return Request(port: port, state: state, restartUnit: unit, dryRun: parsed.has("dry-run"))
    }

    /// The exact `ss` command: TCP only, numeric, the state, and the local-port filter as separate tokens.
    public static func command(_ request: Request, policy: StepPolicy) -> [String] {
        [policy.ss, "-K", "-t", "-n", "state", request.state.rawValue, "(", "sport", "=", ":\(request.port)", ")"]
    }

    /// Counts again for up to `ms` until none are left.
    static func settle(_ request: Request, ms: Int) -> [SocketTable.Socket] {
        let deadline = WallClock.monotonicNs() + UInt64(ms) * 1_000_000
        var now = SocketTable.scan(port: request.port, state: request.state)
        while !now.isEmpty && WallClock.monotonicNs() < deadline {
            usleep(50_000)
            now = SocketTable.scan(port: request.port, state: request.state)
        }
        return now
    }

    public static func run(_ args: [String], policy: StepPolicy, out: StepOutput) -> Int32 {
        let request: Request
        do {
            request = try self.request(args, policy: policy)
        } catch {
            out.line("\(name): \(error.message)")
            return error.exitCode
        }
        let state = request.state.rawValue
        let before = SocketTable.scan(port: request.port, state: request.state)
        out.line("before: \(before.count) socket(s) in \(state) on local port \(request.port)")
        ConnReport.list(before, out: out)
        let argv = command(request, policy: policy)
        if request.dryRun {
            if before.isEmpty {
                out.line("nothing to reset")
            } else {
                out.line("would run: \(StepText.command(argv))")
                if let unit = request.restartUnit {
                    out.line("would restart \(ArgumentValidator.canonicalUnit(unit)) if sockets remain")
                }
            }
            out.line("\(name): dry run, \(before.count) socket(s) in \(state) on port \(request.port)")
            return 0
        }
        if before.isEmpty {
            out.line("\(name): no sockets in \(state) on port \(request.port); nothing to do (before 0, after 0)")
            return 0
        }
        let ss = ToolRunner.run(argv, timeoutMs: 30_000, out: out)
        var after = settle(request, ms: 1000)
        if !after.isEmpty {
            if ss.succeeded {
                // ss exits 0 even when the kernel refuses; it then prints "SOCK_DESTROY answers: <reason>".
                let answer = ss.text.split(separator: "\n").first { $0.contains("SOCK_DESTROY") }.map { StepText.shown(String($0)) }
                out.line("ss -K could not destroy \(after.count) socket(s): the kernel refused"
                    + (answer.map { " (\($0))" } ?? "")
                    + "; sock_destroy needs root or CAP_NET_ADMIN and CONFIG_INET_DIAG_DESTROY, and some kernels "
                    + "cannot destroy TIME_WAIT sockets")
            } else {
                out.line("ss -K failed and could not destroy \(after.count) socket(s) (it needs root or CAP_NET_ADMIN "
                    + "and a kernel with CONFIG_INET_DIAG_DESTROY)")
            }
            if let unit = request.restartUnit {
                if ServiceRestart.restart(unit: unit, dryRun: false, policy: policy, out: out) {
                    after = settle(request, ms: 2000)
                }
            }
        }
        out.line("\(name): \(state) sockets on port \(request.port): before \(before.count), after \(after.count)")
        return after.isEmpty ? 0 : 1
    }
}

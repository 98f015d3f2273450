#if canImport(Glibc)
import Glibc
#endif
import VigilAgentCore
import VigilWire

/// `service-check --unit U [--http URL] [--tcp HOST:PORT] [--timeout-seconds N=30]`: waits until
/// `systemctl is-active U` prints `active` and the probe (if any) passes. Read-only, so `--dry-run` changes
/// nothing about what it does.
public enum ServiceCheck {
    public static let name = "service-check"
    public static let usage = "service-check --unit U [--http URL] [--tcp HOST:PORT] [--timeout-seconds N=30] [--dry-run]"

    static let options: [StepArguments.Option] = [
        .init("unit", .single), .init("http", .single), .init("tcp", .single), .init("timeout-seconds", .single),
        .init("dry-run", .flag),
    ]

    public struct Request: Sendable, Equatable {
        public var unit: String
        public var http: String?
        public var tcp: String?
        public var timeoutSeconds: Int
    }

    public static func request(_ args: [String]) throws(StepError) -> Request {
        let parsed = try StepArguments.parse(args, options: options, program: name)
        let unit = try ArgumentValidator.unitName(try parsed.required("unit"), argument: "--unit")
        let http = try parsed.value("http").map { v throws(StepError) in try ArgumentValidator.url(v, argument: "--http") }
        let tcp = try parsed.value("tcp").map { v throws(StepError) in try ArgumentValidator.hostPort(v, argument: "--tcp") }
        let timeout = try parsed.value("timeout-seconds").map { v throws(StepError) in
            try ArgumentValidator.integer(v, argument: "--timeout-seconds", range: 1...3600)
        } ?? 30
        return Request(unit: unit, http: http, tcp: tcp, timeoutSeconds: timeout)
    }

    /// One probe round: nil when healthy, else what is not.
    static func probe(_ request: Request, policy: StepPolicy, remainingMs: Int, out: StepOutput) -> String? {
        let unit = ArgumentValidator.canonicalUnit(request.unit)
        let state = ToolRunner.run([policy.systemctl, "is-active", unit], timeoutMs: max(1000, min(remainingMs, 10_000)),
                                   out: out, quiet: true)
        guard state.started else { return state.text }
        let answer = state.text.split(separator: "\n").first.map(String.init) ?? ""
        guard answer == "active" else { return "\(unit) is \(answer.isEmpty ? "not active" : StepText.shown(answer))" }
        let probeMs = max(500, min(remainingMs, 5000))
        if let tcp = request.tcp, let failure = TCPProbe.connect(tcp, timeoutMs: probeMs) {
            return "tcp \(tcp): \(failure)"
        }
        if let url = request.http {
            let client = AgentHTTPClient()
            do {
                let response = try client.perform(HTTPRequest(method: "GET", url: url, timeoutMs: probeMs,
                                                              connectTimeoutMs: min(probeMs, 3000)),
                                                  maxResponseBytes: 64 * 1024)
                guard (200..<400).contains(response.status) else { return "http \(url): HTTP \(response.status)" }
            } catch {
                return "http \(url): \(error.message)"
            }
        }
        return nil
    }

    public static func run(_ args: [String], policy: StepPolicy, out: StepOutput) -> Int32 {
        let request: Request
        do {
            request = try self.request(args)
        } catch {
            out.line("\(name): \(error.message)")
            return error.exitCode
        }
        let start = WallClock.monotonicNs()
        let deadline = start + UInt64(request.timeoutSeconds) * 1_000_000_000
        var last: String?
        while true {
            let now = WallClock.monotonicNs()
            let remainingMs = now >= deadline ? 0 : Int((deadline - now) / 1_000_000)
            let failure = probe(request, policy: policy, remainingMs: remainingMs, out: out)
            let elapsed = Int((WallClock.monotonicNs() - start) / 1_000_000)
            if failure == nil {
                var what = "\(ArgumentValidator.canonicalUnit(request.unit)) is active"
                if let tcp = request.tcp { what += ", tcp \(tcp) accepts connections" }
                if let http = request.http { what += ", \(http) answers" }
                out.line("\(name): \(what) (after \(StepText.oneDecimal(Double(elapsed) / 1000)) s)")
                return 0
            }
            if failure != last {
                out.line("waiting: \(failure ?? "")")
                last = failure
            }
            if WallClock.monotonicNs() + 1_000_000_000 > deadline {
                out.line("\(name): not healthy after \(request.timeoutSeconds) s: \(failure ?? "")")
                return 1
            }
            usleep(1_000_000)
        }
    }
}

/// `conn-report --port P [--state close-wait|time-wait] [--max N=0]`: counts TCP sockets (IPv4 and IPv6) with
/// local port P in that state; exit 1 when there are more than N.
public enum ConnReport {
    public static let name = "conn-report"
    public static let usage = "conn-report --port P [--state close-wait|time-wait] [--max N=0] [--dry-run]"

    static let options: [StepArguments.Option] = [
        .init("port", .single), .init("state", .single), .init("max", .single), .init("dry-run", .flag),
    ]

    public static func request(_ args: [String]) throws(StepError) -> (port: Int, state: SocketTable.State, max: Int) {
        let parsed = try StepArguments.parse(args, options: options, program: name)
        let port = try ArgumentValidator.port(try parsed.required("port"), argument: "--port")
        let state = try parsed.value("state").map { v throws(StepError) in try SocketTable.State.parse(v, argument: "--state") } ?? .closeWait
        let max = try parsed.value("max").map { v throws(StepError) in
            try ArgumentValidator.integer(v, argument: "--max", range: 0...10_000_000)
        } ?? 0
        return (port, state, max)
    }

    /// Prints up to 20 sockets.
    static func list(_ sockets: [SocketTable.Socket], out: StepOutput) {
        for s in sockets.prefix(20) { out.line("  \(s.local) <- \(s.remote)") }
        if sockets.count > 20 { out.line("  … and \(sockets.count - 20) more") }
    }

    public static func run(_ args: [String], policy: StepPolicy, out: StepOutput) -> Int32 {
        let request: (port: Int, state: SocketTable.State, max: Int)
        do {
            request = try self.request(args)
        } catch {
            out.line("\(name): \(error.message)")
            return error.exitCode
        }
        let sockets = SocketTable.scan(port: request.port, state: request.state)
        list(sockets, out: out)
        let over = sockets.count > request.max
        out.line("\(name): \(sockets.count) socket(s) in \(request.state.rawValue) on local port \(request.port)"
            + (over ? " (more than \(request.max))" : " (at most \(request.max))"))
        return over ? 1 : 0
    }
}

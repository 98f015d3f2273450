/// `memory-report [--top N=10]`: MemTotal, MemAvailable, Cached and the top N processes by RSS.
public enum MemoryReport {
    public static let name = "memory-report"
    public static let usage = "memory-report [--top N=10] [--dry-run]"

    static let options: [StepArguments.Option] = [.init("top", .single), .init("dry-run", .flag)]

    public static func top(_ args: [String]) throws(StepError) -> Int {
        let parsed = try StepArguments.parse(args, options: options, program: name)
        return try parsed.value("top").map { v throws(StepError) in
            try ArgumentValidator.integer(v, argument: "--top", range: 1...1000)
        } ?? 10
    }

    /// The `n` largest user processes by RSS (kernel threads and zombies have none), largest first.
    public static func largest(_ processes: [ProcessEntry], count n: Int) -> [ProcessEntry] {
        Array(processes.filter { !$0.isKernelThread && $0.rssBytes > 0 }
            .sorted { $0.rssBytes != $1.rssBytes ? $0.rssBytes > $1.rssBytes : $0.pid < $1.pid }
            .prefix(n))
    }

    public static func run(_ args: [String], policy: StepPolicy, out: StepOutput) -> Int32 {
        let n: Int
        let memory: MemorySnapshot
        do {
            n = try top(args)
            memory = try MemorySnapshot.read()
        } catch {
            out.line("\(name): \(error.message)")
            return error.exitCode
        }
        out.line("MemTotal \(StepText.bytes(memory.total)), MemAvailable \(StepText.bytes(memory.available)) "
            + "(\(StepText.oneDecimal(memory.percent(memory.available)))%), Cached \(StepText.bytes(memory.cached)) "
            + "(\(StepText.oneDecimal(memory.percent(memory.cached)))%)")
        let procs = largest(ProcessEntry.scan(), count: n)
        out.line("top \(procs.count) processes by RSS:")
        for p in procs {
            let unit = ProcessEntry.unit(pid: p.pid).map { " unit \($0)" } ?? ""
            out.line("  pid \(p.pid) \(StepText.shown(p.comm)) rss \(StepText.bytes(p.rssBytes)) "
                + "(\(StepText.oneDecimal(memory.percent(p.rssBytes)))%)\(unit)")
        }
        out.line("\(name): \(StepText.oneDecimal(memory.percent(memory.total - memory.available)))% of "
            + "\(StepText.bytes(memory.total)) in use, \(procs.count) processes listed")
        return 0
    }
}

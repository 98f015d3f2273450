/// `zombie-report`: lists zombies with their parents; always exit 0.
public enum ZombieReport {
    public static let name = "zombie-report"
    public static let usage = "zombie-report [--max N] [--dry-run]   (exit 1 when more than N zombies remain)"

    /// A zombie and its parent (nil when the parent could not be read).
    public struct Entry: Sendable, Equatable {
        public var zombie: ProcessEntry
        public var parent: ProcessEntry?
    }

    /// The zombies among `processes`, with their parents.
    public static func zombies(in processes: [ProcessEntry]) -> [Entry] {
        var byPID: [Int32: ProcessEntry] = [:]
        for p in processes { byPID[p.pid] = p }
        return processes.filter(\.isZombie).map { Entry(zombie: $0, parent: byPID[$0.ppid]) }
    }

    static func describe(_ e: Entry) -> String {
        "zombie \(e.zombie.label) parent " + (e.parent.map { $0.label } ?? "\(e.zombie.ppid) (gone)")
    }

    public static func run(_ args: [String], policy: StepPolicy, out: StepOutput) -> Int32 {
        let max: Int?
        do {
            let parsed = try StepArguments.parse(args, options: [.init("max", .single), .init("dry-run", .flag)], program: name)
            max = try parsed.value("max").map { v throws(StepError) in try ArgumentValidator.integer(v, argument: "--max", range: 0...1_000_000) }
        } catch {
            out.line("\(name): \(error.message)")
            return error.exitCode
        }
        let found = zombies(in: ProcessEntry.scan())
        for e in found { out.line(describe(e)) }
        let parents = Set(found.map(\.zombie.ppid))
        out.line("\(name): \(found.count) zombie(s) under \(parents.count) parent(s)")
        if let max, found.count > max {
            out.line("\(name): more than \(max) zombie(s) remain")
            return 1
        }
        return 0
    }
}

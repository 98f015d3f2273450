#if canImport(Glibc)
import Glibc
#endif
import VigilAgentCore

/// `disk-usage --path P [--max-percent N]`: the use% of P's filesystem (as `df` computes it); exit 1 when above N.
public enum DiskUsage {
    public static let name = "disk-usage"
    public static let usage = "disk-usage --path P [--max-percent N] [--dry-run]"

    static let options: [StepArguments.Option] = [.init("path", .single), .init("max-percent", .single), .init("dry-run", .flag)]

    /// Filesystem figures in bytes.
    public struct Figures: Sendable, Equatable {
        public var size: Int64
        public var used: Int64
        public var available: Int64

        /// `df`'s Use%: used / (used + available), rounded up.
        public var percent: Int {
            let denominator = used + available
            guard denominator > 0 else { return 0 }
            return Int((used * 100 + denominator - 1) / denominator)
        }
    }

    public static func figures(path: String) throws(StepError) -> Figures {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { throw .failed("\(StepText.shown(path)): \(FileSystem.errorText(errno))") }
        let unit = Int64(s.f_frsize)
        let size = Int64(s.f_blocks) * unit
        let free = Int64(s.f_bfree) * unit
        return Figures(size: size, used: size - free, available: Int64(s.f_bavail) * unit)
    }

    public static func run(_ args: [String], policy: StepPolicy, out: StepOutput) -> Int32 {
        do {
            let parsed = try StepArguments.parse(args, options: options, program: name)
            let path = try ArgumentValidator.absolutePath(try parsed.required("path"), argument: "--path")
            let max = try parsed.value("max-percent").map { v throws(StepError) in
                try ArgumentValidator.integer(v, argument: "--max-percent", range: 0...100)
            }
            let f = try figures(path: path)
            out.line("\(path): \(StepText.bytes(f.used)) used of \(StepText.bytes(f.size)), \(StepText.bytes(f.available)) available")
            if let max, f.percent > max {
                out.line("\(name): \(path) is \(f.percent)% full (more than \(max)%)")
                return 1
            }
            out.line("\(name): \(path) is \(f.percent)% full" + (max.map { " (at most \($0)%)" } ?? ""))
            return 0
        } catch {
            out.line("\(name): \(error.message)")
            return error.exitCode
        }
    }
}

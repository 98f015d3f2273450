#if canImport(Glibc)
import Glibc
#endif

/// Where a step program writes its operator-facing lines. The real programs print (and flush) each line
/// as it comes, so a job streams; tests collect the lines.
public final class StepOutput {
    private let sink: (String) -> Void
    /// Every line written so far (kept only when `collect` was requested).
    public private(set) var lines: [String] = []
    private let collect: Bool

    /// An output that hands every line to `sink`; with `collect`, also remembers the lines.
    public init(collect: Bool = false, sink: @escaping (String) -> Void) {
        self.collect = collect
        self.sink = sink
    }

    /// Standard output, flushed after every line.
    public static func standardOutput() -> StepOutput {
        StepOutput { line in
            print(line)
            fflush(nil)
        }
    }

    /// An output that only collects (for tests and embedding).
    public static func collecting() -> StepOutput {
        StepOutput(collect: true) { _ in }
    }

    /// Writes one line (a trailing newline is added by the sink).
    public func line(_ text: String) {
        if collect { lines.append(text) }
        sink(text)
    }

    /// All collected lines joined with newlines.
    public var text: String { lines.joined(separator: "\n") }
}

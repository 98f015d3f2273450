import Foundation

/// The whole audit log checked: the hash chain (nothing edited or removed in the middle) and, when the store has an
/// anchor file, the anchors (nothing removed from the end, the chain not rewritten). `vigil audit verify` and the
/// console's audit pane both use it.
public struct AuditCheck: Sendable, Equatable {
    public var entries: Int
    /// Anchors read from `anchorPath` (0 when there is no file yet).
    public var anchors: Int
    public var anchorPath: String?
    /// What is wrong, first broken entry first; empty when the log is intact.
    public var problems: [String]

    public var isIntact: Bool { problems.isEmpty }

    public init(entries: Int, anchors: Int, anchorPath: String?, problems: [String]) {
        self.entries = entries
        self.anchors = anchors
        self.anchorPath = anchorPath
        self.problems = problems
    }

    /// Reads every entry and the anchors of `store` and checks them.
    public static func run(_ store: any Store, environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> AuditCheck {
        let entries = try await store.allAuditEntries()
        var problems = AuditChain.verify(entries).problems
        let file = AuditAnchorFile.of(store, environment: environment)
        var anchors: [AuditAnchor] = []
        if let file {
            let read = try file.read()
            anchors = read.anchors
            problems += read.bad.map { "\(file.path):\($0): not an anchor line (the anchor file was edited)" }
            problems += AuditAnchor.problems(entries: entries, anchors: anchors)
        }
        return AuditCheck(entries: entries.count, anchors: anchors.count, anchorPath: file?.path, problems: problems)
    }

    /// One line: `intact: 1,234 entries, every hash matches; 12 anchors` or `TAMPERED: <first problem> (+2 more)`.
    public var summary: String {
        guard isIntact else {
            return "TAMPERED: \(problems[0])" + (problems.count > 1 ? " (+\(problems.count - 1) more)" : "")
        }
        var line = "intact: \(entries) entries, every hash matches and the chain is unbroken"
        if let anchorPath {
            line += anchors == 0 ? "; no anchor yet in \(anchorPath) (a deleted tail could not be seen before now)" : "; it matches \(anchors) anchor(s) in \(anchorPath)"
        }
        return line
    }
}

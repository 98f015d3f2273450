import Foundation

/// A checkpoint of the audit chain kept outside the database: how many entries it had and the hash of the last.
/// A log whose tail was deleted (fewer entries than anchored) or that was rewritten with every hash recomputed (the
/// anchored entry's hash differs) no longer matches its anchors, though its own chain may look intact.
public struct AuditAnchor: Sendable, Equatable {
    public var count: Int64
    public var hash: String
    public var at: Int64

    public init(count: Int64, hash: String, at: Int64) {
        self.count = count
        self.hash = hash
        self.at = at
    }

    /// One line of the anchor file: `vigil-audit-anchor v1 COUNT HASH UNIX_MS`.
    public var line: String { "vigil-audit-anchor v1 \(count) \(hash) \(at)\n" }

    /// The anchors of a file's text; lines that are not anchors are reported, not skipped silently.
    public static func parse(_ text: String) -> (anchors: [AuditAnchor], bad: [Int]) {
        var anchors: [AuditAnchor] = []
        var bad: [Int] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let f = line.split(separator: " ")
            guard f.count == 5, f[0] == "vigil-audit-anchor", f[1] == "v1", let n = Int64(f[2]), n >= 0, f[3].count == 64,
                  let at = Int64(f[4]) else {
                bad.append(i + 1)
                continue
            }
            anchors.append(AuditAnchor(count: n, hash: String(f[3]), at: at))
        }
        return (anchors, bad)
    }

    /// What `entries` (the whole log, in id order) contradicts of `anchors`.
    public static func problems(entries: [AuditEntry], anchors: [AuditAnchor]) -> [String] {
        var out: [String] = []
        // The strongest claim first: the latest anchor with the most entries.
        for a in anchors.sorted(by: { ($0.count, $0.at) > ($1.count, $1.at) }) where a.count > 0 {
            if Int64(entries.count) < a.count {
                out.append("the log has \(entries.count) entries but \(a.count) were anchored at \(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(a.at) / 1000))): entries \(entries.count + 1)…\(a.count) were deleted")
                break
            }
            let e = entries[Int(a.count) - 1]
            if e.hash != a.hash || e.id != a.count {
                out.append("entry \(a.count) does not match the anchor taken at \(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(a.at) / 1000))): the chain was rewritten")
                break
            }
        }
        return out
    }
}

/// The file the anchors are appended to: next to a SQLite store (`vigil.db.audit-anchor`) unless
/// `VIGIL_AUDIT_ANCHOR` names another place. Make it append-only (`chattr +a`) or keep it on another machine's
/// mount to put it beyond the reach of whoever can write the store.
public struct AuditAnchorFile: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The anchor file of a store, or nil for a store with no file of its own.
    public static func of(_ store: any Store, environment: [String: String] = ProcessInfo.processInfo.environment) -> AuditAnchorFile? {
        if let p = environment["VIGIL_AUDIT_ANCHOR"], !p.isEmpty { return AuditAnchorFile(path: p) }
        if let sqlite = store as? SQLiteStore { return AuditAnchorFile(path: sqlite.path + ".audit-anchor") }
        if let pg = store as? PostgresStore {
            // A database has no file of its own: the anchors live in this machine's data directory, one file per
            // database (and schema).
            let data = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
                ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.local/share")
            let u = pg.url
            let name = [u.host, String(u.port), u.database, u.schema ?? "public"].joined(separator: "_")
                .map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." ? $0 : "_" }
            return AuditAnchorFile(path: data + "/vigil/anchors/" + String(name) + ".audit-anchor")
        }
        return nil
    }

    public var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// Appends one anchor (O_APPEND, created 0600).
    public func append(_ anchor: AuditAnchor) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError("cannot open the audit anchor file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(anchor.line.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else {
            throw StoreError("cannot write the audit anchor file \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// The anchors in the file (none when it does not exist).
    public func read() throws -> (anchors: [AuditAnchor], bad: [Int]) {
        guard exists else { return ([], []) }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw StoreError("cannot read the audit anchor file \(path)")
        }
        return AuditAnchor.parse(text)
    }

    /// Anchors the log's current head unless the newest anchor already says it; returns the anchor written.
    @discardableResult
    public func anchor(_ store: any Store, now: Int64) async throws -> AuditAnchor? {
        guard let head = try await store.auditHead() else { return nil }
        if let last = try read().anchors.last, last.count == head.count, last.hash == head.hash { return nil }
        let a = AuditAnchor(count: head.count, hash: head.hash, at: now)
        try append(a)
        return a
    }
}

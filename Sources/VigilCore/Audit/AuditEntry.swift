import VigilWire

/// One line of the append-only audit log. Each entry carries the hash of the previous one, so editing or
/// deleting any entry breaks the chain (`AuditChain.verify`).
public struct AuditEntry: Sendable, Equatable {
    public var id: Int64
    /// Unix ms.
    public var ts: Int64
    /// Who: a user name, or `system` for the engine's own actions.
    public var actor: String
    /// What, as `noun.verb`: `token.create`, `token.revoke`, `user.add`, `user.set_role`, `alert.ack`, …
    public var action: String
    /// On what: a token id, a user name, an alert fingerprint.
    public var target: String
    /// Free text: the note, the old and new role, …
    public var detail: String
    public var prevHash: String
    public var hash: String

    public init(id: Int64, ts: Int64, actor: String, action: String, target: String, detail: String, prevHash: String, hash: String) {
        self.id = id
        self.ts = ts
        self.actor = actor
        self.action = action
        self.target = target
        self.detail = detail
        self.prevHash = prevHash
        self.hash = hash
    }
}

/// The hash chain: pure functions over entries.
public enum AuditChain {
    /// The hash before the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// SHA-256 over the previous hash and every field, each length-prefixed so no two entries can collide
    /// by moving text between fields.
    public static func hash(id: Int64, ts: Int64, actor: String, action: String, target: String, detail: String, prevHash: String) -> String {
        var h = SHA256()
        for field in [prevHash, String(id), String(ts), actor, action, target, detail] {
            h.update(String(field.utf8.count) + ":")
            h.update(field)
        }
        return h.finalize().hexString
    }

    /// What `verify` found.
    public struct Verification: Sendable, Equatable {
        public var entries: Int
        /// Human-readable problems, first broken entry first; empty when the chain is intact.
        public var problems: [String]
        public var isIntact: Bool { problems.isEmpty }
    }

    /// Walks `entries` (in id order) and reports every entry whose content does not match its hash, and
    /// every break in the chain (a deleted or reordered entry).
    public static func verify(_ entries: [AuditEntry]) -> Verification {
        var problems: [String] = []
        var previous = genesis
        var previousID: Int64 = 0
        for e in entries {
            if e.prevHash != previous {
                problems.append("entry \(e.id): chain broken before it (previous hash does not match" +
                                (e.id != previousID + 1 ? "; entries \(previousID + 1)…\(e.id - 1) are missing)" : ")"))
            }
            let expected = hash(id: e.id, ts: e.ts, actor: e.actor, action: e.action, target: e.target, detail: e.detail, prevHash: e.prevHash)
            if expected != e.hash {
                problems.append("entry \(e.id): content does not match its hash (edited: \(e.action) by \(e.actor))")
            }
            previous = e.hash
            previousID = e.id
        }
        return Verification(entries: entries.count, problems: problems)
    }
}

/// Which audit entries to list.
public struct AuditFilter: Sendable, Equatable {
    public var actor: String?
    /// Matches the action exactly or, ending in `.`, as a prefix (`token.`).
    public var action: String?
    public var since: Int64?
    public var until: Int64?
    public var limit: Int

    public init(actor: String? = nil, action: String? = nil, since: Int64? = nil, until: Int64? = nil, limit: Int = 1000) {
        self.actor = actor
        self.action = action
        self.since = since
        self.until = until
        self.limit = limit
    }
}

import Foundation

extension PostgresStore {
    @discardableResult
    public func suggestTopologyEdges(_ edges: [TopologyEdge], now: Int64) async throws -> [TopologyEdge] {
        guard !edges.isEmpty else { return [] }
        return try await write { s in
            var out: [TopologyEdge] = []
            for e in edges {
                let row = try await s.row("""
                    INSERT INTO topology_edges (from_host, from_service, to_host, to_service, kind, evidence, confidence, source, state,
                                                created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'suggested', ?, ?)
                    ON CONFLICT (from_host, from_service, to_host, to_service, kind) DO UPDATE SET
                        evidence = excluded.evidence, confidence = excluded.confidence, source = excluded.source, updated_at = excluded.updated_at
                    RETURNING *
                    """, [e.fromHost, e.fromService, e.toHost, e.toService, e.kind.rawValue, SQLiteStore.encodeList(e.evidence), e.confidence,
                          e.source, now, now])
                if let row, let stored = try Self.edge(from: row) { out.append(stored) }
            }
            return out
        }
    }

    public func topologyEdges(states: Set<TopologyEdgeState>?) async throws -> [TopologyEdge] {
        try await read { s in
            var sql = "SELECT * FROM topology_edges"
            var args: [any PGValue] = []
            if let states {
                guard !states.isEmpty else { return [] }
                sql += " WHERE state IN (\(states.map { _ in "?" }.joined(separator: ", ")))"
                for st in states.map(\.rawValue).sorted() { args.append(st) }
            }
            sql += " ORDER BY CASE state WHEN 'accepted' THEN 0 WHEN 'suggested' THEN 1 ELSE 2 END, confidence DESC, id"
            var out: [TopologyEdge] = []
            for r in try await s.rows(sql, args) { if let e = try Self.edge(from: r) { out.append(e) } }
            return out
        }
    }

    public func decideTopologyEdge(id: Int64, state: TopologyEdgeState, actor: String, reason: String, now: Int64) async throws -> TopologyEdge {
        guard state != .suggested else { throw StoreError("an edge is accepted or rejected, not suggested again") }
        return try await write { s in
            guard let row = try await s.row("SELECT * FROM topology_edges WHERE id = ?", [id]), let current = try Self.edge(from: row) else {
                throw StoreError("no topology edge with id \(id) (vigil topology list --all shows them)")
            }
            let note: String? = reason.isEmpty ? nil : reason
            let updated = try await s.row("""
                UPDATE topology_edges SET state = ?, decided_by = ?, decided_at = ?, reason = ?, updated_at = ? WHERE id = ? RETURNING *
                """, [state.rawValue, actor, now, note, now, id])
            let verb = state == .accepted ? "accept" : "reject"
            _ = try await PGAudit.append(s, ts: now, actor: actor, action: "topology.\(verb)", target: "edge \(id)",
                                         detail: "\(current.endpoints) \(current.kind.rawValue)\(reason.isEmpty ? "" : ": \(reason)")")
            guard let updated, let edge = try Self.edge(from: updated) else { throw StoreError("topology edge \(id) vanished while it was decided") }
            return edge
        }
    }

    static func edge(from r: PGRow) throws -> TopologyEdge? {
        guard let kind = TopologyEdgeKind(rawValue: try r["kind"]), let state = TopologyEdgeState(rawValue: try r["state"]) else { return nil }
        return TopologyEdge(id: try r["id"], fromHost: try r["from_host"], fromService: try r["from_service"], toHost: try r["to_host"],
                            toService: try r["to_service"], kind: kind, evidence: SQLiteStore.decodeList(try r["evidence"]),
                            confidence: try r["confidence"], source: try r["source"], state: state, decidedBy: try r["decided_by"],
                            decidedAt: try r["decided_at"], reason: try r["reason"], createdAt: try r["created_at"], updatedAt: try r["updated_at"])
    }
}

import Foundation
import GRDB
import VigilWire

extension SQLiteStore {
    @discardableResult
    public func suggestTopologyEdges(_ edges: [TopologyEdge], now: Int64) async throws -> [TopologyEdge] {
        guard !edges.isEmpty else { return [] }
        return try await pool.write { db in
            var out: [TopologyEdge] = []
            for e in edges {
                let evidence = Self.encodeList(e.evidence)
                try db.execute(sql: """
                    INSERT INTO topology_edges (from_host, from_service, to_host, to_service, kind, evidence, confidence, source, state,
                                                created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'suggested', ?, ?)
                    ON CONFLICT (from_host, from_service, to_host, to_service, kind) DO UPDATE SET
                        evidence = excluded.evidence, confidence = excluded.confidence, source = excluded.source, updated_at = excluded.updated_at
                    """, arguments: [e.fromHost, e.fromService, e.toHost, e.toService, e.kind.rawValue, evidence, e.confidence, e.source, now, now])
                if let row = try Row.fetchOne(db, sql: """
                    SELECT * FROM topology_edges WHERE from_host = ? AND from_service = ? AND to_host = ? AND to_service = ? AND kind = ?
                    """, arguments: [e.fromHost, e.fromService, e.toHost, e.toService, e.kind.rawValue]), let stored = Self.edge(from: row) {
                    out.append(stored)
                }
            }
            return out
        }
    }

    public func topologyEdges(states: Set<TopologyEdgeState>?) async throws -> [TopologyEdge] {
        try await pool.read { db in
            var sql = "SELECT * FROM topology_edges"
            var args: [any DatabaseValueConvertible] = []
            if let states {
                guard !states.isEmpty else { return [] }
                sql += " WHERE state IN (\(states.map { _ in "?" }.joined(separator: ", ")))"
                args += states.map(\.rawValue).sorted()
            }
            sql += " ORDER BY CASE state WHEN 'accepted' THEN 0 WHEN 'suggested' THEN 1 ELSE 2 END, confidence DESC, id"
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).compactMap(Self.edge(from:))
        }
    }

    public func decideTopologyEdge(id: Int64, state: TopologyEdgeState, actor: String, reason: String, now: Int64) async throws -> TopologyEdge {
        guard state != .suggested else { throw StoreError("an edge is accepted or rejected, not suggested again") }
        return try await pool.write { db in
            guard let current = try Row.fetchOne(db, sql: "SELECT * FROM topology_edges WHERE id = ?", arguments: [id]).flatMap(Self.edge(from:)) else {
                throw StoreError("no topology edge with id \(id) (vigil topology list --all shows them)")
            }
            try db.execute(sql: "UPDATE topology_edges SET state = ?, decided_by = ?, decided_at = ?, reason = ?, updated_at = ? WHERE id = ?",
                           arguments: [state.rawValue, actor, now, reason.isEmpty ? nil : reason, now, id])
            let verb = state == .accepted ? "accept" : "reject"
            _ = try SQLiteAudit.append(db, ts: now, actor: actor, action: "topology.\(verb)", target: "edge \(id)",
                                       detail: "\(current.endpoints) \(current.kind.rawValue)\(reason.isEmpty ? "" : ": \(reason)")")
            return try Row.fetchOne(db, sql: "SELECT * FROM topology_edges WHERE id = ?", arguments: [id]).flatMap(Self.edge(from:))!
        }
    }

    static func edge(from r: Row) -> TopologyEdge? {
        guard let kind = TopologyEdgeKind(rawValue: r["kind"]), let state = TopologyEdgeState(rawValue: r["state"]) else { return nil }
        return TopologyEdge(id: r["id"], fromHost: r["from_host"], fromService: r["from_service"], toHost: r["to_host"], toService: r["to_service"],
                            kind: kind, evidence: decodeList(r["evidence"]), confidence: r["confidence"], source: r["source"], state: state,
                            decidedBy: r["decided_by"], decidedAt: r["decided_at"], reason: r["reason"], createdAt: r["created_at"],
                            updatedAt: r["updated_at"])
    }
}

import Foundation
import VigilWire

/// Lines of one host's logs that name another host (by name or address label).
public struct LogMention: Sendable, Equatable {
    /// The host whose logs these are.
    public var host: String
    /// The host they name.
    public var mentioned: String
    /// What matched: the name or an address.
    public var term: String
    public var lines: Int
    public var latest: Int64
    /// The newest such line, shortened.
    public var sample: String?

    public init(host: String, mentioned: String, term: String, lines: Int, latest: Int64, sample: String? = nil) {
        self.host = host
        self.mentioned = mentioned
        self.term = term
        self.lines = lines
        self.latest = latest
        self.sample = sample
    }
}

/// Probable dependencies between hosts from what Vigil observes: http/tcp checks whose target is another host
/// (`TopologyInference.targetHost`), log lines that name another host, and shared group/role labels (weak). The
/// suggestions are only that: an operator accepts or rejects each (`vigil topology`).
public enum TopologySuggester {
    public static let checkConfidence = 0.7
    public static let logConfidence = 0.5
    public static let groupConfidence = 0.2
    /// A host whose checks probe at least this many other hosts is a monitor of them, not their dependant.
    public static let monitorFanOut = 5
    /// Groups larger than this suggest nothing (every pair of a big group is noise).
    public static let maxGroupSize = 8
    /// A name or address shorter than this is not searched for in logs (`db` is also a word).
    public static let minMentionLength = 4
    /// Evidence lines that quote a log line start with this; they are kept for the operator, not sent to the AI.
    public static let samplePrefix = "e.g. "

    // MARK: candidates (pure)

    /// The candidate edges, one per relation with all its evidence, most confident first.
    public static func candidates(hosts: [HostSummary], checks: [ObservedCheck], mentions: [LogMention]) -> [TopologyEdge] {
        var edges: [String: TopologyEdge] = [:]
        func add(_ e: TopologyEdge) {
            if var old = edges[e.key] {
                old.evidence += e.evidence
                old.confidence = 1 - (1 - old.confidence) * (1 - e.confidence)
                edges[e.key] = old
            } else {
                edges[e.key] = e
            }
        }
        let known = Set(hosts.map(\.name))

        // Checks targeting another host.
        var owner: [String: String] = [:]
        for h in hosts {
            for a in TopologyInference.addresses(of: h) where owner[a] == nil { owner[a] = h.name }
        }
        func ownerOf(_ target: String) -> String? {
            guard let addr = TopologyInference.targetHost(target) else { return nil }
            if let o = owner[addr] { return o }
            if let dot = addr.firstIndex(of: "."), let o = owner[String(addr[..<dot])] { return o }
            return nil
        }
        var probed: [String: [(ObservedCheck, String)]] = [:]
        for c in checks where c.kind != .systemd && known.contains(c.host) {
            guard let target = ownerOf(c.target), target != c.host else { continue }
            probed[c.host, default: []].append((c, target))
        }
        for (host, list) in probed {
            let fanOut = Set(list.map(\.1)).count
            let kind: TopologyEdgeKind = fanOut >= monitorFanOut ? .monitors : .dependsOn
            for (c, target) in list {
                var line = "\(host)'s check \(c.name) probes \(c.kind.rawValue) \(c.target)\(c.ok ? "" : " (failing)")"
                if kind == .monitors { line += "; \(host) probes \(fanOut) hosts, so it watches them" }
                add(TopologyEdge(fromHost: host, toHost: target, kind: kind, evidence: [line], confidence: checkConfidence, source: "heuristic"))
            }
        }

        // Logs naming another host.
        for m in mentions where known.contains(m.host) && known.contains(m.mentioned) && m.host != m.mentioned {
            var evidence = ["\(m.host)'s logs mention \(m.term == m.mentioned ? m.mentioned : "\(m.mentioned) (as \(m.term))"): \(m.lines) line\(m.lines == 1 ? "" : "s"), latest \(AITimeText.clock(m.latest))"]
            if let s = m.sample { evidence.append(samplePrefix + "\u{201C}\(s)\u{201D}") }
            add(TopologyEdge(fromHost: m.host, toHost: m.mentioned, kind: .dependsOn, evidence: evidence,
                             confidence: m.lines >= 10 ? logConfidence + 0.1 : logConfidence, source: "heuristic"))
        }

        // Shared grouping labels (weak).
        for label in TopologyInference.groupingLabels {
            var groups: [String: [String]] = [:]
            for h in hosts { if let v = h.labels[label], !v.isEmpty { groups[v, default: []].append(h.name) } }
            for (value, members) in groups where members.count >= 2 && members.count <= maxGroupSize {
                let sorted = members.sorted()
                for i in 0..<sorted.count {
                    for j in (i + 1)..<sorted.count {
                        add(TopologyEdge(fromHost: sorted[i], toHost: sorted[j], kind: .sameGroup, evidence: ["both have \(label)=\(value)"],
                                         confidence: groupConfidence, source: "heuristic"))
                    }
                }
            }
        }
        for (k, var e) in edges {
            e.confidence = (e.confidence * 100).rounded() / 100
            edges[k] = e
        }
        return edges.values.sorted { ($1.confidence, $0.fromHost, $0.toHost, $0.kind.rawValue) < ($0.confidence, $1.fromHost, $1.toHost, $1.kind.rawValue) }
    }

    /// Whether `message` names `term` as a whole word (case-insensitive): `db-1` is in "connect to db-1:5432" but
    /// not in "db-10 is up". Pure.
    public static func mentions(_ message: String, _ term: String) -> Bool {
        let text = message.lowercased()
        let t = term.lowercased()
        guard !t.isEmpty else { return false }
        func isWordChar(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "-" || c == "_" }
        var search = text.startIndex..<text.endIndex
        while let r = text.range(of: t, range: search) {
            let beforeOK = r.lowerBound == text.startIndex || !isWordChar(text[text.index(before: r.lowerBound)])
            var afterOK = r.upperBound == text.endIndex || !isWordChar(text[r.upperBound])
            // `10.0.0.5` inside `10.0.0.51`, `db-1` inside `db-1.5`: a dot followed by a digit continues the name.
            if afterOK, r.upperBound < text.endIndex, text[r.upperBound] == "." {
                let next = text.index(after: r.upperBound)
                if next < text.endIndex, text[next].isNumber { afterOK = false }
            }
            if beforeOK && afterOK { return true }
            search = text.index(after: r.lowerBound)..<text.endIndex
        }
        return false
    }

    // MARK: reading (I/O)

    /// Log lines since `since` of one host that name another, found with the store's full-text search: for each of
    /// at most `maxHosts` hosts, each name or address of at least `minMentionLength` characters, the newest
    /// `perTerm` matching lines. Bounded: at most `maxHosts × addresses × perTerm` lines are read.
    public static func logMentions(store: any Store, hosts: [HostSummary], since: Int64, perTerm: Int = 200, maxHosts: Int = 200) async throws -> [LogMention] {
        var out: [String: LogMention] = [:]
        for h in hosts.sorted(by: { $0.name < $1.name }).prefix(maxHosts) {
            var seen = Set<String>()
            for term in TopologyInference.addresses(of: h) where term.count >= minMentionLength && seen.insert(term).inserted {
                for l in try await store.logs(host: nil, query: term, minLevel: nil, limit: perTerm)
                where l.ts >= since && l.host != h.name && mentions(l.message, term) {
                    let key = l.host + "\u{1F}" + h.name
                    if var m = out[key] {
                        m.lines += 1
                        if l.ts > m.latest { m.latest = l.ts; m.sample = String(l.message.prefix(100)) }
                        out[key] = m
                    } else {
                        out[key] = LogMention(host: l.host, mentioned: h.name, term: term, lines: 1, latest: l.ts, sample: String(l.message.prefix(100)))
                    }
                }
            }
        }
        return out.values.sorted { ($0.host, $0.mentioned) < ($1.host, $1.mentioned) }
    }

    /// Every candidate from the store: hosts, the latest check of every host, and log mentions of the last `windowMs`.
    public static func gather(store: any Store, now: Int64, windowMs: Int64 = 86_400_000) async throws -> (hosts: [HostSummary], candidates: [TopologyEdge]) {
        let hosts = try await store.fleetSnapshot(now: now).hosts
        var checks: [ObservedCheck] = []
        if let q = store as? any FleetToolQueries {
            checks = try await q.latestCheckTargets()
        } else {
            for h in hosts.prefix(500) {
                for c in try await store.hostDetail(name: h.name, now: now)?.checks ?? [] {
                    checks.append(ObservedCheck(host: h.name, name: c.name, kind: c.kind, target: c.target, ok: c.ok))
                }
            }
        }
        let mentions = try await logMentions(store: store, hosts: hosts, since: now - windowMs)
        return (hosts, candidates(hosts: hosts, checks: checks, mentions: mentions))
    }
}

/// Refines the heuristic candidates with the AI: it gets each candidate's evidence (no quoted log lines) and the
/// known host names, and answers `{"edges": [{from, to, kind, confidence, reason}]}`, validated: names must be known
/// hosts, kinds known, confidences in 0…1. Its edges are added with `source = ai` (a candidate it confirms takes its
/// confidence and reason); candidates it leaves out stay as heuristic suggestions. Without a key, or when the
/// answer is rejected, the candidates are returned unchanged with the reason.
public struct TopologyRefiner: Sendable {
    public let client: AIClient
    public var maxCandidates: Int

    public init(client: AIClient, maxCandidates: Int = 100) {
        self.client = client
        self.maxCandidates = maxCandidates
    }

    /// One edge the AI proposed.
    public struct Proposal: Sendable, Equatable {
        public var from: String
        public var to: String
        public var kind: TopologyEdgeKind
        public var confidence: Double
        public var reason: String
    }

    public static let schema = """
        {"edges": [{"from": string (a known host), "to": string (a known host), "kind": "depends_on"|"monitors"|"same_group", \
        "confidence": number 0..1, "reason": string}]}
        """

    public func refine(_ candidates: [TopologyEdge], knownHosts: [String]) async -> (edges: [TopologyEdge], fallbackReason: String?) {
        guard !knownHosts.isEmpty else { return (candidates, "no hosts known: nothing to ask the AI") }
        let messages = Self.messages(candidates: Array(candidates.prefix(maxCandidates)), knownHosts: knownHosts)
        do {
            let (proposals, _) = try await client.complete(messages, feature: "topology", json: true) { response throws(AIRejection) in
                try Self.validate(response.content, knownHosts: knownHosts)
            }
            return (Self.merge(candidates, proposals), nil)
        } catch let e as AIError {
            switch e.kind {
            case .noKey: return (candidates, "AI: \(AIConfig.noKeyMessage)")
            case .rejected: return (candidates, e.message.replacingOccurrences(of: "the AI answer was rejected: ", with: "AI answer rejected: ") + "; heuristic suggestions only")
            default: return (candidates, "AI unavailable (\(e.message)); heuristic suggestions only")
            }
        } catch {
            return (candidates, "AI unavailable (\(error)); heuristic suggestions only")
        }
    }

    /// Validates the AI's answer. Pure.
    public static func validate(_ answer: String, knownHosts: [String]) throws(AIRejection) -> [Proposal] {
        let o = try AIJSON.object(in: answer)
        let items = try AIField.array(o, "edges", in: "the answer")
        guard items.count <= 200 else { throw AIRejection("the answer lists \(items.count) edges (at most 200)") }
        var canonical: [String: String] = [:]
        for h in knownHosts { canonical[h.lowercased()] = h }
        var out: [Proposal] = []
        for (i, item) in items.enumerated() {
            let place = "edges[\(i)]"
            guard let e = item.object else { throw AIRejection("\(place) must be an object") }
            let fromName = try AIField.requiredString(e, "from", in: place)
            let toName = try AIField.requiredString(e, "to", in: place)
            guard let from = canonical[fromName.lowercased()] else { throw AIRejection("\(place).from '\(fromName.prefix(60))' is not a known host") }
            guard let to = canonical[toName.lowercased()] else { throw AIRejection("\(place).to '\(toName.prefix(60))' is not a known host") }
            guard from != to else { throw AIRejection("\(place) relates \(from) to itself") }
            let kindText = try AIField.requiredString(e, "kind", in: place)
            guard let kind = TopologyEdgeKind(rawValue: kindText.lowercased()) else {
                throw AIRejection("\(place).kind must be one of \(TopologyEdgeKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let c = e["confidence"]?.number else { throw AIRejection("\(place).confidence must be a number from 0 to 1") }
            guard c >= 0, c <= 1 else { throw AIRejection("\(place).confidence \(c) is outside 0…1") }
            let reason = try AIField.requiredString(e, "reason", in: place)
            let (f, t) = kind == .sameGroup && to < from ? (to, from) : (from, to)
            out.append(Proposal(from: f, to: t, kind: kind, confidence: c, reason: String(reason.prefix(300))))
        }
        return out
    }

    /// The candidates with the AI's proposals folded in. Pure.
    public static func merge(_ candidates: [TopologyEdge], _ proposals: [Proposal]) -> [TopologyEdge] {
        var out = candidates
        var index: [String: Int] = [:]
        for (i, e) in out.enumerated() { index[e.key] = i }
        for p in proposals {
            let edge = TopologyEdge(fromHost: p.from, toHost: p.to, kind: p.kind, evidence: ["AI: \(p.reason)"], confidence: p.confidence, source: "ai")
            if let i = index[edge.key] {
                out[i].evidence.append("AI: \(p.reason)")
                out[i].confidence = p.confidence
                out[i].source = "ai"
            } else {
                index[edge.key] = out.count
                out.append(edge)
            }
        }
        return out
    }

    /// The prompt: the known hosts and each candidate with its evidence (quoted log lines left out). Pure.
    public static func messages(candidates: [TopologyEdge], knownHosts: [String]) -> [AIMessage] {
        let system = """
            You are Vigil's topology analyst. You get the hosts of a fleet and candidate relations between them that \
            were inferred from checks, log lines naming other hosts, and shared labels, each with its evidence. Say \
            which relations are probable dependencies (from needs to), which are monitoring, and which are only \
            group membership; drop the ones the evidence does not support; add one only when the evidence implies it. \
            Use ONLY the host names listed. Answer with ONE JSON object and nothing else, matching this schema:
            \(schema)
            """
        var u = ["HOSTS " + knownHosts.sorted().joined(separator: ", "), "", "CANDIDATES"]
        for (i, e) in candidates.enumerated() {
            let evidence = e.evidence.filter { !$0.hasPrefix(TopologySuggester.samplePrefix) }.joined(separator: "; ")
            u.append("\(i + 1). \(e.fromHost) -> \(e.toHost) \(e.kind.rawValue) (heuristic confidence \(e.confidence)): \(evidence)")
        }
        if candidates.isEmpty { u.append("(none)") }
        return [.system(system), .user(u.joined(separator: "\n"))]
    }
}

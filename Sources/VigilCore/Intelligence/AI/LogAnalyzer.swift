import Foundation
import VigilWire

/// A host's logs over a time range, summarised: templates with counts (always), and the AI's patterns,
/// anomalies and assessment when it answered and its answer was valid.
public struct LogAnalysis: Sendable, Equatable {
    /// One mined template (`LogTemplateMiner`): variable parts read `<*>`.
    public struct Template: Sendable, Equatable {
        public var template: String
        public var count: Int
        public var worstLevel: LogLevel
        public var firstSeen: Int64
        public var lastSeen: Int64
    }

    public struct Pattern: Sendable, Equatable {
        public var pattern: String
        public var count: Int?
        public var note: String
    }

    public struct Anomaly: Sendable, Equatable {
        public var description: String
        /// `low`, `medium` or `high`.
        public var severity: String
        public var evidence: [String]
    }

    public var host: String
    public var from: Int64
    public var to: Int64
    public var lines: Int
    /// Most frequent first.
    public var templates: [Template]
    public var patterns: [Pattern]
    public var anomalies: [Anomaly]
    public var assessment: String
    /// The model that wrote patterns/anomalies/assessment, or `heuristic`.
    public var source: String
    /// Why the heuristic summary is shown (no key, rejected answer, timeout, …); nil when the AI's is.
    public var fallbackReason: String?

    public static let schema = """
        {"patterns": [{"pattern": string, "count": integer, "note": string}], \
        "anomalies": [{"description": string, "severity": "low"|"medium"|"high", "evidence": [string]}], "assessment": string}
        """

    /// Validates an AI answer and fills `patterns`, `anomalies`, `assessment` and `source`. Pure.
    public mutating func apply(answer: String, model: String) throws(AIRejection) {
        let o = try AIJSON.object(in: answer)
        var patterns: [Pattern] = []
        for (i, item) in try AIField.array(o, "patterns", in: "the answer").enumerated() {
            let place = "patterns[\(i)]"
            guard let p = item.object else { throw AIRejection("\(place) must be an object") }
            let text = try AIField.requiredString(p, "pattern", in: place)
            var count: Int?
            if let c = p["count"], !c.isNull {
                guard let n = c.number, n >= 0, n == n.rounded() else { throw AIRejection("\(place).count must be a whole number") }
                count = Int(n)
            }
            var note = ""
            if let n = p["note"], !n.isNull {
                guard let s = n.string else { throw AIRejection("\(place).note must be a string") }
                note = s
            }
            patterns.append(Pattern(pattern: text, count: count, note: note))
        }
        var anomalies: [Anomaly] = []
        for (i, item) in try AIField.array(o, "anomalies", in: "the answer").enumerated() {
            let place = "anomalies[\(i)]"
            guard let a = item.object else { throw AIRejection("\(place) must be an object") }
            let description = try AIField.requiredString(a, "description", in: place)
            var severity = "medium"
            if let s = a["severity"], !s.isNull {
                guard let text = s.string?.lowercased(), ["low", "medium", "high"].contains(text) else {
                    throw AIRejection("\(place).severity must be low, medium or high")
                }
                severity = text
            }
            let evidence = try AIField.stringArray(a, "evidence", in: place, required: false)
            anomalies.append(Anomaly(description: description, severity: severity, evidence: evidence))
        }
        let assessment = try AIField.requiredString(o, "assessment", in: "the answer")
        self.patterns = patterns
        self.anomalies = anomalies
        self.assessment = assessment
        self.source = model
        self.fallbackReason = nil
    }
}

/// Log analysis of a time range: the lines are mined into templates with counts (`LogTemplateMiner`), and only
/// those — never the raw lines — go to the AI, which returns patterns, anomalies and an assessment as JSON,
/// validated. Without a key, or when the answer fails, the heuristic summary (top templates, rare and error
/// templates as anomalies) is returned with the reason.
public struct LogAnalyzer: Sendable {
    public let client: AIClient
    /// Templates sent to the AI, most frequent first (rare error templates are added on top).
    public var maxTemplates: Int

    public init(client: AIClient, maxTemplates: Int = 60) {
        self.client = client
        self.maxTemplates = maxTemplates
    }

    /// Reads the host's logs in `[from, to]` from the store (at most `limit` lines, newest kept) and analyses them.
    public func analyze(host: String, from: Int64, to: Int64, store: any Store, limit: Int = 20_000,
                        onEvent: (@Sendable (AIStreamEvent) -> Void)? = nil) async throws -> LogAnalysis {
        let logs = try await store.logs(host: host, query: nil, minLevel: nil, limit: limit).filter { $0.ts >= from && $0.ts <= to }
        return await analyze(host: host, from: from, to: to, logs: logs, onEvent: onEvent)
    }

    /// Analyses `logs` (any order) of `host` in `[from, to]`.
    public func analyze(host: String, from: Int64, to: Int64, logs: [StoredLog], onEvent: (@Sendable (AIStreamEvent) -> Void)? = nil) async -> LogAnalysis {
        var analysis = Self.heuristic(host: host, from: from, to: to, logs: logs)
        guard !logs.isEmpty else {
            analysis.fallbackReason = "no log lines in the range: nothing to ask the AI"
            return analysis
        }
        let messages = Self.messages(for: analysis, maxTemplates: maxTemplates)
        let model = client.config.model
        let base = analysis
        do {
            let (done, _) = try await client.complete(messages, feature: "logs", json: true, onEvent: onEvent) { response throws(AIRejection) in
                var a = base
                try a.apply(answer: response.content, model: response.model.isEmpty ? model : response.model)
                return a
            }
            return done
        } catch let e as AIError {
            switch e.kind {
            case .noKey: analysis.fallbackReason = "AI: \(AIConfig.noKeyMessage)"
            case .rejected: analysis.fallbackReason = e.message.replacingOccurrences(of: "the AI answer was rejected: ", with: "AI answer rejected: ") + "; heuristic summary shown"
            default: analysis.fallbackReason = "AI unavailable (\(e.message)); heuristic summary shown"
            }
            return analysis
        } catch {
            analysis.fallbackReason = "AI unavailable (\(error)); heuristic summary shown"
            return analysis
        }
    }

    /// Templates with counts, and a summary without AI: the most frequent templates as patterns, templates at
    /// error and above and warnings seen once as anomalies. Pure.
    public static func heuristic(host: String, from: Int64, to: Int64, logs: [StoredLog]) -> LogAnalysis {
        var miner = LogTemplateMiner()
        var ids: [Int] = []
        ids.reserveCapacity(logs.count)
        let ordered = logs.sorted { ($0.ts, $0.id) < ($1.ts, $1.id) }
        for l in ordered { ids.append(miner.add(l.message)) }
        var byTemplate: [Int: LogAnalysis.Template] = [:]
        for (i, l) in ordered.enumerated() {
            let id = miner.resolve(ids[i])
            if var t = byTemplate[id] {
                t.count += 1
                t.worstLevel = max(t.worstLevel, l.level)
                t.lastSeen = max(t.lastSeen, l.ts)
                byTemplate[id] = t
            } else {
                byTemplate[id] = LogAnalysis.Template(template: miner.template(id), count: 1, worstLevel: l.level, firstSeen: l.ts, lastSeen: l.ts)
            }
        }
        let templates = byTemplate.values.sorted { ($1.count, $0.firstSeen, $0.template) < ($0.count, $1.firstSeen, $1.template) }
        let patterns = templates.prefix(10).map { LogAnalysis.Pattern(pattern: $0.template, count: $0.count, note: "\($0.worstLevel.rawValue)") }
        var anomalies: [LogAnalysis.Anomaly] = []
        for t in templates where t.worstLevel >= .error {
            anomalies.append(.init(description: "\(t.count)× \(t.worstLevel.rawValue): \(t.template)", severity: t.worstLevel == .critical ? "high" : "medium",
                                   evidence: ["first \(AITimeText.clock(t.firstSeen)), last \(AITimeText.clock(t.lastSeen))"]))
        }
        for t in templates where t.count == 1 && t.worstLevel == .warning {
            anomalies.append(.init(description: "seen once: \(t.template)", severity: "low", evidence: ["at \(AITimeText.clock(t.firstSeen))"]))
        }
        let errors = templates.filter { $0.worstLevel >= .error }.reduce(0) { $0 + $1.count }
        let assessment = logs.isEmpty ? "no log lines in the range"
            : "\(logs.count) lines in \(templates.count) templates; \(errors) at error or above" + (templates.first.map { "; most frequent: \($0.template) (×\($0.count))" } ?? "")
        return LogAnalysis(host: host, from: from, to: to, lines: logs.count, templates: templates, patterns: patterns, anomalies: Array(anomalies.prefix(20)),
                           assessment: assessment, source: "heuristic", fallbackReason: nil)
    }

    /// The prompt: the schema and the templates with counts, levels and times. Pure.
    public static func messages(for analysis: LogAnalysis, maxTemplates: Int) -> [AIMessage] {
        let system = """
            You are Vigil's log analyst for on-call engineers. You get the log templates of one host over a time range \
            (variable parts read <*>), with counts, the worst level and first/last times. Find the meaningful patterns, \
            the anomalies (errors, bursts, rare events, things that stopped) and assess the host's state in two or three \
            sentences. Answer with ONE JSON object and nothing else, matching this schema:
            \(LogAnalysis.schema)
            """
        var chosen = Array(analysis.templates.prefix(maxTemplates))
        let rareErrors = analysis.templates.dropFirst(maxTemplates).filter { $0.worstLevel >= .warning }.prefix(max(5, maxTemplates / 4))
        chosen += rareErrors
        var u = ["HOST \(analysis.host)",
                 "RANGE \(AITimeText.clock(analysis.from)) to \(AITimeText.clock(analysis.to)) (\(DurationText.short(ms: max(0, analysis.to - analysis.from))))",
                 "LINES \(analysis.lines) in \(analysis.templates.count) templates" + (chosen.count < analysis.templates.count ? " (\(chosen.count) shown)" : ""),
                 "",
                 "COUNT LEVEL FIRST LAST TEMPLATE"]
        for t in chosen {
            u.append("\(t.count) \(t.worstLevel.rawValue) \(AITimeText.clock(t.firstSeen)) \(AITimeText.clock(t.lastSeen)) \(t.template.prefix(400))")
        }
        return [.system(system), .user(u.joined(separator: "\n"))]
    }
}

/// Short UTC times for prompts and summaries.
enum AITimeText {
    static func clock(_ ms: Int64) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss'Z'"
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}

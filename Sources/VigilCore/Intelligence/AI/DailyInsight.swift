import Foundation
import VigilWire

/// What a daily report means: a headline, findings with their evidence and severity, and recommendations. Written
/// by the AI from the report's facts (validated against `schema`), or by rules of thumb (`heuristic`), which say so.
public struct DailyInsight: Sendable, Equatable {
    public struct Finding: Sendable, Equatable {
        public var finding: String
        public var evidence: [String]
        /// `low`, `medium` or `high`.
        public var severity: String

        public init(finding: String, evidence: [String], severity: String) {
            self.finding = finding
            self.evidence = evidence
            self.severity = severity
        }
    }

    public var headline: String
    public var findings: [Finding]
    public var recommendations: [String]
    /// The model that wrote it, or `heuristic`.
    public var source: String
    /// Why the heuristic insight is shown (no key, rejected answer, timeout, not asked); nil when the AI's is.
    public var fallbackReason: String?

    public init(headline: String, findings: [Finding], recommendations: [String], source: String, fallbackReason: String? = nil) {
        self.headline = headline
        self.findings = findings
        self.recommendations = recommendations
        self.source = source
        self.fallbackReason = fallbackReason
    }

    public var isHeuristic: Bool { source == "heuristic" }

    public static let schema = """
        {"headline": string, "findings": [{"finding": string, "evidence": [string], "severity": "low"|"medium"|"high"}], \
        "recommendations": [string]}
        """

    /// Validates an AI answer against `schema`: a non-empty headline, 0–10 findings each with a finding, evidence
    /// strings and a severity, 0–10 non-empty recommendations. Pure.
    public static func validate(_ answer: String, model: String) throws(AIRejection) -> DailyInsight {
        let o = try AIJSON.object(in: answer)
        let headline = try AIField.requiredString(o, "headline", in: "the answer")
        let items = try AIField.array(o, "findings", in: "the answer")
        guard items.count <= 10 else { throw AIRejection("the answer lists \(items.count) findings (at most 10)") }
        var findings: [Finding] = []
        for (i, item) in items.enumerated() {
            let place = "findings[\(i)]"
            guard let f = item.object else { throw AIRejection("\(place) must be an object") }
            let finding = try AIField.requiredString(f, "finding", in: place)
            var evidence: [String]
            if let single = f["evidence"]?.string {
                evidence = [single]  // one string instead of a list of one: accepted
            } else {
                evidence = try AIField.stringArray(f, "evidence", in: place, required: true)
            }
            evidence = evidence.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            guard let severity = f["severity"]?.string?.lowercased(), ["low", "medium", "high"].contains(severity) else {
                throw AIRejection("\(place).severity must be low, medium or high")
            }
            findings.append(Finding(finding: finding, evidence: evidence, severity: severity))
        }
        let recommendations = try AIField.stringArray(o, "recommendations", in: "the answer", required: true)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard recommendations.count <= 10 else { throw AIRejection("the answer lists \(recommendations.count) recommendations (at most 10)") }
        guard !recommendations.contains(where: \.isEmpty) else { throw AIRejection("a recommendation is empty") }
        return DailyInsight(headline: headline, findings: findings, recommendations: recommendations, source: model)
    }

    // MARK: rendering

    public var text: String {
        var out = [isHeuristic ? "INSIGHT (heuristic, rules of thumb; not AI)" : "INSIGHT (AI: \(source))"]
        if let fallbackReason { out.append("  (\(fallbackReason))") }
        out.append("  \(headline)")
        for f in findings {
            out.append("  [\(f.severity)] \(f.finding)")
            out.append(contentsOf: f.evidence.map { "      - \($0)" })
        }
        if !recommendations.isEmpty {
            out.append("  recommendations:")
            out.append(contentsOf: recommendations.map { "    * \($0)" })
        }
        return out.joined(separator: "\n")
    }

    public var json: JSONValue {
        .object([
            "headline": .string(headline),
            "findings": .array(findings.map { .object(["finding": .string($0.finding), "evidence": .array($0.evidence.map(JSONValue.string)),
                                                       "severity": .string($0.severity)]) }),
            "recommendations": .array(recommendations.map(JSONValue.string)),
            "source": .string(source),
            "fallback_reason": .optional(fallbackReason),
        ])
    }

    // MARK: rules of thumb

    /// The insight without AI: the noisiest rule, a runbook that keeps failing, the host that alerts most, a long
    /// MTTR, a host in poor health and new error patterns. Pure.
    public static func heuristic(_ r: DailyReport) -> DailyInsight {
        var findings: [Finding] = []
        var recommendations: [String] = []
        if let top = r.noisiestRules.first, top.fired >= 3 {
            let share = r.alertsFired > 0 ? Double(top.fired) / Double(r.alertsFired) : 0
            findings.append(Finding(finding: "\(top.rule) is the noisiest rule",
                                    evidence: ["fired \(top.fired) times on \(top.hosts) host\(top.hosts == 1 ? "" : "s") (\(DailyReport.percent(share)) of all firings)",
                                               "resolved \(top.resolved) times"],
                                    severity: top.fired >= 10 ? "high" : "medium"))
            recommendations.append("Review \(top.rule): fix the recurring cause, or raise its threshold or 'for' if it fires on harmless blips.")
        }
        for rb in r.runbooks where rb.failed >= 2 && (rb.successRate ?? 0) < 0.5 {
            findings.append(Finding(finding: "runbook \(rb.runbook) keeps failing",
                                    evidence: ["\(rb.failed) of \(rb.runs) runs failed (\(rb.succeeded) succeeded)"], severity: "high"))
            recommendations.append("Look at the failed runs of \(rb.runbook) (vigil runbook runs) before it is run again; it is not fixing what it is run for.")
        }
        if let host = r.hosts.first, host.fired >= 3, host.host != "-" {
            let share = r.alertsFired > 0 ? Double(host.fired) / Double(r.alertsFired) : 0
            findings.append(Finding(finding: "\(host.host) alerts the most",
                                    evidence: ["\(host.fired) alerts fired (\(DailyReport.percent(share)) of all)"],
                                    severity: share >= 0.5 ? "high" : "medium"))
            recommendations.append("Give \(host.host) a closer look: one host behind most alerts usually has one underlying problem.")
        }
        if let mttr = r.mttrMs, mttr >= 3_600_000 {
            findings.append(Finding(finding: "alerts take long to resolve",
                                    evidence: ["MTTR \(DurationText.short(ms: mttr)) over \(r.resolutionsTimed) resolutions"], severity: "medium"))
            recommendations.append("Attach runbooks to the slowest rules so responders have a first step.")
        }
        for h in r.worstHosts where h.health < 50 {
            findings.append(Finding(finding: "\(h.host) is in poor health", evidence: ["health \(h.health), \(h.status), \(h.fired) alerts fired"],
                                    severity: h.status == "down" || h.health < 25 ? "high" : "medium"))
        }
        // A check down more than 1 % of the time it was measured (0.1 % is a usual objective; 1 % is 14 minutes a day).
        for a in r.availability.prefix(3) {
            guard let availability = a.tally.availability, availability < 0.99 else { continue }
            findings.append(Finding(finding: "check \(a.check) was down \(DurationText.short(ms: a.tally.downMs))",
                                    evidence: [String(format: "%.2f%% available over the %.0f%% of the time it was measured, on %d host%@",
                                                      availability * 100, a.tally.coverage * 100, a.hosts, a.hosts == 1 ? "" : "s")],
                                    severity: availability < 0.95 ? "high" : "medium"))
            recommendations.append("Find what took \(a.check) down (its host's detail shows the failing results); vigil sla shows its error budget.")
        }
        let newErrors = r.newPatterns.filter { $0.level >= .error }
        if !newErrors.isEmpty {
            findings.append(Finding(finding: "\(newErrors.count) new error log pattern\(newErrors.count == 1 ? "" : "s")",
                                    evidence: newErrors.prefix(3).map { "\($0.count)× \($0.template.prefix(120))" }, severity: "low"))
        }
        var headline = "\(r.alertsFired) alert\(r.alertsFired == 1 ? "" : "s") fired, \(r.alertsResolved) resolved, \(r.incidentCount) incident\(r.incidentCount == 1 ? "" : "s")"
        if r.runs > 0 { headline += ", \(r.runs) remediation run\(r.runs == 1 ? "" : "s")" + (r.successRate.map { " (\(DailyReport.percent($0)) success)" } ?? "") }
        if findings.isEmpty { headline = "A quiet period: " + headline }
        else if let worst = findings.first(where: { $0.severity == "high" }) ?? findings.first { headline += "; " + worst.finding }
        return DailyInsight(headline: headline, findings: Array(findings.prefix(10)), recommendations: Array(recommendations.prefix(10)), source: "heuristic")
    }
}

/// Writes the insight of a daily report. The AI gets the report's facts only (counts, rules, hosts, runbooks,
/// mined log templates; never a raw log line) and must answer `DailyInsight.schema`; without a key, or when the
/// answer is rejected or the call fails, the heuristic insight is returned with the reason.
public struct DailyInsightWriter: Sendable {
    public let client: AIClient

    public init(client: AIClient) { self.client = client }

    /// The AI's insight when `useAI` and it answers validly; otherwise the heuristic one, saying why.
    public func insight(for report: DailyReport, useAI: Bool = true) async -> DailyInsight {
        var fallback = DailyInsight.heuristic(report)
        guard useAI else {
            fallback.fallbackReason = "AI not asked (--no-ai)"
            return fallback
        }
        let model = client.config.model
        do {
            let (insight, _) = try await client.complete(Self.messages(for: report), feature: "daily_insight", json: true) { response throws(AIRejection) in
                try DailyInsight.validate(response.content, model: response.model.isEmpty ? model : response.model)
            }
            return insight
        } catch let e as AIError {
            switch e.kind {
            case .noKey: fallback.fallbackReason = "AI: \(AIConfig.noKeyMessage)"
            case .rejected: fallback.fallbackReason = e.message.replacingOccurrences(of: "the AI answer was rejected: ", with: "AI answer rejected: ") + "; heuristic insight shown"
            default: fallback.fallbackReason = "AI unavailable (\(e.message)); heuristic insight shown"
            }
        } catch {
            fallback.fallbackReason = "AI unavailable (\(error)); heuristic insight shown"
        }
        return fallback
    }

    /// The prompt: the schema and the report's facts as text. Pure.
    public static func messages(for report: DailyReport) -> [AIMessage] {
        let system = """
            You are Vigil's reliability analyst. You get the facts of an operations report over a time range: alerts \
            by rule and host, mean time to resolve, incidents, remediation runs by runbook with outcomes, new log \
            templates (variable parts read <*>) and the hosts in the worst health. Say what matters most in one \
            headline, list the findings with the facts that support them (quote numbers from the report, invent \
            none) and practical recommendations. Answer with ONE JSON object and nothing else, matching this schema:
            \(DailyInsight.schema)
            """
        return [.system(system), .user(report.text)]
    }
}

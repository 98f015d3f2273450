import Foundation
import VigilWire

/// A root-cause analysis from the AI, after validation against the schema and the runbook catalogue.
public struct AIRootCause: Sendable, Equatable {
    public struct Cause: Sendable, Equatable {
        public var cause: String
        /// 0…1.
        public var confidence: Double
        public var evidence: [String]
    }

    public var summary: String
    /// Most likely first.
    public var causes: [Cause]
    /// A runbook of the catalogue, or nil when none fits.
    public var runbook: String?
    /// The parameters the AI chose (they passed `RunbookRenderer.resolve`).
    public var parameters: [String: String]
    public var risk: RunbookRisk
    /// The model that answered.
    public var model: String

    /// The schema, as the prompt states it.
    public static let schema = """
        {"summary": string, "causes": [{"cause": string, "confidence": number 0..1, "evidence": [string]}], \
        "runbook": {"name": string, "parameters": {name: string}} or null, "risk": "low"|"medium"|"high"}
        """

    /// Parses and validates an answer: the schema (`summary`, 1–10 `causes` each with `cause`, `confidence` in
    /// 0…1 and `evidence` strings, `runbook` null or `{name, parameters}`, `risk`), a runbook that exists in
    /// `catalog`, and parameters that pass `RunbookRenderer.resolve` with the alert's labels. Pure.
    public static func validate(_ answer: String, catalog: RunbookCatalog, labels: [String: String], model: String) throws(AIRejection) -> AIRootCause {
        let o = try AIJSON.object(in: answer)
        let summary = try AIField.requiredString(o, "summary", in: "the answer")
        let rawCauses = try AIField.array(o, "causes", in: "the answer")
        guard !rawCauses.isEmpty else { throw AIRejection("the answer lists no causes") }
        guard rawCauses.count <= 10 else { throw AIRejection("the answer lists \(rawCauses.count) causes (at most 10)") }
        var causes: [Cause] = []
        for (i, item) in rawCauses.enumerated() {
            let place = "causes[\(i)]"
            guard let c = item.object else { throw AIRejection("\(place) must be an object") }
            let text = try AIField.requiredString(c, "cause", in: place)
            guard let confidence = c["confidence"]?.number else { throw AIRejection("\(place).confidence must be a number from 0 to 1") }
            guard (0...1).contains(confidence) else { throw AIRejection("\(place).confidence \(confidence) is outside 0…1") }
            let evidence = try AIField.stringArray(c, "evidence", in: place, required: true)
            causes.append(Cause(cause: text, confidence: confidence, evidence: evidence))
        }
        guard let riskText = o["risk"]?.string, let risk = RunbookRisk(rawValue: riskText.lowercased()) else {
            throw AIRejection("'risk' must be one of low, medium, high")
        }
        var runbookName: String?
        var parameters: [String: String] = [:]
        if let rb = o["runbook"], !rb.isNull {
            guard let r = rb.object else { throw AIRejection("'runbook' must be null or {\"name\", \"parameters\"}") }
            let name = try AIField.requiredString(r, "name", in: "runbook")
            guard let runbook = catalog.runbook(named: name) else {
                throw AIRejection("runbook '\(name)' is not in the catalogue (known: \(catalog.runbooks.map(\.name).joined(separator: ", ")))")
            }
            if let p = r["parameters"], !p.isNull {
                guard let fields = p.object else { throw AIRejection("runbook.parameters must be an object") }
                for (k, v) in fields {
                    guard let text = v.scalarText else { throw AIRejection("runbook.parameters.\(k) must be a string") }
                    parameters[k] = text
                }
            }
            do {
                _ = try RunbookRenderer.resolve(runbook, explicit: parameters, labels: labels)
            } catch {
                throw AIRejection("runbook \(name): \(error.description)")
            }
            runbookName = name
        }
        causes.sort { $0.confidence > $1.confidence }
        return AIRootCause(summary: summary, causes: causes, runbook: runbookName, parameters: parameters, risk: risk, model: model)
    }

    /// As a `Diagnosis` (what the remediation pane and `Remediator.plan` take).
    public var diagnosis: Diagnosis {
        var evidence: [String] = []
        for c in causes {
            let pct = Int((c.confidence * 100).rounded())
            evidence.append("\(pct)% \(c.cause)" + (c.evidence.isEmpty ? "" : ": " + c.evidence.joined(separator: "; ")))
        }
        evidence.append("risk: \(risk.rawValue)")
        return Diagnosis(cause: summary, evidence: evidence, runbook: runbook, parameters: parameters,
                         confidence: causes.first?.confidence ?? 0, source: model)
    }
}

/// What an AI diagnosis produced: the AI's validated analysis, or the heuristic diagnosis and why.
public struct AIDiagnosisResult: Sendable, Equatable {
    /// What to show and plan from: the AI's when accepted, else the heuristic one with a note in its evidence.
    public var diagnosis: Diagnosis
    /// The AI's analysis when it was accepted.
    public var rootCause: AIRootCause?
    /// Why the heuristic diagnosis is shown (no key, rejected answer, timeout, …); nil when the AI's is.
    public var fallbackReason: String?
    public var outcome: AICallOutcome
}

/// Root-cause analysis by the AI, with the heuristic diagnosis as the safety net: without a key, on any failure,
/// and whenever the answer is malformed or names a runbook (or parameters) the catalogue does not allow, the
/// heuristic diagnosis is returned, with a line in its evidence saying why.
public struct AIDiagnoser: Diagnoser {
    public let client: AIClient
    public let heuristic: HeuristicDiagnoser

    public init(client: AIClient, heuristic: HeuristicDiagnoser = HeuristicDiagnoser()) {
        self.client = client
        self.heuristic = heuristic
    }

    public func diagnose(_ input: DiagnosisInput, catalog: RunbookCatalog) async -> Diagnosis {
        await analyze(input, catalog: catalog).diagnosis
    }

    /// The analysis with its provenance; `onEvent` sees the answer's text as it streams in.
    public func analyze(_ input: DiagnosisInput, catalog: RunbookCatalog, onEvent: (@Sendable (AIStreamEvent) -> Void)? = nil) async -> AIDiagnosisResult {
        let fallback = heuristic.diagnoseNow(input, catalog: catalog)
        let messages = Self.messages(for: input, catalog: catalog, heuristic: fallback)
        let labels = input.alert.labels
        let model = client.config.model
        do {
            let (rootCause, _) = try await client.complete(messages, feature: "diagnose", json: true, onEvent: onEvent) { response throws(AIRejection) in
                try AIRootCause.validate(response.content, catalog: catalog, labels: labels, model: response.model.isEmpty ? model : response.model)
            }
            return AIDiagnosisResult(diagnosis: rootCause.diagnosis, rootCause: rootCause, fallbackReason: nil, outcome: .ok)
        } catch let e as AIError {
            var d = fallback
            let reason: String
            switch e.kind {
            case .noKey: reason = "AI: \(AIConfig.noKeyMessage)"
            case .rejected: reason = "AI answer rejected (\(e.message.replacingOccurrences(of: "the AI answer was rejected: ", with: ""))); heuristic diagnosis shown"
            default: reason = "AI unavailable (\(e.message)); heuristic diagnosis shown"
            }
            d.evidence.append(reason)
            return AIDiagnosisResult(diagnosis: d, rootCause: nil, fallbackReason: reason, outcome: e.outcome)
        } catch {
            var d = fallback
            let reason = "AI unavailable (\(error)); heuristic diagnosis shown"
            d.evidence.append(reason)
            return AIDiagnosisResult(diagnosis: d, rootCause: nil, fallbackReason: reason, outcome: .error)
        }
    }

    /// The prompt: instructions and schema, then the alert, the host's recent metrics and logs, the catalogue
    /// and the heuristic opinion. Pure.
    public static func messages(for input: DiagnosisInput, catalog: RunbookCatalog, heuristic: Diagnosis?) -> [AIMessage] {
        let system = """
            You are Vigil's root-cause assistant for on-call engineers. Analyse the alert using only the data given.
            Answer with ONE JSON object and nothing else, matching this schema:
            \(AIRootCause.schema)
            Rules: list 1 to 5 causes, most likely first; confidence is your probability (0..1); evidence quotes facts from \
            the data. "runbook" must be a name from the catalogue below, or null when none fits; its "parameters" may only \
            use that runbook's parameter names, values as strings, and may be {} to take the defaults. "risk" is the risk \
            of running the recommended runbook (use the catalogue's risk) or, with no runbook, of the situation.
            """
        var u: [String] = []
        let a = input.alert
        u.append("ALERT")
        u.append("rule: \(a.rule); severity: \(a.severity.rawValue); state: \(a.state)")
        if let v = a.value { u.append("value: \(Self.number(v))") }
        if let m = a.metric { u.append("metric: \(m)") }
        u.append("active for: \(DurationText.short(ms: max(0, input.now - a.activeSince)))")
        u.append("labels: " + a.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
        for (k, v) in a.annotations.sorted(by: { $0.key < $1.key }) { u.append("\(k): \(v)") }
        if !input.series.isEmpty {
            u.append("")
            u.append("METRICS (host, recent)")
            for (name, points) in input.series.sorted(by: { $0.key < $1.key }) where !points.isEmpty {
                let sorted = points.sorted { $0.ts < $1.ts }
                let values = sorted.map(\.value)
                let span = DurationText.short(ms: max(0, sorted.last!.ts - sorted.first!.ts))
                u.append("\(name): latest \(Self.number(values.last!)), min \(Self.number(values.min()!)), max \(Self.number(values.max()!)), first \(Self.number(values.first!)) over \(span) (\(values.count) points)")
            }
        }
        if !input.logs.isEmpty {
            u.append("")
            u.append("LOGS (warning and above, grouped, most frequent first)")
            var counts: [String: (Int, LogLevel)] = [:]
            var order: [String] = []
            for l in input.logs {
                let key = String(l.message.prefix(300))
                if let c = counts[key] { counts[key] = (c.0 + 1, max(c.1, l.level)) } else { counts[key] = (1, l.level); order.append(key) }
            }
            for m in order.sorted(by: { counts[$0]!.0 > counts[$1]!.0 }).prefix(30) {
                u.append("×\(counts[m]!.0) [\(counts[m]!.1.rawValue)] \(m)")
            }
        }
        if !input.incidents.isEmpty {
            u.append("")
            u.append("PAST INCIDENTS LIKE THIS (incident memory, best match first)")
            if let summary = IncidentMemory.summary(input.incidents, now: input.now) { u.append(summary) }
            for i in input.incidents.prefix(5) {
                var line = "- \(i.rule) on \(i.host ?? "?") \(DurationText.short(ms: max(0, input.now - i.resolvedAt))) ago, lasted \(DurationText.short(ms: i.durationMs))"
                if !i.diagnosis.isEmpty { line += "; diagnosis: \(i.diagnosis)" }
                if let rb = i.runbook { line += "; ran \(rb): \(i.outcome ?? "?")" }
                if !i.notes.isEmpty { line += "; notes: \(i.notes.replacingOccurrences(of: "\n", with: " / ").prefix(200))" }
                u.append(line)
            }
        }
        u.append("")
        u.append("RUNBOOK CATALOGUE")
        if catalog.runbooks.isEmpty { u.append("(empty: answer with \"runbook\": null)") }
        for rb in catalog.runbooks {
            let fits = rb.matches(alertName: a.rule, labels: a.labels) ? " [fits this alert]" : ""
            u.append("- \(rb.name) (risk \(rb.risk.rawValue))\(fits): \(rb.description)")
            for p in rb.parameters {
                var notes = [p.kind.rawValue]
                if p.required { notes.append("required") }
                if let d = p.defaultValue, !d.isEmpty { notes.append("default \(d)") }
                if let l = p.fromLabel { notes.append("from label \(l)") }
                if let min = p.min { notes.append("min \(min)") }
                if let max = p.max { notes.append("max \(max)") }
                u.append("    \(p.name) (\(notes.joined(separator: ", ")))" + (p.description.isEmpty ? "" : ": \(p.description)"))
            }
        }
        if let h = heuristic {
            u.append("")
            u.append("RULE-OF-THUMB OPINION (may be wrong): \(h.cause)" + (h.runbook.map { "; runbook \($0)" } ?? ""))
        }
        return [.system(system), .user(u.joined(separator: "\n"))]
    }

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e12 ? String(Int64(v)) : String(format: "%.2f", v)
    }

    /// What a diagnosis looks at for `alert` (the same as `Remediator.diagnose` gathers).
    public static func input(for alert: StoredAlert, store: any Store, now: Int64) async -> DiagnosisInput {
        await DiagnosisInput.gather(for: alert, store: store, now: now)
    }
}

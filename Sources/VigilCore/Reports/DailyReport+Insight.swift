import VigilWire

/// A daily report with its insight, as generated and stored (`vigil report daily`).
public struct GeneratedDailyReport: Sendable, Equatable {
    public var report: DailyReport
    public var insight: DailyInsight
    public var stored: StoredReport

    /// The report's text followed by the insight's.
    public static func text(_ report: DailyReport, _ insight: DailyInsight) -> String {
        report.text + "\n\n" + insight.text
    }

    /// `{"report": …, "insight": …}`.
    public static func json(_ report: DailyReport, _ insight: DailyInsight) -> JSONValue {
        .object(["kind": .string("daily"), "report": report.json, "insight": insight.json])
    }

    /// Reads `[from, to)` from the store, builds the report, writes its insight (AI when `useAI` and a key is
    /// configured, else the heuristic one) and stores both as one report of kind `daily`.
    public static func generate(store: any Store, client: AIClient, from: Int64, to: Int64, now: Int64, useAI: Bool) async throws -> GeneratedDailyReport {
        let report = try await DailyReport.gather(store: store, from: from, to: to, now: now)
        let insight = await DailyInsightWriter(client: client).insight(for: report, useAI: useAI)
        let stored = try await store.saveReport(StoredReport(kind: "daily", from: from, to: to, createdAt: now, text: text(report, insight),
                                                             json: json(report, insight).jsonText))
        return GeneratedDailyReport(report: report, insight: insight, stored: stored)
    }
}

import Testing
@testable import VigilCore
import VigilWire

/// Rules of thumb: the cause, the evidence and the runbook for the alerts an on-call engineer sees most.
struct HeuristicDiagnoserTests {
    let now: Int64 = 1_800_000_000_000
    let catalog = builtInCatalog()

    func alert(_ rule: String, metric: String?, value: Double?, labels: [String: String] = [:], series: [String: String] = [:]) -> StoredAlert {
        var l = labels
        l["host"] = "web-1"
        return StoredAlert(fingerprint: "fp-\(rule)", rule: rule, severity: .warning, labels: l, annotations: [:], state: "firing", value: value,
                           activeSince: now - 60_000, firedAt: now - 60_000, lastEvaluated: now, metric: metric, seriesLabels: series)
    }

    @Test func aFillingDiskGetsDiskCleanupForItsMountWithTheGrowthAsEvidence() {
        let a = alert("DiskSpaceLow", metric: "disk.used_percent", value: 88, series: ["mount": "/srv"])
        let points = (0..<7).map { SeriesPoint(ts: now - Int64(6 - $0) * 600_000, value: 82 + Double($0)) }   // +6 points per hour
        let d = HeuristicDiagnoser().diagnoseNow(DiagnosisInput(alert: a, series: ["disk.used_percent": points], now: now), catalog: catalog)
        #expect(d.runbook == "disk_cleanup" && d.parameters["mount"] == "/srv")
        #expect(d.evidence.contains { $0.contains("/srv grows +6.00% per hour") }, "\(d.evidence)")
        #expect(d.evidence.contains { $0.hasPrefix("full in about") })
        #expect(d.confidence == 0.8)
    }

    @Test func zombiesAndAUnitDownGetTheirRunbooks() {
        let z = HeuristicDiagnoser().diagnoseNow(DiagnosisInput(alert: alert("ZombieProcesses", metric: "proc.zombies", value: 12), now: now), catalog: catalog)
        #expect(z.runbook == "zombie_killer")
        let down = alert("CheckDown", metric: nil, value: 3, labels: ["check_kind": "systemd", "unit": "nginx.service"])
        let s = HeuristicDiagnoser().diagnoseNow(DiagnosisInput(alert: down, now: now), catalog: catalog)
        #expect(s.runbook == "service_restart" && s.parameters["unit"] == "nginx.service")
    }

    @Test func aStaleHostSaysWhenItLastReportedAndProposesNothing() {
        let d = HeuristicDiagnoser().diagnoseNow(DiagnosisInput(alert: alert("HostStale", metric: nil, value: 1892), now: now), catalog: catalog)
        #expect(d.runbook == nil)
        #expect(d.evidence.first == "last report \(DurationText.short(ms: 1_892_000)) ago", "\(d.evidence)")
    }

    @Test func neverARunbookOutsideTheCatalogue() {
        let empty = RunbookCatalog(runbooks: [])
        let d = HeuristicDiagnoser().diagnoseNow(DiagnosisInput(alert: alert("ZombieProcesses", metric: "proc.zombies", value: 3), now: now), catalog: empty)
        #expect(d.runbook == nil)
    }
}

import Foundation
import VigilWire

/// Diagnosis without AI: rules of thumb an on-call engineer would apply first, from the alert's metric and
/// labels, the host's recent metrics and its recent error logs. Pure.
public struct HeuristicDiagnoser: Diagnoser {
    public init() {}

    public func diagnose(_ input: DiagnosisInput, catalog: RunbookCatalog) async -> Diagnosis {
        diagnoseNow(input, catalog: catalog)
    }

    public func diagnoseNow(_ input: DiagnosisInput, catalog: RunbookCatalog) -> Diagnosis {
        let a = input.alert
        let metric = a.metric ?? ""
        var d: Diagnosis
        if metric.hasPrefix("disk.used") || a.rule.hasPrefix("Disk") {
            d = disk(input)
        } else if metric.hasPrefix("mem.") || metric.hasPrefix("swap.") || a.rule.contains("Memory") {
            d = memory(input)
        } else if metric == "proc.zombies" || a.rule.contains("Zombie") {
            d = zombies(input)
        } else if metric.hasPrefix("tcp.close_wait") || metric.hasPrefix("tcp.time_wait") || a.labels["port"] != nil && a.rule.lowercased().contains("conn") {
            d = sockets(input)
        } else if a.labels["check_kind"] == "systemd" || (a.rule == "CheckDown" && a.labels["unit"] != nil) {
            d = serviceDown(input)
        } else if a.rule == "HostStale" {
            d = Diagnosis(cause: "\(host(a)) stopped reporting: the host is down, its network is cut, or vigil-agent stopped",
                          evidence: [a.value.map { "last report \(DurationText.short(ms: Int64($0 * 1000))) ago" } ?? "stale since \(ago(a.activeSince, input.now))"],
                          runbook: nil, confidence: 0.6)
        } else if metric.hasPrefix("cpu.") || metric.hasPrefix("load.") {
            d = cpu(input)
        } else {
            d = Diagnosis(cause: "\(a.rule) on \(host(a)): no rule of thumb fits this alert", evidence: evidenceOfValue(a), runbook: nil, confidence: 0.2)
        }
        if !input.logs.isEmpty {
            let top = Self.topMessages(input.logs, limit: 2)
            d.evidence += top.map { "log ×\($0.count): \($0.text)" }
        }
        // Never name a runbook the catalogue does not have; fall back to the catalogue's own match.
        if let name = d.runbook, catalog.runbook(named: name) == nil { d.runbook = nil; d.parameters = [:] }
        if d.runbook == nil, let fit = catalog.matching(alertName: a.rule, labels: a.labels).first {
            d.runbook = fit.name
            d.confidence = min(d.confidence, 0.4)
            d.evidence.append("\(fit.name) lists \(a.rule) among the alerts it fits")
        }
        return d
    }

    // MARK: Rules of thumb

    private func disk(_ input: DiagnosisInput) -> Diagnosis {
        let a = input.alert
        let mount = a.labels["mount"] ?? a.seriesLabels["mount"] ?? "/"
        var evidence = evidenceOfValue(a)
        var confidence = 0.6
        if let pts = input.series["disk.used_percent"], let growth = Self.slopePerHour(pts) {
            evidence.append(String(format: "%@ grows %+.2f%% per hour", mount, growth))
            if growth > 0, let now = pts.last?.value {
                let hours = (100 - now) / growth
                evidence.append(hours < 48 ? String(format: "full in about %.1f h at this rate", hours) : "far from full at this rate")
                confidence = 0.8
            }
        }
        let logHeavy = mount.hasPrefix("/var/log") || mount == "/var"
        if logHeavy {
            return Diagnosis(cause: "logs are filling \(mount)", evidence: evidence, runbook: "log_rotation", parameters: [:], confidence: confidence)
        }
        return Diagnosis(cause: "\(mount) is filling up; old temporary files, caches and journals are the usual cause",
                         evidence: evidence, runbook: "disk_cleanup", parameters: ["mount": mount], confidence: confidence)
    }

    private func memory(_ input: DiagnosisInput) -> Diagnosis {
        var evidence = evidenceOfValue(input.alert)
        if let swap = input.latest("swap.used_percent") { evidence.append(String(format: "swap %.0f%% used", swap)) }
        if let pts = input.series["mem.used_percent"], let growth = Self.slopePerHour(pts) {
            evidence.append(String(format: "memory use %+.1f%% per hour", growth))
            if growth > 2 {
                return Diagnosis(cause: "memory use keeps climbing: probably a leaking process", evidence: evidence, runbook: "memory_pressure",
                                 confidence: 0.7)
            }
        }
        return Diagnosis(cause: "memory pressure: a process hog or page cache", evidence: evidence, runbook: "memory_pressure", confidence: 0.6)
    }

    private func zombies(_ input: DiagnosisInput) -> Diagnosis {
        var evidence = evidenceOfValue(input.alert)
        if let pts = input.series["proc.zombies"], pts.count >= 2, let first = pts.first?.value, let last = pts.last?.value, last > first {
            evidence.append(String(format: "zombies rose from %.0f to %.0f", first, last))
        }
        return Diagnosis(cause: "a parent process is not reaping its children", evidence: evidence, runbook: "zombie_killer", confidence: 0.8)
    }

    private func sockets(_ input: DiagnosisInput) -> Diagnosis {
        let a = input.alert
        var evidence = evidenceOfValue(a)
        if let cw = input.latest("tcp.close_wait") { evidence.append(String(format: "%.0f sockets in CLOSE_WAIT", cw)) }
        guard let port = a.labels["port"] else {
            return Diagnosis(cause: "sockets pile up in CLOSE_WAIT: an application is not closing connections its peers closed",
                             evidence: evidence + ["no port label on the alert, so the socket owner is unknown"], runbook: nil, confidence: 0.5)
        }
        var params = ["port": port]
        if let unit = a.labels["unit"] { params["unit"] = unit }
        return Diagnosis(cause: "the service on port \(port) is not closing connections its peers closed", evidence: evidence,
                         runbook: "connection_reset", parameters: params, confidence: 0.7)
    }

    private func serviceDown(_ input: DiagnosisInput) -> Diagnosis {
        let a = input.alert
        let unit = a.labels["unit"] ?? a.labels["check"] ?? ""
        var evidence = evidenceOfValue(a)
        if let crash = input.logs.first(where: { $0.message.lowercased().contains("exited") || $0.message.lowercased().contains("failed") }) {
            evidence.append("log: \(crash.message.prefix(120))")
        }
        return Diagnosis(cause: "\(unit.isEmpty ? "a service" : unit) is down", evidence: evidence, runbook: unit.isEmpty ? nil : "service_restart",
                         parameters: unit.isEmpty ? [:] : ["unit": unit], confidence: unit.isEmpty ? 0.3 : 0.75)
    }

    private func cpu(_ input: DiagnosisInput) -> Diagnosis {
        var evidence = evidenceOfValue(input.alert)
        if let iowait = input.latest("cpu.iowait_percent"), iowait > 20 {
            evidence.append(String(format: "iowait %.0f%%: the CPUs wait on disks", iowait))
            return Diagnosis(cause: "disk I/O saturation shows as CPU load", evidence: evidence, runbook: nil, confidence: 0.5)
        }
        if let steal = input.latest("cpu.steal_percent"), steal > 10 {
            evidence.append(String(format: "steal %.0f%%: the hypervisor is oversubscribed", steal))
            return Diagnosis(cause: "noisy neighbours on the hypervisor", evidence: evidence, runbook: nil, confidence: 0.5)
        }
        return Diagnosis(cause: "CPU saturated by the workload; look at the top processes", evidence: evidence, runbook: nil, confidence: 0.4)
    }

    // MARK: Helpers

    private func host(_ a: StoredAlert) -> String { a.host ?? "the host" }

    private func evidenceOfValue(_ a: StoredAlert) -> [String] {
        guard let v = a.value else { return [] }
        return [String(format: "%@ = %.2f", a.metric ?? a.rule, v)]
    }

    private func ago(_ ts: Int64, _ now: Int64) -> String { "\(max(0, now - ts) / 1000)s ago" }

    /// Least-squares slope in units per hour, when there are at least 3 points over at least a minute.
    static func slopePerHour(_ points: [SeriesPoint]) -> Double? {
        guard points.count >= 3, let first = points.first?.ts, let last = points.last?.ts, last - first >= 60_000 else { return nil }
        let xs = points.map { Double($0.ts - first) / 3_600_000 }, ys = points.map(\.value)
        let n = Double(points.count), mx = xs.reduce(0, +) / n, my = ys.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for i in 0..<points.count { sxy += (xs[i] - mx) * (ys[i] - my); sxx += (xs[i] - mx) * (xs[i] - mx) }
        return sxx > 0 ? sxy / sxx : nil
    }

    /// The most frequent log messages (digits folded so "took 12ms" and "took 15ms" count together).
    static func topMessages(_ logs: [StoredLog], limit: Int) -> [(text: String, count: Int)] {
        var counts: [String: (String, Int)] = [:]
        for l in logs {
            let key = String(l.message.prefix(200).map { $0.isNumber ? "#" : $0 })
            counts[key, default: (String(l.message.prefix(120)), 0)].1 += 1
        }
        return counts.values.sorted { $0.1 > $1.1 }.prefix(limit).map { ($0.0, $0.1) }
    }
}

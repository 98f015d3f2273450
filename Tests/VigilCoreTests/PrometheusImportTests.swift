import Foundation
import Testing
@testable import VigilCore

/// Prometheus alerting rules as people write them (node_exporter alerts in the style of the node mixin and
/// awesome-prometheus-alerts), converted and validated as Vigil rules.
@Suite struct PrometheusImportTests {
    static let nodeRules = """
        groups:
        - name: node-exporter
          rules:
          - alert: HostHighCpuLoad
            expr: 100 - (avg by(instance) (rate(node_cpu_seconds_total{mode="idle"}[2m])) * 100) > 80
            for: 10m
            labels:
              severity: warning
            annotations:
              summary: Host high CPU load (instance {{ $labels.instance }})
              description: "CPU load is > 80%"
          - alert: HostOutOfMemory
            expr: node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes * 100 < 10
            for: 2m
            labels:
              severity: critical
          - alert: HostOutOfDiskSpace
            expr: (node_filesystem_avail_bytes{mountpoint="/",fstype!="tmpfs"} / node_filesystem_size_bytes{mountpoint="/"}) * 100 < 10
            for: 2m
            keep_firing_for: 5m
            labels:
              severity: critical
              team: storage
            annotations:
              runbook_url: https://runbooks.example.com/disk
              dashboard: https://grafana/d/abc
          - alert: HostHighLoad
            expr: node_load15{instance="web-1:9100"} > 4
            labels: {severity: warning}
          - alert: HostSmoothedLoad
            expr: avg_over_time(node_load1[10m]) >= 8
          - alert: TargetDown
            expr: up == 0
            for: 1m
            labels: {severity: critical}
          - alert: HostNetworkReceiveErrors
            expr: rate(node_network_receive_errs_total{device="eth0"}[2m]) / rate(node_network_receive_packets_total{device="eth0"}[2m]) > 0.01
          - alert: HostClockSkew
            expr: (node_timex_offset_seconds - node_timex_offset_seconds offset 5m) > 0.05
          - record: instance:node_cpus:count
            expr: count without (cpu, mode) (node_cpu_seconds_total{mode="idle"})
        """

    @Test func convertsTheSimpleShapesAndExplainsTheRest() throws {
        let r = try PrometheusRuleImporter.convert(yaml: Self.nodeRules, file: "node.rules.yml")
        #expect(r.converted == 6)
        #expect(r.skipped.map(\.name) == ["HostNetworkReceiveErrors", "HostClockSkew", "instance:node_cpus:count"])
        #expect(r.skipped[0].reason.contains("not a selector compared with a number"))
        #expect(r.skipped[2].reason.contains("recording rule"))
        // The output is a valid Vigil rule file with the expected rules.
        let file = try RuleFile.parse(yaml: r.yaml, path: "converted.yaml")
        let byName = Dictionary(uniqueKeysWithValues: file.rules.map { ($0.name, $0) })
        guard case .threshold(let cpu) = byName["HostHighCpuLoad"]?.kind else { Issue.record("cpu"); return }
        #expect(cpu.metric == "cpu.usage_percent" && cpu.aggregation == .avg && cpu.window == 120_000 && cpu.threshold == 80)
        #expect(byName["HostHighCpuLoad"]?.forDuration == 600_000 && byName["HostHighCpuLoad"]?.severity == .warning)
        #expect(byName["HostHighCpuLoad"]?.annotations.description == "CPU load is > 80%")
        guard case .threshold(let mem) = byName["HostOutOfMemory"]?.kind else { Issue.record("mem"); return }
        #expect(mem.metric == "mem.used_percent" && mem.op == .greater && mem.threshold == 90)
        #expect(byName["HostOutOfMemory"]?.severity == .critical)
        guard case .threshold(let disk) = byName["HostOutOfDiskSpace"]?.kind else { Issue.record("disk"); return }
        #expect(disk.metric == "disk.used_percent" && disk.threshold == 90)
        #expect(disk.matchers.map(\.description) == ["mount=/"])
        #expect(byName["HostOutOfDiskSpace"]?.keepFiringFor == 300_000)
        #expect(byName["HostOutOfDiskSpace"]?.labels == ["team": "storage"])
        #expect(byName["HostOutOfDiskSpace"]?.annotations.runbook == "https://runbooks.example.com/disk")
        guard case .threshold(let load) = byName["HostHighLoad"]?.kind else { Issue.record("load"); return }
        #expect(load.metric == "load.15" && load.matchers.map(\.description) == ["host=web-1"])
        guard case .threshold(let smooth) = byName["HostSmoothedLoad"]?.kind else { Issue.record("smooth"); return }
        #expect(smooth.metric == "load.1" && smooth.aggregation == .avg && smooth.window == 600_000 && smooth.op == .greaterOrEqual)
        guard case .hostStale = byName["TargetDown"]?.kind else { Issue.record("up"); return }
        #expect(r.notes.contains { $0.name == "HostOutOfDiskSpace" && $0.note.contains("annotation 'dashboard' dropped") })
    }

    @Test func aFileThatIsNotPrometheusRulesIsAClearError() {
        #expect(throws: ConfigError.self) { try PrometheusRuleImporter.convert(yaml: "scrape_configs: []\n", file: "prometheus.yml") }
    }
}

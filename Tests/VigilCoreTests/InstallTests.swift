import Foundation
import Testing
@testable import VigilCore

/// Vigil as a user gets it: installed with `deploy/install.sh` into a staging prefix, run from an empty directory
/// with an empty HOME, far from the source tree. Its default rules, runbooks and themes must come along.
@Suite(.serialized)
struct InstallTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// A user's environment with nothing configured: an empty HOME and XDG folders, no VIGIL_* overrides.
    static func bareEnvironment(_ dir: TempDir) -> [String: String] {
        let home = dir.file("home")
        try? FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        return ["HOME": home, "XDG_CONFIG_HOME": home + "/.config", "XDG_DATA_HOME": home + "/.local/share",
                "VIGIL_RULES": "", "VIGIL_RUNBOOKS": "", "VIGIL_THEMES": "", "VIGIL_DB": "", "VIGIL_THEME": ""]
    }

    /// Runs `deploy/install.sh` with the test build's binaries into `stage` (PREFIX=/usr).
    static func install(into stage: String) async throws -> (status: Int32, text: String) {
        try await run("/bin/bash", [repoRoot + "/deploy/install.sh"],
                      environment: ["DESTDIR": stage, "PREFIX": "/usr", "VIGIL_BIN_DIR": Binaries.directory.path])
    }

    /// `vigil` installed into `dir`'s staging prefix, and a bare environment to run it in.
    static func installed(in dir: TempDir) async throws -> (vigil: String, environment: [String: String]) {
        let stage = dir.file("stage")
        let result = try await install(into: stage)
        #expect(result.status == 0, "install.sh failed:\n\(result.text)")
        return (stage + "/usr/bin/vigil", bareEnvironment(dir))
    }

    /// Runs a program to its end.
    static func run(_ executable: String, _ args: [String], environment: [String: String] = [:], directory: String? = nil) async throws -> (status: Int32, text: String) {
        let child = try Child(executable, args, environment: environment, directory: directory)
        await child.finished()
        return (child.process.terminationStatus, child.text)
    }

    @Test func embeddedCopiesEqualTheRepositoryFiles() throws {
        var onDisk: [String: String] = [:]
        for folder in ["rules", "runbooks", "themes"] {
            let dir = Self.repoRoot + "/" + folder
            for name in try FileManager.default.contentsOfDirectory(atPath: dir) where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
                onDisk[folder + "/" + name] = try String(contentsOfFile: dir + "/" + name, encoding: .utf8)
            }
        }
        let embedded = Dictionary(uniqueKeysWithValues: EmbeddedDefaults.files.map { ($0.path, $0.text) })
        #expect(Set(embedded.keys) == Set(onDisk.keys), "the embedded files are not the repository's: rebuild")
        for (path, text) in onDisk {
            #expect(embedded[path] == text, "embedded \(path) differs from the repository file")
        }
        #expect(EmbeddedDefaults.files(in: "runbooks").count == 6)
        #expect(EmbeddedDefaults.files(in: "rules").map(\.name) == ["default.yaml"])
    }

    @Test func exportWritesTheEmbeddedFilesAndKeepsEditedOnes() throws {
        let dir = TempDir()
        let out = dir.file("defaults")
        let first = try EmbeddedDefaults.export(to: out, overwrite: false)
        #expect(first.written.count == EmbeddedDefaults.files.count)
        #expect(try String(contentsOfFile: out + "/rules/default.yaml", encoding: .utf8) == EmbeddedDefaults.files(in: "rules")[0].text)
        try "edited".write(toFile: out + "/themes/mono.yaml", atomically: true, encoding: .utf8)
        let second = try EmbeddedDefaults.export(to: out, overwrite: false)
        #expect(second.written.isEmpty)
        #expect(try String(contentsOfFile: out + "/themes/mono.yaml", encoding: .utf8) == "edited")
    }

    @Test func installedBinaryOutsideTheTreeKeepsRulesRunbooksAndThemes() async throws {
        let dir = TempDir()
        let stage = dir.file("stage")
        let install = try await Self.install(into: stage)
        #expect(install.status == 0, "install.sh failed:\n\(install.text)")
        let vigil = stage + "/usr/bin/vigil"
        #expect(FileManager.default.isExecutableFile(atPath: vigil))
        #expect(FileManager.default.isExecutableFile(atPath: stage + "/usr/bin/vigil-agent"))
        let unit = try String(contentsOfFile: stage + "/etc/systemd/system/vigil.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/bin/vigil serve"), "the unit runs the installed binary:\n\(unit)")
        let agentConfig = try FileManager.default.attributesOfItem(atPath: stage + "/etc/vigil/agent.yaml")
        #expect((agentConfig[.posixPermissions] as? Int) == 0o640)
        #expect((try FileManager.default.attributesOfItem(atPath: stage + "/etc/vigil/agent.env")[.posixPermissions] as? Int) == 0o600)
        // Installing again keeps the operator's edits.
        try "url: http://edited:9470\n".write(toFile: stage + "/etc/vigil/agent.yaml", atomically: true, encoding: .utf8)
        let again = try await Self.install(into: stage)
        #expect(again.status == 0 && again.text.contains("kept"), "\(again.text)")
        #expect(try String(contentsOfFile: stage + "/etc/vigil/agent.yaml", encoding: .utf8).contains("edited"))

        // Run it as a new user would: an empty working directory and HOME, nothing configured.
        let env = Self.bareEnvironment(dir)
        let empty = dir.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)

        let runbooks = try await Self.run(vigil, ["runbook", "list"], environment: env, directory: empty)
        #expect(runbooks.status == 0, "\(runbooks.text)")
        let rows = runbooks.text.split(separator: "\n").dropFirst().filter { $0.contains("embedded") }
        #expect(rows.count == 6, "six built-in runbooks, each from the binary:\n\(runbooks.text)")

        let db = dir.file("vigil.db")
        let hostile = try await Self.run(vigil, ["runbook", "dry-run", "service_restart", "--db", db, "--host", "web-1",
                                           "--param", "unit=nginx; rm -rf /"], environment: env, directory: empty)
        #expect(hostile.status != 0, "a shell-looking parameter must be refused:\n\(hostile.text)")
        #expect(hostile.text.contains("unit"), "the refusal names the parameter:\n\(hostile.text)")
        #expect(!hostile.text.contains("no runbook named"), "\(hostile.text)")

        let rules = try await Self.run(vigil, ["rules", "list"], environment: env, directory: empty)
        let expected = try RuleFile.parse(yaml: String(contentsOfFile: Self.repoRoot + "/rules/default.yaml", encoding: .utf8), path: "x").rules.count
        #expect(rules.text.contains("\(expected) rule(s) from the embedded defaults"), "\(rules.text)")

        let port = freePort()
        let serve = try Child(vigil, ["serve", "--db", db, "--listen", "127.0.0.1:\(port)"], environment: env, directory: empty)
        #expect(await eventually(20) { serve.text.contains("rules from") }, "\(serve.text)")
        #expect(serve.text.contains("\(expected) rules from 1 file (the embedded defaults)"), "\(serve.text)")
        // The one warning: nothing is configured to send notifications.
        let warnings = serve.text.split(separator: "\n").filter { $0.contains("warning") }
        #expect(warnings.count == 1 && warnings[0].contains("notifications: no notify.yaml"), "\(serve.text)")
        await serve.stopped()

        // An empty rule directory named on purpose means no rules, and says so.
        let noRules = dir.file("no-rules")
        try FileManager.default.createDirectory(atPath: noRules, withIntermediateDirectories: true)
        let port2 = freePort()
        let bare = try Child(vigil, ["serve", "--db", dir.file("bare.db"), "--listen", "127.0.0.1:\(port2)", "--rules", noRules,
                                     "--rules", dir.file("missing")], environment: env, directory: empty)
        #expect(await eventually(20) { bare.text.contains("rules from") }, "\(bare.text)")
        #expect(bare.text.contains("warning") && bare.text.contains("no alert rules in force"), "\(bare.text)")
        #expect(bare.text.contains("rule directory \(dir.file("missing")) does not exist"), "\(bare.text)")
        await bare.stopped()
    }

    /// `vigil logs search` as a user runs it: the installed binary over a demo store, a query with every kind of
    /// term, a term that starts with '-' after `--`, and a mistake shown under the query with a caret.
    @Test func installedBinarySearchesLogsByQuery() async throws {
        let dir = TempDir()
        let (vigil, env) = try await Self.installed(in: dir)
        let db = dir.file("demo.db")
        // Eight hosts: the demo's web-3 (its upstream timing out) is among them.
        let demo = try await Self.run(vigil, ["demo", "--db", db, "--hosts", "8", "--days", "1"], environment: env, directory: dir.path)
        #expect(demo.status == 0, "\(demo.text)")
        let found = try await Self.run(vigil, ["logs", "search", "--db", db, "--limit", "3",
                                               #"host:web-* level>=error "timed out" /\d{3}/ since:1d"#], environment: env)
        #expect(found.status == 0, "\(found.text)")
        let rows = found.text.split(separator: "\n")
        #expect(rows.first?.hasPrefix("TIME") == true && rows.count == 4, "\(found.text)")
        #expect(rows.dropFirst().allSatisfy { $0.contains(" web-") && $0.contains("error") && $0.lowercased().contains("timed out") }, "\(found.text)")
        let negated = try await Self.run(vigil, ["logs", "search", "--db", db, "--json", "--limit", "50", "--", "-level:info", "-level:debug", "since:1h"], environment: env)
        let levels = negated.text.split(separator: "\n").compactMap { line -> String? in
            guard let data = line.data(using: .utf8), let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            return o["level"] as? String
        }
        #expect(!levels.isEmpty && !levels.contains("info") && !levels.contains("debug"), "\(negated.text)")
        let wrong = try await Self.run(vigil, ["logs", "search", "--db", db, "level>=eror"], environment: env)
        #expect(wrong.status != 0)
        #expect(wrong.text.contains("  level>=eror\n         ^ at character 8: 'eror' is not a level"), "\(wrong.text)")
    }

    /// `vigil report weekly` as a user runs it: Markdown to a file, stored, listed; a bad format is refused.
    @Test func installedBinaryWritesTheWeeklyReport() async throws {
        let dir = TempDir()
        let (vigil, env) = try await Self.installed(in: dir)
        // A store with nothing in it yet: the report still has every section, with zeros.
        let db = dir.file("empty.db")
        let out = dir.file("week.md")
        let weekly = try await Self.run(vigil, ["report", "weekly", "--db", db, "--no-ai", "--format", "md", "--out", out], environment: env)
        #expect(weekly.status == 0 && weekly.text.contains("stored as report"), "\(weekly.text)")
        let md = try String(contentsOfFile: out, encoding: .utf8)
        #expect(md.hasPrefix("# Vigil weekly report") && md.contains("| alerts fired |") && md.contains("## Insight"), "\(md)")
        let list = try await Self.run(vigil, ["report", "list", "--db", db], environment: env)
        #expect(list.text.contains("weekly"), "\(list.text)")
        let bad = try await Self.run(vigil, ["report", "weekly", "--db", db, "--format", "pdf"], environment: env)
        #expect(bad.status != 0 && bad.text.contains("--format 'pdf' is not one of text, md, html"), "\(bad.text)")
    }

    /// `vigil sla` with services' objectives from a topology file, as a user runs it: services first, each over its own
    /// window (availability and latency), then checks; a mistake in the file is refused with its line.
    @Test func installedBinaryMeasuresServicesObjectives() async throws {
        let dir = TempDir()
        let (vigil, bare) = try await Self.installed(in: dir)
        let db = dir.file("demo.db")
        let demo = try await Self.run(vigil, ["demo", "--db", db, "--hosts", "8", "--days", "1"], environment: bare, directory: dir.path)
        #expect(demo.status == 0, "\(demo.text)")
        try """
        services:
          - name: web
            checks: [http-health]
            slo: {availability: 99.9, window: 7d, latency: {below: 200ms, objective: 99}}
          - name: queue
            checks: [queue-consumer]
            slo: {availability: 99.5}
        """.write(toFile: dir.file("topology.yaml"), atomically: true, encoding: .utf8)
        var env = bare
        env["VIGIL_TOPOLOGY"] = dir.file("topology.yaml")
        let sla = try await Self.run(vigil, ["sla", "--db", db], environment: env)
        #expect(sla.status == 0, "\(sla.text)")
        let lines = sla.text.split(separator: "\n").map(String.init)
        #expect(lines.first == "services, each over its own objective and window", "\(sla.text)")
        #expect(lines.contains { $0.hasPrefix("web ") && $0.contains("availability") && $0.contains("99.9%") && $0.contains("7d") }, "\(sla.text)")
        #expect(lines.contains { $0.hasPrefix("web ") && $0.contains("latency") && $0.contains("99% <200ms") }, "\(sla.text)")
        #expect(lines.contains { $0.hasPrefix("queue ") && $0.contains("99.5%") && $0.contains("30d") }, "\(sla.text)")
        #expect(lines.contains { $0.hasPrefix("checks: objective 99.9% over 30d") }, "\(sla.text)")
        let json = try await Self.run(vigil, ["sla", "--db", db, "--json"], environment: env)
        let first = json.text.split(separator: "\n").first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(first?["service"] != nil && first?["budget_remaining"] != nil, "\(json.text)")
        let none = try await Self.run(vigil, ["sla", "--db", db, "--violations"], environment: env)
        #expect(none.status == 0 && none.text.contains("no violations recorded"), "\(none.text)")
        try "services:\n  - name: web\n    checks: [a]\n    slo: {availability: 100}\n".write(toFile: dir.file("topology.yaml"), atomically: true, encoding: .utf8)
        let bad = try await Self.run(vigil, ["sla", "--db", db], environment: env)
        #expect(bad.status != 0 && bad.text.contains("topology.yaml:4:") && bad.text.contains("out of range"), "\(bad.text)")
    }
}

import Testing
import VigilWire
@testable import VigilAgentCore

@Suite struct AgentConfigTests {
    @Test func fullFile() throws {
        let yaml = """
            # Vigil agent
            url: https://vigil.example.com:9470/
            token: "abc123"
            host: web-1
            labels:
              env: prod
              role: "web"
            interval: 30s
            state_dir: /var/lib/vigil-agent
            spool:
              max_bytes: 16MiB
            logs:
              - path: /var/log/nginx/error.log
              - path: /var/log/app.log
                from_start: true
              - /var/log/syslog
            checks:
              - name: api
                kind: http
                target: http://127.0.0.1:8080/health
                timeout: 2s
                expect_status: 204
              - name: db
                kind: tcp
                target: "[::1]:5432"
                interval: 1m
              - name: nginx
                kind: systemd
                target: nginx.service
            systemctl_path: /bin/systemctl
            remediation: false
            max_line_bytes: 4096
            """
        let c = try AgentConfig.parse(yaml, file: "agent.yaml")
        #expect(c.url == "https://vigil.example.com:9470/")
        #expect(c.ingestURL == "https://vigil.example.com:9470/api/v1/ingest")
        #expect(c.token == "abc123")
        #expect(c.host == "web-1")
        #expect(c.labels == ["env": "prod", "role": "web"])
        #expect(c.intervalMs == 30_000)
        #expect(c.spoolMaxBytes == 16 * 1024 * 1024)
        #expect(c.logs == [LogFileConfig(path: "/var/log/nginx/error.log"), LogFileConfig(path: "/var/log/app.log", fromStart: true),
                           LogFileConfig(path: "/var/log/syslog")])
        #expect(c.checks == [
            CheckConfig(name: "api", kind: .http, target: "http://127.0.0.1:8080/health", timeoutMs: 2000, expectStatus: 204),
            CheckConfig(name: "db", kind: .tcp, target: "[::1]:5432", timeoutMs: 5000, intervalMs: 60_000),
            CheckConfig(name: "nginx", kind: .systemd, target: "nginx.service"),
        ])
        #expect(c.systemctlPath == "/bin/systemctl")
        #expect(c.remediation == false)
        #expect(c.maxLineBytes == 4096)
    }

    @Test func emptyFileGivesDefaults() throws {
        #expect(try AgentConfig.parse("", file: "a.yaml") == AgentConfig())
        #expect(try AgentConfig.parse("# only a comment\n", file: "a.yaml") == AgentConfig())
        let d = AgentConfig()
        #expect(d.url == "http://127.0.0.1:9470")
        #expect(d.intervalMs == 10_000)
        #expect(d.stateDirectory == "/var/lib/vigil-agent")
        #expect(d.spoolMaxBytes == 64 * 1024 * 1024)
        #expect(d.remediation)
        #expect(d.connectionsIntervalMs == 60_000, "connections are reported once a minute unless turned off")
        #expect(try AgentConfig.parse("connections: off\n", file: "a.yaml").connectionsIntervalMs == nil)
        #expect(try AgentConfig.parse("connections: 15s\n", file: "a.yaml").connectionsIntervalMs == 15_000)
    }

    @Test(arguments: [
        ("interval: ten\n", "agent.yaml:1:11: interval must be a duration like 10s or 1m"),
        ("interval: 0s\n", "agent.yaml:1:11: interval must be a duration like 10s or 1m"),
        ("interval: 500ms\n", "agent.yaml:1:11: interval must be at least 1s"),
        ("url: http://x\n\n\ninterval: fast\n", "agent.yaml:4:11: interval must be a duration like 10s or 1m"),
        ("labels: [a, b]\n", "agent.yaml:1:9: labels must be a mapping of key: value"),
        ("labels:\n  bad-name: x\n", "agent.yaml:2:3: label name 'bad-name' must match [A-Za-z_][A-Za-z0-9_]*"),
        ("intervall: 10s\n", "agent.yaml:1:1: unknown key 'intervall' in the configuration (expected one of: url, token, host, labels, interval, state_dir, spool, logs, checks, databases, systemctl_path, remediation, max_line_bytes, tls, connections)"),
        ("tls:\n  ca_file: relative.pem\n", "agent.yaml:2:12: tls.ca_file must be an absolute path"),
        ("tls:\n  cert_file: /a.pem\n", "agent.yaml:2:3: tls.cert_file and tls.key_file go together (mutual TLS)"),
        ("remediation: maybe\n", "agent.yaml:1:14: remediation must be true or false"),
        ("connections: 500ms\n", "agent.yaml:1:14: connections must be off or an interval of at least 1s"),
        ("url: ftp://x\n", "agent.yaml:1:6: url must start with http:// or https://"),
        ("host: \"web 1\"\n", "agent.yaml:1:7: host must be 1–253 characters of A-Z a-z 0-9 . _ -"),
        ("spool:\n  max_bytes: lots\n", "agent.yaml:2:14: spool.max_bytes must be a size like 67108864, 512KiB or 64MiB"),
        ("logs:\n  - path: relative.log\n", "agent.yaml:2:5: log path must be absolute (got relative.log)"),
        ("checks:\n  - name: x\n    kind: ping\n    target: h\n", "agent.yaml:3:11: kind must be one of http, tcp, systemd"),
        ("checks:\n  - name: x\n    kind: tcp\n    target: nohost\n", "agent.yaml:4:13: target of tcp check 'x' must be host:port (e.g. 127.0.0.1:5432 or [::1]:22)"),
        ("checks:\n  - name: x\n    kind: systemd\n    target: \"nginx; rm -rf /\"\n", "agent.yaml:4:13: target of systemd check 'x' must be a unit name matching [A-Za-z0-9@._:-]+"),
        ("checks:\n  - name: x\n    kind: tcp\n", "agent.yaml:2:5: check 'x' needs a target"),
        ("max_line_bytes: 10\n", "agent.yaml:1:17: max_line_bytes must be between 256 and 16000"),
        ("token: a\ntoken: b\n", "agent.yaml:2:1: duplicate key 'token' (first at line 1)"),
        ("url: [unclosed\n", "agent.yaml:2:1: while parsing a flow sequence: did not find expected ',' or ']'"),
    ])
    func errorsNameFileLineColumnAndExpectation(_ yaml: String, _ message: String) {
        #expect(throws: AgentError(message)) { try AgentConfig.parse(yaml, file: "agent.yaml") }
    }

    @Test func missingFiles() throws {
        #expect(try AgentConfig.load(path: "/nonexistent/agent.yaml", explicit: false) == AgentConfig())
        #expect(throws: AgentError("/nonexistent/agent.yaml: cannot read the configuration file")) {
            try AgentConfig.load(path: "/nonexistent/agent.yaml", explicit: true)
        }
        let dir = TempDir()
        dir.write("agent.yaml", "interval: 1m\n")
        #expect(try AgentConfig.load(path: dir.file("agent.yaml"), explicit: true).intervalMs == 60_000)
    }

    @Test func environmentWinsOverFileAndFlagsWinOverEnvironment() throws {
        var c = try AgentConfig.parse("url: http://file:1\ntoken: filetoken\n", file: "a.yaml")
        c.applyEnvironment(["VIGIL_URL": "http://env:2", "VIGIL_TOKEN": "envtoken", "OTHER": "x"])
        #expect(c.url == "http://env:2")
        #expect(c.token == "envtoken")
        let o = try AgentOptions.parse(["--url", "http://flag:3", "--no-remediation", "--interval=1m"])
        o.apply(to: &c)
        #expect(c.url == "http://flag:3")
        #expect(c.token == "envtoken")
        #expect(c.remediation == false)
        #expect(c.intervalMs == 60_000)
    }

    @Test func durationsAndSizes() {
        // Durations come from VigilWire's DurationText (shared with the console); a bare number is seconds.
        #expect(DurationText.milliseconds("1m30s") == 90_000)
        #expect(DurationText.milliseconds("10") == 10_000)
        #expect(ByteSizeText.bytes("64MiB") == 64 * 1024 * 1024)
        #expect(ByteSizeText.bytes("512KiB") == 512 * 1024)
        #expect(ByteSizeText.bytes("10MB") == 10_000_000)
        #expect(ByteSizeText.bytes("1048576") == 1_048_576)
        #expect(ByteSizeText.bytes("1 G") == 1 << 30)
        #expect(ByteSizeText.bytes("big") == nil)
        #expect(ByteSizeText.bytes("0") == nil)
    }

    @Test func yamlTreeKeepsPositionsAndQuotedScalars() throws {
        let root = try #require(try YAMLNode.parse("a:\n  - 1\n  - \"2\"\n", file: "t.yaml"))
        guard case .mapping(let pairs) = root.value, case .sequence(let items) = pairs[0].value.value else {
            Issue.record("unexpected tree \(root)")
            return
        }
        #expect(items == [YAMLNode(.scalar("1", plain: true), line: 2, column: 5), YAMLNode(.scalar("2", plain: false), line: 3, column: 5)])
        #expect(throws: AgentError("t.yaml:2:4: YAML aliases (*name) are not supported here")) {
            try YAMLNode.parse("a: &x 1\nb: *x\n", file: "t.yaml")
        }
    }

    @Test func options() throws {
        let o = try AgentOptions.parse(["--config", "/etc/x.yaml", "--token=t", "--host", "h", "--state-dir", "/s", "--once"])
        #expect(o.configPath == "/etc/x.yaml")
        #expect(o.token == "t")
        #expect(o.host == "h")
        #expect(o.stateDirectory == "/s")
        #expect(o.once)
        #expect(try AgentOptions.parse(["--print"]).printOnly)
        #expect(try AgentOptions.parse(["--version"]).showVersion)
        #expect(try AgentOptions.parse(["-h"]).showHelp)
        #expect(throws: AgentError("unknown option --bogus (see --help)")) { try AgentOptions.parse(["--bogus"]) }
        #expect(throws: AgentError("--url needs a value (see --help)")) { try AgentOptions.parse(["--url"]) }
        #expect(throws: AgentError("--interval must be a duration like 10s or 1m (got 10x)")) { try AgentOptions.parse(["--interval", "10x"]) }
        #expect(throws: AgentError("--once and --print cannot be combined")) { try AgentOptions.parse(["--once", "--print"]) }
    }

    @Test func configValidation() {
        var c = AgentConfig()
        c.host = "bad host"
        #expect(throws: AgentError("host must be 1–253 characters of A-Z a-z 0-9 . _ - (got bad host)")) { try c.validate() }
        #expect(AgentConfig.sanitizedHost("my host!") == "my-host-")
    }
}

@Suite struct DeployFilesTests {
    private var repoRoot: String {
        var p = "\(#filePath)"
        for _ in 0..<3 { p = String(p[..<p.lastIndex(of: "/")!]) }
        return p
    }

    @Test func exampleConfigParses() throws {
        let c = try AgentConfig.load(path: repoRoot + "/deploy/agent.example.yaml", explicit: true)
        #expect(c.url == "http://127.0.0.1:9470")
        #expect(c.labels == ["env": "prod", "role": "web"])
        #expect(c.logs.map(\.path) == ["/var/log/syslog", "/var/log/nginx/error.log"])
        #expect(c.checks.map(\.kind) == [.http, .tcp, .systemd])
        #expect(c.spoolMaxBytes == 64 * 1024 * 1024)
    }
}

import Testing
@testable import VigilWire

@Suite struct IngestDecoderTests {
    let now: Int64 = 1_764_400_000_000
    let decoder = IngestDecoder()

    func decode(_ json: String) throws(WireError) -> IngestBatch {
        try decoder.decode(Array(json.utf8), nowMs: now)
    }

    func error(_ json: String) -> WireError? {
        do {
            _ = try decode(json)
            return nil
        } catch {
            return error
        }
    }

    @Test func decodesAFullBatch() throws {
        let b = try decode("""
            {"host":"web-1","agent":{"version":"0.1.0","os":"Debian 12","kernel":"6.1","arch":"x86_64","cpus":4,"memory":16777216},
             "labels":{"role":"web","env":"prod"},
             "samples":[{"name":"cpu.usage_percent","value":12.5,"ts":1764399990000},
                        {"name":"disk.used_percent","value":81,"ts":1764399990000,"labels":{"mount":"/var"}}],
             "logs":[{"ts":1764399990001,"source":"/var/log/syslog","level":"ERROR","message":"disk \\"full\\"\\n\\u00e9\\ud83d\\ude00"}],
             "checks":[{"name":"health","kind":"http","target":"http://x/healthz","ok":false,"latency_ms":12.25,"detail":"HTTP 503"}],
             "future_field":{"nested":[1,2,{"a":null}]}}
            """)
        #expect(b.host == "web-1")
        #expect(b.agent == AgentInfo(version: "0.1.0", os: "Debian 12", kernel: "6.1", arch: "x86_64", cpus: 4, memory: 16_777_216))
        #expect(b.labels == ["role": "web", "env": "prod"])
        #expect(b.samples.count == 2)
        #expect(b.samples[1] == Sample(name: "disk.used_percent", value: 81, ts: 1_764_399_990_000, labels: ["mount": "/var"]))
        #expect(b.logs[0].level == .error)
        #expect(b.logs[0].message == "disk \"full\"\né😀")
        #expect(b.checks[0] == CheckResult(name: "health", kind: .http, target: "http://x/healthz", ok: false, latencyMs: 12.25, detail: "HTTP 503"))
    }

    /// Keys and names are matched by their bytes when plainly spelled; escaped spellings mean the same, and a
    /// name seen earlier in the body is not a pass for different bytes that hash alike or are invalid.
    @Test func samplesReadTheSameWhateverTheSpellingAndRepeats() throws {
        let names = (0..<200).map { "metric_\($0 % 70).some_long_name_\($0 % 70)" }
        let plain = names.enumerated().map { "{\"name\":\"\($1)\",\"value\":\($0),\"ts\":1764399990000}" }.joined(separator: ",")
        let b = try decode("{\"host\":\"h\",\"samples\":[\(plain)]}")
        #expect(b.samples.map(\.name) == names)
        #expect(b.samples.map(\.value) == (0..<200).map(Double.init))
        // Escaped keys and an escaped name, between plain ones.
        let mixed = try decode(#"""
            {"host":"h","samples":[{"name":"cpu.usage_percent","value":1,"ts":1764399990000},
              {"n\u0061me":"cpu\u002eusage_percent","v\u0061lue":2,"t\u0073":1764399990000,"l\u0061bels":{"k":"v"}},
              {"ts":1764399990000,"value":3,"name":"cpu.usage_percent","extra":[1]}]}
            """#)
        #expect(mixed.samples == [Sample(name: "cpu.usage_percent", value: 1, ts: 1_764_399_990_000),
                                  Sample(name: "cpu.usage_percent", value: 2, ts: 1_764_399_990_000, labels: ["k": "v"]),
                                  Sample(name: "cpu.usage_percent", value: 3, ts: 1_764_399_990_000)])
        // A bad name after 64 good ones (every slot of the cache taken) is still refused, naming its sample.
        let good = (0..<64).map { "{\"name\":\"m\($0)\",\"value\":1,\"ts\":1764399990000}" }.joined(separator: ",")
        #expect(error("{\"host\":\"h\",\"samples\":[\(good),{\"name\":\"m-1\",\"value\":1,\"ts\":1764399990000}]}")?.field == "samples[64].name")
        #expect(error("{\"host\":\"h\",\"samples\":[\(good),{\"name\":\"m1\",\"value\":1,\"ts\":1764399990000},{\"name\":\"1m\",\"value\":1,\"ts\":1764399990000}]}")?.field == "samples[65].name")
    }

    @Test func roundTripsThroughTheWriter() throws {
        let original = IngestBatch(host: "db-1.example.com", agent: AgentInfo(version: "1", os: "x", kernel: "k", arch: "a", cpus: 2, memory: 3),
                                   labels: ["a": "b\"c"], samples: [Sample(name: "x.y", value: -0.000123, ts: now - 5, labels: ["k": "v\n"]),
                                                                   Sample(name: "big", value: 1.5e300, ts: now)],
                                   logs: [LogEntry(ts: now, source: "s", level: .warning, message: "tab\there \u{1} ctl")],
                                   checks: [CheckResult(name: "c", kind: .systemd, target: "nginx.service", ok: true, latencyMs: 3, detail: "active", ts: now)])
        let decoded = try decode(original.json())
        #expect(decoded == original)
    }

    @Test func numbersMatchTheStandardLibraryParser() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let v = Double.random(in: -1e6...1e6, using: &rng)
            let texts = [v.description, String(Int64(v)), "\(Int64(v)).\(UInt8.random(in: 0...99, using: &rng))", "1.5e-7", "123456789012345678901234", "0.1", "2.5E+10"]
            for t in texts {
                let b = try decode("{\"host\":\"h\",\"samples\":[{\"name\":\"m\",\"value\":\(t),\"ts\":\(now)}]}")
                #expect(b.samples[0].value == Double(t)!, "\(t)")
            }
        }
    }

    @Test(arguments: [
        ("", "malformed_json", nil as String?),
        ("[]", "malformed_json", nil),
        ("{\"host\":\"h\",}", "malformed_json", nil),
        ("{\"host\":\"h\"} trailing", "malformed_json", nil),
        ("{\"samples\":[]}", "invalid_field", "host"),
        ("{\"host\":\"bad host!\"}", "invalid_field", "host"),
        ("{\"host\":7}", "invalid_field", "host"),
        ("{\"host\":\"h\",\"samples\":{}}", "invalid_field", "samples"),
        ("{\"host\":\"h\",\"samples\":[{\"name\":\"m\",\"value\":1,\"ts\":1764399990000},{\"name\":\"m\",\"value\":\"1\",\"ts\":1764399990000}]}", "invalid_field", "samples[1].value"),
        ("{\"host\":\"h\",\"samples\":[{\"name\":\"m\",\"value\":NaN,\"ts\":1764399990000}]}", "invalid_field", "samples[0].value"),
        ("{\"host\":\"h\",\"samples\":[{\"name\":\"m\",\"value\":1e999,\"ts\":1764399990000}]}", "invalid_field", "samples[0].value"),
        ("{\"host\":\"h\",\"samples\":[{\"name\":\"m\",\"value\":-Infinity,\"ts\":1764399990000}]}", "invalid_field", "samples[0].value"),
        ("{\"host\":\"h\",\"samples\":[{\"name\":\"m\",\"ts\":1764399990000}]}", "invalid_field", "samples[0].value"),
        ("{\"host\":\"h\",\"samples\":[{\"name\":\"m\",\"value\":1,\"ts\":1764400900000}]}", "invalid_field", "samples[0].ts"),
        ("{\"host\":\"h\",\"samples\":[{\"name\":\"m\",\"value\":1,\"ts\":1764399990}]}", "invalid_field", "samples[0].ts"),
        ("{\"host\":\"h\",\"samples\":[{\"name\":\"m\",\"value\":1,\"ts\":1764399990000.5}]}", "invalid_field", "samples[0].ts"),
        ("{\"host\":\"h\",\"samples\":[{\"name\":\"9bad\",\"value\":1,\"ts\":1764399990000}]}", "invalid_field", "samples[0].name"),
        ("{\"host\":\"h\",\"samples\":[{\"name\":\"m\",\"value\":1,\"ts\":1764399990000,\"labels\":{\"bad-key\":\"v\"}}]}", "invalid_field", "samples[0].labels.bad-key"),
        ("{\"host\":\"h\",\"samples\":[{\"name\":\"m\",\"value\":1,\"ts\":1764399990000,\"labels\":{\"k\":1}}]}", "invalid_field", "samples[0].labels.k"),
        ("{\"host\":\"h\",\"samples\":[{\"name\":\"m\",\"value\":01,\"ts\":1764399990000}]}", "malformed_json", "samples[0].value"),
        ("{\"host\":\"h\",\"logs\":[{\"ts\":1764399990000,\"level\":\"loud\",\"message\":\"x\"}]}", "invalid_field", "logs[0].level"),
        ("{\"host\":\"h\",\"logs\":[{\"ts\":1764399990000}]}", "invalid_field", "logs[0].message"),
        ("{\"host\":\"h\",\"checks\":[{\"name\":\"c\",\"kind\":\"ping\",\"ok\":true}]}", "invalid_field", "checks[0].kind"),
        ("{\"host\":\"h\",\"checks\":[{\"name\":\"c\",\"kind\":\"tcp\",\"ok\":\"yes\"}]}", "invalid_field", "checks[0].ok"),
        ("{\"host\":\"h\",\"checks\":[{\"name\":\"c\",\"kind\":\"tcp\"}]}", "invalid_field", "checks[0].ok"),
        ("{\"host\":\"h\",\"logs\":[{\"ts\":1764399990000,\"message\":\"a\u{01}b\"}]}", "malformed_json", "logs[0].message"),
        // Issue 15.10: a NUL would be stored cut short; refused, naming the field.
        ("{\"host\":\"h\",\"logs\":[{\"ts\":1764399990000,\"message\":\"visible part\\u0000 rm -rf hidden part\"}]}", "invalid_field", "logs[0].message"),
    ])
    func refusesBadInputNamingTheField(json: String, code: String, field: String?) {
        let e = error(json)
        #expect(e != nil, "accepted: \(json)")
        #expect(e?.status == 400)
        #expect(e?.code == code, "\(json) → \(String(describing: e))")
        #expect(e?.field == field, "\(json) → \(String(describing: e))")
        #expect(!(e?.message.isEmpty ?? true))
    }

    @Test func refusesOversizedNamesAndLabelValues() {
        let longName = String(repeating: "a", count: 201)
        #expect(error("{\"host\":\"h\",\"samples\":[{\"name\":\"\(longName)\",\"value\":1,\"ts\":\(now)}]}")?.field == "samples[0].name")
        let longValue = String(repeating: "v", count: 1025)
        #expect(error("{\"host\":\"h\",\"labels\":{\"k\":\"\(longValue)\"}}")?.field == "labels.k")
        let longHost = String(repeating: "h", count: 254)
        #expect(error("{\"host\":\"\(longHost)\"}")?.field == "host")
        var many = (0..<33).map { "\"k\($0)\":\"v\"" }.joined(separator: ",")
        #expect(error("{\"host\":\"h\",\"labels\":{\(many)}}")?.field == "labels")
        many = (0..<32).map { "\"k\($0)\":\"v\"" }.joined(separator: ",")
        #expect(error("{\"host\":\"h\",\"labels\":{\(many)}}") == nil)
    }

    @Test func errorBodyIsJSONWithTheField() throws {
        let e = try #require(error("{\"host\":\"h\",\"samples\":[{\"name\":\"m\",\"value\":null,\"ts\":1}]}"))
        let body = e.json()
        #expect(body.contains("\"field\":\"samples[0].value\""))
        #expect(body.hasPrefix("{\"error\":"))
    }
}

import Foundation
import Testing
@testable import VigilCore
import VigilWire

/// Certificates made with the openssl command for one test: a CA, a server certificate for 127.0.0.1 and
/// localhost, a client certificate, and a second CA nobody trusts.
struct TestPKI {
    let dir: TempDir
    var ca: String { dir.file("ca.pem") }
    var otherCA: String { dir.file("other-ca.pem") }
    var serverCert: String { dir.file("server.pem") }
    var serverKey: String { dir.file("server.key") }
    var clientCert: String { dir.file("client.pem") }
    var clientKey: String { dir.file("client.key") }

    static let openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }

    init() async throws {
        dir = TempDir()
        try await makeCA("ca", "Vigil Test CA")
        try await makeCA("other-ca", "Someone Else's CA")
        try await issue("server", cn: "vigil-test-server", ext: "subjectAltName=IP:127.0.0.1,DNS:localhost")
        try await issue("client", cn: "web-1", ext: "extendedKeyUsage=clientAuth")
    }

    func run(_ args: [String]) async throws {
        let r = try await InstallTests.run(Self.openssl!, args)
        guard r.status == 0 else { throw StoreError("openssl \(args.joined(separator: " ")) failed: \(r.text)") }
    }

    func makeCA(_ name: String, _ cn: String) async throws {
        try await run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                       "-subj", "/CN=\(cn)", "-keyout", dir.file("\(name).key"), "-out", dir.file("\(name).pem")])
    }

    /// A certificate for `name` signed by the test CA.
    func issue(_ name: String, cn: String, ext: String) async throws {
        try await run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=\(cn)",
                       "-keyout", dir.file("\(name).key"), "-out", dir.file("\(name).csr")])
        try ext.write(toFile: dir.file("\(name).ext"), atomically: true, encoding: .utf8)
        try await run(["x509", "-req", "-in", dir.file("\(name).csr"), "-CA", ca, "-CAkey", dir.file("ca.key"), "-CAcreateserial",
                       "-days", "2", "-extfile", dir.file("\(name).ext"), "-out", dir.file("\(name).pem")])
    }

    /// The subject the server at `port` presents now.
    func presentedSubject(port: Int) async throws -> String {
        let r = try await InstallTests.run("/bin/sh", ["-c", "\(Self.openssl!) s_client -connect 127.0.0.1:\(port) -CAfile \(ca) </dev/null 2>&1"])
        return r.text.split(separator: "\n").first { $0.hasPrefix("subject=") }.map(String.init) ?? r.text
    }
}

/// TLS on the listener and in the agent (issue 15): verified server, mutual TLS, reload on SIGHUP.
@Suite(.serialized, .enabled(if: TestPKI.openssl != nil, "openssl is not installed: the TLS tests are skipped (.ci/run installs it)"))
struct TLSTests {
    func agentConfig(_ dir: TempDir, port: Int, tls: String) throws -> String {
        let path = dir.file("agent-\(UUID().uuidString.prefix(6)).yaml")
        try """
            url: https://127.0.0.1:\(port)
            host: web-1
            state_dir: \(dir.file("state-\(UUID().uuidString.prefix(6))"))
            \(tls)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A store with an agent token for web-1 and `vigil serve` on it with `args`.
    func serve(_ args: [String], in dir: TempDir) async throws -> (serve: Child, store: SQLiteStore, token: String, port: Int) {
        let db = dir.file("v.db")
        let store = try SQLiteStore(path: db)
        let (_, token) = try await store.createAgentToken(host: "web-1", expiresAt: nil, comment: "", now: WallClock.nowMs(), actor: "t")
        let port = freePort()
        let serve = try Child(Binaries.path("vigil"), ["serve", "--db", db, "--listen", "127.0.0.1:\(port)"] + args)
        #expect(await eventually(20) { serve.text.contains("Server started") }, "\(serve.text)")
        return (serve, store, token, port)
    }

    @Test func agentsPushOverVerifiedTLSAndTheCertificateReloadsOnSIGHUP() async throws {
        let pki = try await TestPKI()
        let dir = TempDir()
        let (serve, store, token, port) = try await serve(["--tls-cert", pki.serverCert, "--tls-key", pki.serverKey], in: dir)
        defer { serve.stopInBackground() }
        #expect(serve.text.contains("https://127.0.0.1:\(port)"), "\(serve.text)")

        // The agent trusts the test CA: delivered.
        let good = try agentConfig(dir, port: port, tls: "tls:\n  ca_file: \(pki.ca)")
        let ok = try await InstallTests.run(Binaries.path("vigil-agent"), ["--once", "--config", good, "--no-remediation"],
                                            environment: ["VIGIL_TOKEN": token])
        #expect(ok.status == 0 && ok.text.contains("delivered"), "\(ok.text)")
        // An agent that trusts another CA refuses the server, and says why.
        let wrong = try agentConfig(dir, port: port, tls: "tls:\n  ca_file: \(pki.otherCA)")
        let refused = try await InstallTests.run(Binaries.path("vigil-agent"), ["--once", "--config", wrong, "--no-remediation"],
                                                 environment: ["VIGIL_TOKEN": token])
        #expect(!refused.text.contains("delivered"), "\(refused.text)")
        #expect(refused.text.lowercased().contains("certificate"), "names the certificate problem: \(refused.text)")
        // What the trusting agent sent is in the store.
        #expect(try await store.fleetSnapshot(now: WallClock.nowMs()).hosts.map(\.name) == ["web-1"])

        // A renewed certificate is picked up on SIGHUP, without a restart.
        #expect(try await pki.presentedSubject(port: port).contains("vigil-test-server"))
        try await pki.issue("server", cn: "vigil-renewed", ext: "subjectAltName=IP:127.0.0.1,DNS:localhost")
        kill(serve.process.processIdentifier, SIGHUP)
        #expect(await eventually(10) { serve.text.contains("TLS certificate reloaded") }, "\(serve.text)")
        let renewed = try await pki.presentedSubject(port: port)
        #expect(renewed.contains("vigil-renewed"), "\(renewed)")
        let after = try await InstallTests.run(Binaries.path("vigil-agent"), ["--once", "--config", good, "--no-remediation"],
                                               environment: ["VIGIL_TOKEN": token])
        #expect(after.status == 0 && after.text.contains("delivered"), "\(after.text)")
    }

    @Test func mutualTLSTurnsAwayAnAgentWithoutItsCertificate() async throws {
        let pki = try await TestPKI()
        let dir = TempDir()
        let (serve, _, token, port) = try await serve(["--tls-cert", pki.serverCert, "--tls-key", pki.serverKey, "--tls-client-ca", pki.ca], in: dir)
        defer { serve.stopInBackground() }
        let without = try agentConfig(dir, port: port, tls: "tls:\n  ca_file: \(pki.ca)")
        let refused = try await InstallTests.run(Binaries.path("vigil-agent"), ["--once", "--config", without, "--no-remediation"],
                                                 environment: ["VIGIL_TOKEN": token])
        #expect(!refused.text.contains("delivered"), "\(refused.text)")
        let with = try agentConfig(dir, port: port, tls: "tls:\n  ca_file: \(pki.ca)\n  cert_file: \(pki.clientCert)\n  key_file: \(pki.clientKey)")
        let ok = try await InstallTests.run(Binaries.path("vigil-agent"), ["--once", "--config", with, "--no-remediation"],
                                            environment: ["VIGIL_TOKEN": token])
        #expect(ok.status == 0 && ok.text.contains("delivered"), "\(ok.text)")
    }

    @Test func badCertificateFilesAreClearErrors() async throws {
        let dir = TempDir()
        try "not a certificate".write(toFile: dir.file("bad.pem"), atomically: true, encoding: .utf8)
        let r = try await InstallTests.run(Binaries.path("vigil"), ["serve", "--db", dir.file("v.db"), "--listen", "127.0.0.1:0",
                                                                    "--tls-cert", dir.file("bad.pem"), "--tls-key", dir.file("bad.pem")])
        #expect(r.status != 0 && r.text.contains(dir.file("bad.pem")) && r.text.contains("PEM"), "\(r.text)")
        let half = try await InstallTests.run(Binaries.path("vigil"), ["serve", "--db", dir.file("v.db"), "--tls-cert", dir.file("bad.pem")])
        #expect(half.status != 0 && half.text.contains("--tls-cert and --tls-key go together"), "\(half.text)")
    }
}

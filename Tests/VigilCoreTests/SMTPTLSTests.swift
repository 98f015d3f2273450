import Foundation
import Testing
import VigilHTTP
import VigilTestSupport
@testable import VigilCore
import VigilWire

/// Mail over TLS against a real SMTP server (Python's standard library, certificates from the openssl command):
/// STARTTLS on `smtp://` (required: a server that does not offer it is refused) and TLS from the start on
/// `smtps://`, the server verified against the channel's CA.
@Suite(.serialized, .enabled(if: TestPKI.openssl != nil, "openssl is not installed: the SMTP TLS tests are skipped (.ci/run installs it)"))
struct SMTPTLSTests {
    static let server = #"""
        import json, socket, ssl, sys
        mode, cert, key, out = sys.argv[1:5]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(cert, key)
        srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); srv.bind(("127.0.0.1", 0)); srv.listen(5)
        print(srv.getsockname()[1], flush=True)
        while True:
            c, _ = srv.accept()
            try:
                tls = mode == "implicit"
                if tls: c = ctx.wrap_socket(c, server_side=True)
                st = {"f": c.makefile("rwb")}
                def say(s): st["f"].write((s + "\r\n").encode()); st["f"].flush()
                say("220 tls-test ESMTP")
                mail = {"from": None, "rcpt": [], "tls": tls, "data": ""}
                while True:
                    line = st["f"].readline()
                    if not line: break
                    l = line.decode().rstrip("\r\n"); u = l.upper()
                    if u.startswith("EHLO"):
                        say("250-tls-test")
                        if not tls and mode != "plain-only": say("250-STARTTLS")
                        say("250 AUTH PLAIN")
                    elif u == "STARTTLS":
                        say("220 go ahead"); c = ctx.wrap_socket(c, server_side=True); st["f"] = c.makefile("rwb"); tls = True; mail["tls"] = True
                    elif u.startswith("AUTH"):
                        if len(l.split()) < 3:
                            say("334 "); st["f"].readline()
                        say("235 ok")
                    elif u.startswith("MAIL FROM:"): mail["from"] = l[10:].strip(" <>"); say("250 ok")
                    elif u.startswith("RCPT TO:"): mail["rcpt"].append(l[8:].strip(" <>")); say("250 ok")
                    elif u == "DATA":
                        say("354 go"); lines = []
                        while True:
                            d = st["f"].readline().decode().rstrip("\r\n")
                            if d == ".": break
                            lines.append(d)
                        mail["data"] = "\n".join(lines)
                        with open(out, "a") as o: o.write(json.dumps(mail) + "\n")
                        say("250 queued")
                    elif u == "QUIT": say("221 bye"); break
                    else: say("250 ok")
            except Exception as e:
                sys.stderr.write(f"session: {e}\n")
            finally:
                c.close()
        """#

    /// Starts the server in `mode` (starttls, implicit, plain-only); returns it, its port and where mails go.
    static func start(_ mode: String, _ pki: TestPKI) throws -> (Process, Int, String) {
        let script = pki.dir.file("smtp_\(mode).py")
        try server.write(toFile: script, atomically: true, encoding: .utf8)
        let out = pki.dir.file("mails-\(mode).jsonl")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script, mode, pki.serverCert, pki.serverKey, out]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        var line = ""
        while !line.hasSuffix("\n") {
            let d = pipe.fileHandleForReading.availableData
            if d.isEmpty { break }
            line += String(decoding: d, as: UTF8.self)
        }
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw StoreError("the SMTP test server did not start: \(line)") }
        return (p, port, out)
    }

    static func send(_ url: String, ca: String?) async -> DeliveryAttempt {
        var ch = NotifyChannel(name: "mail", kind: .email, url: .literal(url))
        ch.from = "vigil@example.org"
        ch.to = ["oncall@example.org"]
        ch.username = "vigil"
        ch.password = .literal("pw")
        ch.tlsCAFile = ca
        ch.timeoutMs = 5_000
        let rendered = RenderedNotification(title: "[FIRING:1] Test", text: "body", html: "<p>body</p>")
        return await NotificationService.deliver(rendered, channel: ch, transports: (HTTPClient(), SMTPClient()), environment: [:],
                                                 messageID: "1@vigil", nowMs: WallClock.nowMs())
    }

    static func mails(_ path: String) -> [[String: Any]] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    @Test func startTLSAndImplicitTLSAreVerifiedAndRequired() async throws {
        let pki = try await TestPKI()
        let (starttls, p1, out1) = try Self.start("starttls", pki)
        let (implicit, p2, out2) = try Self.start("implicit", pki)
        let (plainOnly, p3, out3) = try Self.start("plain-only", pki)
        // SIGKILL: a test runner may hand its children SIGTERM ignored.
        defer { for p in [starttls, implicit, plainOnly] { kill(p.processIdentifier, SIGKILL) } }

        let a = await Self.send("smtp://127.0.0.1:\(p1)", ca: pki.ca)
        #expect(a.outcome == .delivered && a.status == 250, "\(a)")
        let m = try #require(Self.mails(out1).first)
        #expect(m["tls"] as? Bool == true && m["from"] as? String == "vigil@example.org" && m["rcpt"] as? [String] == ["oncall@example.org"])
        #expect((m["data"] as? String)?.contains("Subject: [FIRING:1] Test") == true)

        #expect(await Self.send("smtps://127.0.0.1:\(p2)", ca: pki.ca).outcome == .delivered)
        #expect(Self.mails(out2).first?["tls"] as? Bool == true)

        // A certificate the channel does not trust: nothing is sent.
        let untrusted = await Self.send("smtps://127.0.0.1:\(p2)", ca: pki.otherCA)
        #expect(untrusted.outcome != .delivered && untrusted.error?.isEmpty == false)
        #expect(Self.mails(out2).count == 1)
        // smtp:// requires STARTTLS: a server that does not offer it gets no mail (and no password).
        let plain = await Self.send("smtp://127.0.0.1:\(p3)", ca: pki.ca)
        #expect(plain.outcome != .delivered, "\(plain)")
        #expect(Self.mails(out3).isEmpty)
    }
}

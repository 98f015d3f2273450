import Foundation
import Testing
@testable import VigilWire

@Suite struct JobWireTests {
    static let hash = String(repeating: "ab", count: 32)

    static func job(dryRun: Bool = false) -> JobSpec {
        JobSpec(id: "run_8f3a", host: "web-1", runbook: "disk_cleanup", runbookHash: hash, dryRun: dryRun,
                issuedAt: 1_764_400_000_000, expiresAt: 1_764_400_600_000,
                steps: [JobStep(name: "usage before", kind: .check, argv: ["vigil-step", "disk-usage", "--path", "/"], timeoutMs: 30_000),
                        JobStep(name: "clean \"tmp\"", kind: .action, argv: ["vigil-step", "disk-cleanup", "--dir", "/tmp", "é\n"], timeoutMs: 120_000)])
    }

    func decodeError(_ json: String) -> WireError? {
        do {
            _ = try JobSpec.decode(Array(json.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test func jobRoundTrips() throws {
        var j = Self.job()
        j.signature = JobSignature.sign(j, key: JobSignature.key(tokenSecret: "s3cret"))
        let back = try JobSpec.decode(Array(j.json().utf8))
        #expect(back == j)
        #expect(j.json().hasPrefix(#"{"id":"run_8f3a","host":"web-1","runbook":"disk_cleanup","runbook_hash":""#))
        #expect(j.json().contains(#"{"name":"usage before","kind":"check","argv":["vigil-step","disk-usage","--path","/"],"timeout_ms":30000}"#))
    }

    @Test func decodesTheSpecExampleAndSkipsUnknownKeys() throws {
        let j = try JobSpec.decode(Array("""
            {"id":"run_1","host":"web-1","runbook":"disk_cleanup","runbook_hash":"\(Self.hash)",
             "dry_run":false,"issued_at":1764400000000,"expires_at":1764400600000,"later":{"x":[1]},
             "steps":[{"name":"usage before","kind":"check","argv":["vigil-step","disk-usage","--path","/"],"timeout_ms":30000,"note":null}],
             "signature":"00"}
            """.utf8))
        #expect(j.steps == [JobStep(name: "usage before", kind: .check, argv: ["vigil-step", "disk-usage", "--path", "/"], timeoutMs: 30_000)])
        #expect(j.signature == "00")
        // Unsigned: decodes, with an empty signature, so the agent can refuse it by id.
        var unsigned = Self.job()
        unsigned.signature = ""
        let text = unsigned.json().replacingOccurrences(of: #","signature":"""#, with: "")
        #expect(try JobSpec.decode(Array(text.utf8)).signature == "")
    }

    @Test(arguments: [
        (#"{"host":"web-1"}"#, "id"),
        (#"{"id":"a/b"}"#, "id"),
        (#"{"id":7}"#, "id"),
        (#"{"id":"r","host":"web 1"}"#, "host"),
        (#"{"id":"r","host":"h","runbook":"x","runbook_hash":"abc"}"#, "runbook_hash"),
        (#"{"id":"r","host":"h","runbook":"x","runbook_hash":"HASH","dry_run":"no"}"#, "dry_run"),
        (#"{"id":"r","host":"h","runbook":"x","runbook_hash":"HASH","dry_run":true,"issued_at":1.5}"#, "issued_at"),
        (#"{"id":"r","host":"h","runbook":"x","runbook_hash":"HASH","dry_run":true,"issued_at":1,"expires_at":2}"#, "steps"),
        (#"{"id":"r","host":"h","runbook":"x","runbook_hash":"HASH","dry_run":true,"issued_at":3,"expires_at":2,"steps":[{"name":"a","kind":"check","argv":["/bin/true"],"timeout_ms":5}]}"#, "expires_at"),
        (#"{"id":"r","host":"h","runbook":"x","runbook_hash":"HASH","dry_run":true,"issued_at":1,"expires_at":2,"steps":[]}"#, "steps"),
        (#"{"id":"r","host":"h","runbook":"x","runbook_hash":"HASH","dry_run":true,"issued_at":1,"expires_at":2,"steps":[{"name":"a","kind":"fix","argv":["x"],"timeout_ms":5}]}"#, "steps[0].kind"),
        (#"{"id":"r","host":"h","runbook":"x","runbook_hash":"HASH","dry_run":true,"issued_at":1,"expires_at":2,"steps":[{"name":"a","kind":"check","argv":["/bin/true"],"timeout_ms":5},{"name":"b","kind":"action","argv":["/bin/true",3],"timeout_ms":5}]}"#, "steps[1].argv[1]"),
        (#"{"id":"r","host":"h","runbook":"x","runbook_hash":"HASH","dry_run":true,"issued_at":1,"expires_at":2,"steps":[{"name":"a","kind":"check","argv":[],"timeout_ms":5}]}"#, "steps[0].argv"),
        (#"{"id":"r","host":"h","runbook":"x","runbook_hash":"HASH","dry_run":true,"issued_at":1,"expires_at":2,"steps":[{"name":"a","kind":"check","argv":["/bin/true"],"timeout_ms":0}]}"#, "steps[0].timeout_ms"),
        (#"{"id":"r","host":"h","runbook":"x","runbook_hash":"HASH","dry_run":true,"issued_at":1,"expires_at":2,"steps":[{"name":"a","kind":"check","argv":["/bin/true"]}]}"#, "steps[0].timeout_ms"),
        (#"{"id":"r","host":"h","runbook":"x","runbook_hash":"HASH","dry_run":true,"issued_at":1,"expires_at":2,"steps":[{"name":"a","kind":"check","argv":["/bin/\u0000x"],"timeout_ms":5}]}"#, "steps[0].argv[0]"),
    ])
    func strictDecodeNamesTheField(json: String, field: String) throws {
        let e = try #require(decodeError(json.replacingOccurrences(of: "HASH", with: Self.hash)))
        #expect(e.field == field, "\(e)")
        #expect(e.code == "invalid_field")
    }

    @Test func malformedJSONIsMalformed() throws {
        #expect(decodeError("")?.code == "malformed_json")
        #expect(decodeError("[]")?.code == "malformed_json")
        #expect(decodeError(Self.job().json() + "x")?.code == "malformed_json")
        #expect(decodeError(#"{"id":"r","#)?.code == "malformed_json")
    }

    @Test func signingBytesAreTheCanonicalForm() {
        let j = JobSpec(id: "r1", host: "h", runbook: "rb", runbookHash: "x", dryRun: true, issuedAt: 10, expiresAt: 20,
                        steps: [JobStep(name: "s", kind: .action, argv: ["/bin/echo", "a:b\n"], timeoutMs: 5)])
        let text = String(decoding: j.signingBytes(), as: UTF8.self)
        #expect(text == "vigil-job-v1\n2:r1\n1:h\n2:rb\n1:x\n1:1\n2:10\n2:20\n1:1\n1:s\n6:action\n1:5\n1:2\n9:/bin/echo\n4:a:b\n\n")
        // Moving a character between neighbouring fields changes the bytes.
        var k = j
        k.steps[0].argv = ["/bin/echo a", ":b\n"]
        #expect(k.signingBytes() != j.signingBytes())
    }

    @Test func signatureVerifies() {
        let key = JobSignature.key(tokenSecret: "vgl_secret")
        // The signing key is not what the store keeps to look the token up (SHA-256 of the secret): whoever reads
        // the store cannot sign a job.
        #expect(key != SHA256.hash(Array("vgl_secret".utf8)))
        #expect(key == SHA256.hmac(key: Array("vgl_secret".utf8), message: Array("vigil/job-signing/v1".utf8)))
        #expect(key.count == 32 && key != JobSignature.key(tokenSecret: "vgl_other"))

        var j = Self.job()
        j.signature = JobSignature.sign(j, key: key)
        #expect(j.signature.count == 64)
        #expect(JobSignature.verify(j, key: key))
        var upper = j
        upper.signature = j.signature.uppercased()
        #expect(JobSignature.verify(upper, key: key))

        var argv = j
        argv.steps[1].argv.append("--older-than-days=0")
        #expect(!JobSignature.verify(argv, key: key))
        var dry = j
        dry.dryRun = true
        #expect(!JobSignature.verify(dry, key: key))
        var kind = j
        kind.steps[0].kind = .action
        #expect(!JobSignature.verify(kind, key: key))
        #expect(!JobSignature.verify(j, key: JobSignature.key(tokenSecret: "other")))
        var unsigned = j
        unsigned.signature = ""
        #expect(!JobSignature.verify(unsigned, key: key))
        var short = j
        short.signature = String(j.signature.dropLast(2))
        #expect(!JobSignature.verify(short, key: key))
    }

    @Test func eventsRoundTrip() throws {
        let events = [
            JobEvent(seq: 1, at: 1_764_400_000_123, type: .stepStarted, step: 0),
            JobEvent(seq: 2, at: 1_764_400_000_124, type: .output, step: 0, text: "line \"1\"\n\u{1}é"),
            JobEvent(seq: 3, at: 1_764_400_000_125, type: .stepFinished, step: 0, exitCode: 0, timedOut: false, durationMs: 12),
            JobEvent(seq: 4, at: 1_764_400_000_126, type: .stepFinished, step: 1, signal: 9, timedOut: true, durationMs: 30_000),
            JobEvent(seq: 5, at: 1_764_400_000_127, type: .stepSkipped, step: 2, text: "dry run: would run /usr/bin/systemctl restart nginx.service"),
            JobEvent(seq: 6, at: 1_764_400_000_128, type: .jobFinished, text: "human summary", outcome: .preconditionFailed),
        ]
        #expect(events[0].json() == #"{"seq":1,"at":1764400000123,"type":"step_started","step":0}"#)
        #expect(events[2].json() == #"{"seq":3,"at":1764400000125,"type":"step_finished","step":0,"exit_code":0,"timed_out":false,"duration_ms":12}"#)
        #expect(events[5].json() == #"{"seq":6,"at":1764400000128,"type":"job_finished","outcome":"precondition_failed","text":"human summary"}"#)
        let batch = JobEventBatch(events: events)
        #expect(try JobEventBatch.decode(Array(batch.json().utf8)) == batch)
        #expect(try JobEventBatch.decode(Array(#"{"events":[]}"#.utf8)).events.isEmpty)
        // exit_code null is the same as absent.
        let nullExit = try JobEventBatch.decode(Array(#"{"events":[{"seq":1,"at":5,"type":"step_finished","step":0,"exit_code":null,"signal":9}]}"#.utf8))
        #expect(nullExit.events[0].exitCode == nil && nullExit.events[0].signal == 9)
    }

    @Test(arguments: [
        (#"{}"#, "events"),
        (#"{"events":{}}"#, "events"),
        (#"{"events":[{"at":1,"type":"output","step":0,"text":"x"}]}"#, "events[0].seq"),
        (#"{"events":[{"seq":0,"at":1,"type":"output","step":0,"text":"x"}]}"#, "events[0].seq"),
        (#"{"events":[{"seq":1,"type":"output","step":0,"text":"x"}]}"#, "events[0].at"),
        (#"{"events":[{"seq":1,"at":1,"type":"stdout","step":0}]}"#, "events[0].type"),
        (#"{"events":[{"seq":1,"at":1,"type":"step_started"}]}"#, "events[0].step"),
        (#"{"events":[{"seq":1,"at":1,"type":"step_started","step":0},{"seq":2,"at":1,"type":"output","step":0}]}"#, "events[1].text"),
        (#"{"events":[{"seq":1,"at":1,"type":"job_finished","text":"x"}]}"#, "events[0].outcome"),
        (#"{"events":[{"seq":1,"at":1,"type":"job_finished","outcome":"done"}]}"#, "events[0].outcome"),
        (#"{"events":[{"seq":1,"at":1,"type":"step_finished","step":0,"exit_code":"1"}]}"#, "events[0].exit_code"),
        (#"{"events":[{"seq":1,"at":1,"type":"step_finished","step":0,"signal":0}]}"#, "events[0].signal"),
        (#"{"events":[{"seq":1,"at":1,"type":"step_finished","step":0,"timed_out":1}]}"#, "events[0].timed_out"),
        (#"{"events":[{"seq":1,"at":1,"type":"step_finished","step":-1}]}"#, "events[0].step"),
    ])
    func eventBatchDecodeNamesTheField(json: String, field: String) throws {
        do {
            _ = try JobEventBatch.decode(Array(json.utf8))
            Issue.record("decoded \(json)")
        } catch {
            #expect(error.field == field, "\(error)")
            #expect(error.code == "invalid_field")
        }
    }

    @Test func eventsResponseAndJobList() throws {
        #expect(JobEventsResponse(cancel: true).json() == #"{"cancel":true}"#)
        #expect(try JobEventsResponse.decode(Array(#"{"cancel":true}"#.utf8)).cancel)
        #expect(try !JobEventsResponse.decode(Array(#"{"cancel":false,"x":1}"#.utf8)).cancel)
        #expect(try !JobEventsResponse.decode(Array(#"{}"#.utf8)).cancel)
        #expect(throws: WireError.self) { try JobEventsResponse.decode(Array(#"{"cancel":"yes"}"#.utf8)) }

        let list = JobList(jobs: [Self.job(), Self.job(dryRun: true)])
        #expect(try JobList.decode(Array(list.json().utf8)) == list)
        #expect(JobList(jobs: []).json() == #"{"jobs":[]}"#)
        #expect(try JobList.decode(Array(#"{"jobs":[]}"#.utf8)).jobs.isEmpty)
        do {
            _ = try JobList.decode(Array(#"{"jobs":[{"id":"x","host":"h","steps":3}]}"#.utf8))
            Issue.record("decoded a bad list")
        } catch {
            #expect(error.field == "jobs[0].steps")
        }
    }

    @Test func lenientListKeepsGoodJobsAndTheIdsOfBadOnes() throws {
        let good = Self.job().json()
        let body = #"{"accepted":{"samples":1,"logs":0,"checks":0},"jobs":["# + good
            + #",{"id":"run_bad","host":"web-1","dry_run":"sometimes"},{"id":"../x","steps":1},7]}"#
        let r = try JobList.decodeLenient(Array(body.utf8))
        #expect(r.jobs == [Self.job()])
        #expect(r.undecodable.count == 3)
        #expect(r.undecodable[0].id == "run_bad")
        #expect(r.undecodable[0].error.field == "jobs[1].dry_run")
        #expect(r.undecodable[1].id == nil)
        #expect(r.undecodable[2].id == nil)
        #expect(throws: WireError.self) { try JobList.decodeLenient(Array(#"{"jobs":[{"id":"x",]}"#.utf8)) }
    }

    @Test func ingestResponseCarriesJobs() throws {
        let r = IngestResponse(samples: 3, logs: 2, checks: 1, jobs: [Self.job()])
        #expect(r.json().hasPrefix(#"{"accepted":{"samples":3,"logs":2,"checks":1},"jobs":[{"id":"run_8f3a""#))
        #expect(try IngestResponse.decode(Array(r.json().utf8)) == r)
        #expect(IngestResponse(samples: 0, logs: 0, checks: 0).json() == #"{"accepted":{"samples":0,"logs":0,"checks":0},"jobs":[]}"#)
        #expect(try IngestResponse.decode(Array(#"{"accepted":{"samples":1}}"#.utf8)) == IngestResponse(samples: 1, logs: 0, checks: 0))
        do {
            _ = try IngestResponse.decode(Array(#"{"jobs":[{"id":1}]}"#.utf8))
            Issue.record("decoded a bad job")
        } catch {
            #expect(error.field == "jobs[0].id")
        }
    }
}

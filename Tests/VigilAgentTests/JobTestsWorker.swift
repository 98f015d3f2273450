import Foundation
import Glibc
import Testing
import VigilWire
@testable import VigilAgentCore
import VigilTestSupport

/// A small concurrent HTTP/1.1 listener on 127.0.0.1 playing the job side of the Vigil listener:
/// `GET /api/v1/jobs/next` hands out queued jobs (or `{"jobs":[]}` after a short wait),
/// `POST /api/v1/jobs/{id}/events` records events and answers with `eventStatus`/`cancel`,
/// `POST /api/v1/ingest` answers with the jobs in `ingestJobs`. One thread per connection.
final class JobTestServer: @unchecked Sendable {
    struct Request {
        var method: String
        var target: String
        var head: String
        var body: [UInt8]
    }

    let port: UInt16
    private let fd: Int32
    private let lock = NSLock()
    private var stopped = false
    private var queued: [String] = []
    private var _requests: [Request] = []
    private var _events: [String: [JobEvent]] = [:]
    private var _cancel: Set<String> = []
    private var _eventStatus = 200
    private var _pollStatus = 200
    private var _ingestBody = #"{"accepted":{"samples":0,"logs":0,"checks":0},"jobs":[]}"#
    private let done = DispatchSemaphore(value: 0)

    init() {
        let (fd, port) = TestSocket.listen()
        self.fd = fd
        self.port = port
        Thread { [self] in self.acceptLoop() }.start()
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func stop() {
        lock.withLock { stopped = true }
        done.wait()
        close(fd)
    }

    /// Queues a job body (any JSON object) for the next long-poll.
    func queue(_ jobJSON: String) { lock.withLock { queued.append(jobJSON) } }
    func cancel(_ id: String) { lock.withLock { _ = _cancel.insert(id) } }
    func setEventStatus(_ s: Int) { lock.withLock { _eventStatus = s } }
    func setPollStatus(_ s: Int) { lock.withLock { _pollStatus = s } }
    func setIngestBody(_ s: String) { lock.withLock { _ingestBody = s } }

    var requests: [Request] { lock.withLock { _requests } }
    func events(_ id: String) -> [JobEvent] { lock.withLock { _events[id] ?? [] } }
    func finished(_ id: String) -> JobEvent? { events(id).first { $0.type == .jobFinished } }
    func posts(_ id: String) -> Int { requests.filter { $0.method == "POST" && $0.target == "/api/v1/jobs/\(id)/events" }.count }

    private func acceptLoop() {
        defer { done.signal() }
        while !(lock.withLock { stopped }) {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) > 0 else { continue }
            let c = accept(fd, nil, nil)
            guard c >= 0 else { continue }
            Thread { [self] in
                self.handle(c)
                close(c)
            }.start()
        }
    }

    private func handle(_ c: Int32) {
        guard let (head, body) = TestSocket.readRequest(c) else { return }
        let first = head.split(separator: "\r\n").first?.split(separator: " ") ?? []
        let request = Request(method: String(first[0]), target: String(first[1]), head: head, body: body)
        lock.withLock { _requests.append(request) }
        let (status, answer) = respond(request)
        TestSocket.writeResponse(c, status: status, body: answer)
    }

    private func respond(_ r: Request) -> (Int, String) {
        if r.method == "GET" && r.target.hasPrefix("/api/v1/jobs/next?") {
            let status = lock.withLock { _pollStatus }
            if status != 200 { return (status, #"{"error":"nope"}"#) }
            for _ in 0..<10 {
                let jobs = lock.withLock { () -> [String] in
                    defer { queued.removeAll() }
                    return queued
                }
                if !jobs.isEmpty { return (200, #"{"jobs":["# + jobs.joined(separator: ",") + "]}") }
                usleep(20_000)
            }
            return (200, #"{"jobs":[]}"#)
        }
        if r.method == "POST" && r.target.hasPrefix("/api/v1/jobs/") && r.target.hasSuffix("/events") {
            let id = String(r.target.dropFirst("/api/v1/jobs/".count).dropLast("/events".count))
            guard let batch = try? JobEventBatch.decode(r.body) else { return (400, #"{"error":"bad events"}"#) }
            return lock.withLock {
                if _eventStatus != 200 { return (_eventStatus, #"{"error":"x"}"#) }
                var stored = _events[id] ?? []
                for e in batch.events where !stored.contains(where: { $0.seq == e.seq }) { stored.append(e) }
                _events[id] = stored
                return (200, JobEventsResponse(cancel: _cancel.contains(id)).json())
            }
        }
        if r.method == "POST" && r.target == "/api/v1/ingest" {
            return (200, lock.withLock { _ingestBody })
        }
        return (404, #"{"error":"not found"}"#)
    }
}

@Suite(.serialized) struct JobWorkerTests {
    static let token = "vgl_test_token"
    static let key = JobSignature.key(tokenSecret: token)

    func worker(_ server: JobTestServer, enabled: Bool = true, logs: LogCapture? = nil) -> JobWorker {
        var s = JobWorker.Settings(baseURL: server.url + "/", token: Self.token, host: "web-1", enabled: enabled, key: Self.key,
                                   environment: ["VIGIL_STEP_ALLOW_DIRS": "/tmp"], selfExecutable: "/nonexistent/vigil-agent")
        s.allowedPrograms = nil // these tests run scripts of their own; JobTests covers the allow-list
        s.longPollWaitMs = 200
        s.initialBackoffMs = 300
        s.maxBackoffMs = 1000
        s.heartbeatMs = 200
        s.retryPauseMs = 50
        return JobWorker(settings: s, log: logs?.log ?? .silent)
    }

    func markerJob(_ dir: TempDir, id: String, key: [UInt8]? = JobWorkerTests.key, host: String = "web-1",
                   expiresInMs: Int64 = 600_000) -> JobSpec {
        let s = JobFixture.script(dir, "act-\(id).sh", "echo ran >> \(dir.file("marker-\(id)")); echo hello from \(id)")
        return JobFixture.job([JobFixture.step("look", .check, ["/bin/echo", "ok"]), JobFixture.step("act", .action, [s])],
                              id: id, host: host, expiresInMs: expiresInMs, key: key)
    }

    @Test func signedJobFromTheLongPollRunsAndEveryEventIsPosted() throws {
        let dir = TempDir()
        let server = JobTestServer()
        defer { server.stop() }
        let w = worker(server)
        defer { w.stop() }
        server.queue(markerJob(dir, id: "run_ok").json())
        w.start()
        #expect(JobFixture.eventually { server.finished("run_ok") != nil })
        #expect(JobFixture.read(dir.file("marker-run_ok")) == "ran\n")
        let events = server.events("run_ok")
        #expect(events.map(\.seq) == Array(1...events.count))
        #expect(server.finished("run_ok")?.outcome == .succeeded)
        #expect(events.contains { $0.type == .output && $0.step == 1 && $0.text == "hello from run_ok\n" })
        // The worker notes the run just after posting its last event.
        #expect(JobFixture.eventually { w.finished.map(\.id) == ["run_ok"] })
        let poll = try #require(server.requests.first { $0.method == "GET" })
        #expect(poll.target == "/api/v1/jobs/next?host=web-1&wait_ms=200")
        #expect(server.requests.allSatisfy { $0.head.contains("Authorization: Bearer \(Self.token)") })
    }

    @Test func badJobsAreRefusedAndNothingRuns() throws {
        let dir = TempDir()
        let server = JobTestServer()
        defer { server.stop() }
        let logs = LogCapture()
        let w = worker(server, logs: logs)
        defer { w.stop() }
        var tampered = markerJob(dir, id: "run_tampered")
        tampered.steps[1].argv.append("--extra")
        var dry = markerJob(dir, id: "run_dryflip")
        dry.dryRun = true
        let cases: [(JobSpec, String)] = [
            (markerJob(dir, id: "run_unsigned", key: nil), "the job is not signed"),
            (markerJob(dir, id: "run_wrongkey", key: JobSignature.key(tokenSecret: "other")), "bad signature"),
            (tampered, "bad signature"),
            (dry, "bad signature"),
            (markerJob(dir, id: "run_otherhost", host: "db-1"), "the job is for host db-1, this agent is web-1"),
            (markerJob(dir, id: "run_expired", expiresInMs: -5000), "the job expired"),
        ]
        for (job, _) in cases { server.queue(job.json()) }
        server.queue(#"{"id":"run_garbled","host":"web-1","steps":"rm -rf /"}"#)
        w.start()
        #expect(JobFixture.eventually { (cases.map(\.0.id) + ["run_garbled"]).allSatisfy { server.finished($0) != nil } })
        for (job, reason) in cases {
            let fin = try #require(server.finished(job.id), "\(job.id)")
            #expect(fin.outcome == .refused)
            #expect(fin.text?.hasPrefix(reason) == true, "\(job.id): \(fin.text ?? "")")
            #expect(server.events(job.id).count == 1)
            #expect(!JobFixture.exists(dir.file("marker-\(job.id)")))
        }
        #expect(server.finished("run_garbled")?.text?.hasPrefix("the job cannot be read: ") == true)
        #expect(logs.lines.contains { $0.contains("refused job run_unsigned: the job is not signed") })
    }

    @Test func disabledRemediationRefusesEvenValidJobs() throws {
        let dir = TempDir()
        let server = JobTestServer()
        defer { server.stop() }
        let w = worker(server, enabled: false)
        defer { w.stop() }
        server.queue(markerJob(dir, id: "run_disabled").json())
        w.start()
        #expect(JobFixture.eventually { server.finished("run_disabled") != nil })
        #expect(server.finished("run_disabled")?.outcome == .refused)
        #expect(server.finished("run_disabled")?.text?.contains("--no-remediation") == true)
        #expect(!JobFixture.exists(dir.file("marker-run_disabled")))
    }

    @Test func cancelFromTheListenerKillsTheRunningStep() throws {
        let dir = TempDir()
        let server = JobTestServer()
        defer { server.stop() }
        let w = worker(server)
        defer { w.stop() }
        let pidFile = dir.file("pid")
        let slow = JobFixture.script(dir, "slow.sh", "echo $$ > \(pidFile).tmp; mv \(pidFile).tmp \(pidFile); exec /bin/sleep 30")
        let after = JobFixture.script(dir, "after.sh", "touch \(dir.file("after"))")
        let job = JobFixture.job([JobFixture.step("slow", .action, [slow]), JobFixture.step("after", .action, [after])],
                                 id: "run_cancel", key: Self.key)
        server.queue(job.json())
        w.start()
        #expect(JobFixture.eventually { JobFixture.exists(pidFile) })
        let pid = try #require(Int32(JobFixture.read(pidFile).trimmingCharacters(in: .whitespacesAndNewlines)))
        let cancelledAt = Date()
        server.cancel("run_cancel")
        #expect(JobFixture.eventually { server.finished("run_cancel") != nil })
        #expect(Date().timeIntervalSince(cancelledAt) < 15, "the 30 s step was killed")
        #expect(server.finished("run_cancel")?.outcome == .cancelled)
        #expect(JobFixture.eventually(2) { JobFixture.isGone(pid) })
        #expect(!JobFixture.exists(dir.file("after")))
        #expect(server.events("run_cancel").first { $0.type == .stepFinished }?.signal == 9)
    }

    @Test func conflictStopsPostingAndTheRun() throws {
        let dir = TempDir()
        let server = JobTestServer()
        defer { server.stop() }
        server.setEventStatus(409)
        let logs = LogCapture()
        let w = worker(server, logs: logs)
        defer { w.stop() }
        let slow = JobFixture.script(dir, "slow.sh", "sleep 30")
        server.queue(JobFixture.job([JobFixture.step("slow", .action, [slow]), JobFixture.step("next", .action, [slow])],
                                    id: "run_409", key: Self.key).json())
        w.start()
        #expect(JobFixture.eventually { w.finished.contains { $0.id == "run_409" } })
        #expect(w.finished.first?.outcome == .cancelled)
        #expect(server.posts("run_409") == 1)
        #expect(logs.lines.contains { $0.contains("job run_409: the listener has already finished this job (HTTP 409); stopping it") })
    }

    @Test func aJobIdRunsOnceWhicheverWayItArrives() throws {
        let dir = TempDir()
        let server = JobTestServer()
        defer { server.stop() }
        let w = worker(server)
        defer { w.stop() }
        let job = markerJob(dir, id: "run_once")
        w.offer([job, job])
        server.queue(job.json())
        w.start()
        #expect(JobFixture.eventually { server.finished("run_once") != nil })
        w.offer([job])
        usleep(600_000)
        #expect(JobFixture.read(dir.file("marker-run_once")) == "ran\n")
        #expect(w.finished.map(\.id) == ["run_once"])
    }

    @Test func senderHandsOverJobsFromIngestAnswers() throws {
        let dir = TempDir()
        let server = JobTestServer()
        defer { server.stop() }
        let w = worker(server)
        defer { w.stop() }
        let job = markerJob(dir, id: "run_ingest")
        server.setIngestBody(IngestResponse(samples: 1, logs: 0, checks: 0, jobs: [job]).json())
        let spool = try Spool(directory: dir.file("spool"))
        let sender = Sender(ingestURL: server.url + "/api/v1/ingest", token: Self.token, spool: spool, intervalMs: 10_000, log: .silent)
        sender.jobHandler = { jobs, bad in w.offer(jobs, undecodable: bad) }
        w.start()
        try spool.append(Gzip.compress(Array(IngestBatch(host: "web-1").json().utf8)))
        #expect(sender.flush(monotonicMs: 0).delivered == 1)
        #expect(JobFixture.eventually { server.finished("run_ingest") != nil })
        #expect(server.finished("run_ingest")?.outcome == .succeeded)
        #expect(JobFixture.read(dir.file("marker-run_ingest")) == "ran\n")
    }

    @Test func pollFailuresBackOffAndAreLoggedOnce() throws {
        let server = JobTestServer()
        defer { server.stop() }
        server.setPollStatus(500)
        let logs = LogCapture()
        let w = worker(server, logs: logs)
        let started = Date()
        w.start()
        func polls() -> Int { server.requests.filter { $0.method == "GET" }.count }
        #expect(JobFixture.eventually { polls() >= 3 })
        w.stop()
        // 0 s, 0.3 s, 0.9 s, then every second (backoff 300, 600, 1000 ms): never a tight loop, however long it took.
        let most = 3 + Int(Date().timeIntervalSince(started))
        #expect(polls() >= 3 && polls() <= most, "\(polls()) polls, at most \(most)")
        #expect(logs.lines.filter { $0.contains("cannot poll for jobs: listener error (HTTP 500)") }.count == 1)
    }

    @Test func eventsAreRetriedWhenTheListenerComesBack() throws {
        let dir = TempDir()
        let server = JobTestServer()
        defer { server.stop() }
        server.setEventStatus(503)
        let w = worker(server)
        defer { w.stop() }
        let s = JobFixture.script(dir, "talk.sh", "echo one; sleep 0.4; echo two")
        server.queue(JobFixture.job([JobFixture.step("talk", .check, [s])], id: "run_retry", key: Self.key).json())
        w.start()
        #expect(JobFixture.eventually { server.posts("run_retry") >= 1 })
        usleep(100_000)
        server.setEventStatus(200)
        #expect(JobFixture.eventually { server.finished("run_retry") != nil })
        let events = server.events("run_retry")
        #expect(events.map(\.seq).sorted() == Array(1...events.count))
        #expect(events.filter { $0.type == .output }.compactMap(\.text).joined() == "one\ntwo\n")
    }

    @Test func stoppingCancelsTheRunningJob() throws {
        let dir = TempDir()
        let server = JobTestServer()
        defer { server.stop() }
        let w = worker(server)
        let pidFile = dir.file("pid")
        let slow = JobFixture.script(dir, "slow.sh", "echo $$ > \(pidFile).tmp; mv \(pidFile).tmp \(pidFile); exec /bin/sleep 30")
        server.queue(JobFixture.job([JobFixture.step("slow", .action, [slow])], id: "run_stop", key: Self.key).json())
        w.start()
        #expect(JobFixture.eventually { JobFixture.exists(pidFile) })
        let started = Date()
        w.stop()
        #expect(Date().timeIntervalSince(started) < 15, "the 30 s step was killed")
        #expect(server.finished("run_stop")?.outcome == .cancelled)
        #expect(server.finished("run_stop")?.text?.hasSuffix("(the agent is stopping)") == true)
    }
}

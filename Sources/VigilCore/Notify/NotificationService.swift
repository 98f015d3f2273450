import Foundation
import Logging
import ServiceLifecycle
import VigilWire

/// Hears alerts and tells people: every second (or at once when poked after an evaluation) it routes and groups
/// the alerts (`NotificationDispatcher`), writes what is to be said to the outbox, and delivers what is due,
/// retrying with exponential backoff and jitter until a notification is delivered or dead. Only the lease
/// holder sends.
public final class NotificationService: Service, Sendable {
    public typealias Transports = @Sendable () -> (http: any HTTPTransport, mail: any MailTransport)

    let store: any Store
    let config: NotifyConfig
    let transports: Transports
    let logger: Logger
    let isLeader: @Sendable () -> Bool
    let environment: [String: String]
    let tickMs: Int64
    private let state: Locked<State>

    struct State {
        var dispatcher: NotificationDispatcher
        var restored = false
        var poked = false
        /// Per report schedule, the due time already handled (saves a store read each second).
        var reportsHandled: [String: Int64] = [:]
    }

    public init(store: any Store, config: NotifyConfig, transports: @escaping Transports, logger: Logger,
                isLeader: @escaping @Sendable () -> Bool, environment: [String: String] = ProcessInfo.processInfo.environment,
                tickMs: Int64 = 1_000) {
        self.store = store
        self.config = config
        self.transports = transports
        self.logger = logger
        self.isLeader = isLeader
        self.environment = environment
        self.tickMs = tickMs
        state = Locked(State(dispatcher: NotificationDispatcher(config: config)))
    }

    /// A test message for `channel`: one made-up alert, marked as a test, so a receiver can be tried before it
    /// is routed to.
    public static func testMessage(channel: String, externalURL: String, now: Int64) -> NotificationMessage {
        let alert = NotificationMessage.Alert(status: "firing", labels: ["alertname": "VigilTest", "host": ProcessInfo.processInfo.hostName, "severity": "info"],
                                              annotations: ["summary": "A test notification from vigil notify test: if you read this, the channel works."],
                                              startsAt: now, endsAt: nil, generatorURL: externalURL, fingerprint: "0000000000000000",
                                              value: nil, flapping: false, severity: .info)
        return NotificationMessage(receiver: channel, groupKey: "\(channel)/test", groupLabels: ["alertname": "VigilTest"], alerts: [alert],
                                   externalURL: externalURL, isTest: true)
    }

    /// Alerts changed: look now rather than at the next tick.
    public func poke() { state.withLock { $0.poked = true } }

    public func run() async throws {
        var next = Int64.min
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = WallClock.nowMs()
            let poked = state.withLock { s in defer { s.poked = false }; return s.poked }
            if now >= next || poked {
                next = now + tickMs
                if isLeader() {
                    do {
                        try await step(now: now)
                    } catch {
                        logger.error("notifications: \(error)")
                    }
                } else {
                    state.withLock { $0.restored = false }
                }
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// One round: dispatch, then deliver what is due.
    public func step(now: Int64) async throws {
        if !state.withLock({ $0.restored }) {
            let groups = try await store.notificationGroups()
            let lost = try await store.recoverInterruptedDeliveries(now: now)
            if lost > 0 { logger.warning("notifications: \(lost) deliveries were interrupted by a stop; they are sent again (the receiver may have had them)") }
            state.withLock { s in
                s.dispatcher = NotificationDispatcher(config: config, groups: groups)
                s.restored = true
            }
        }
        let alerts = try await store.notifiableAlerts(resolvedSince: now - NotificationDispatcher.resolvedMemoryMs, limit: 100_000)
        try await dispatch(alerts, now: now)
        try await escalate(alerts, now: now)
        try await sendReports(now: now)
        try await deliverDue(now: now)
    }

    /// Reports due since the last look: gathered from the store (with the heuristic insight; the AI's is for
    /// `vigil report daily`), stored like `vigil report daily` stores them, and queued for their channel. The first
    /// look after a start only notes the latest due time unless it is less than ten minutes old, so a restart
    /// neither floods nor skips today's.
    func sendReports(now: Int64) async throws {
        for schedule in config.reports {
            let due = schedule.lastDue(atOrBefore: now)
            if state.withLock({ $0.reportsHandled[schedule.settingKey] }) == due { continue }
            let last = try await store.setting(schedule.settingKey).flatMap { Int64($0) }
            guard due > (last ?? Int64.min) else {
                state.withLock { $0.reportsHandled[schedule.settingKey] = due }
                continue
            }
            if last == nil && now - due > 600_000 {
                try await store.setSetting(schedule.settingKey, to: String(due), now: now)
                state.withLock { $0.reportsHandled[schedule.settingKey] = due }
                continue
            }
            guard let channel = config.channel(named: schedule.channel) else { continue }
            let (from, to) = schedule.period(endingAt: due)
            let text: String
            if schedule.kind == .weekly {
                // The week against the week before, stored as the weekly report of that week.
                text = try await GeneratedWeeklyReport.generate(store: store, client: nil, to: to, now: now, useAI: false).stored.text
            } else {
                let report = try await DailyReport.gather(store: store, from: from, to: to, now: now)
                let insight = DailyInsight.heuristic(report)
                text = GeneratedDailyReport.text(report, insight)
                _ = try await store.saveReport(StoredReport(kind: schedule.kind.rawValue, from: from, to: to, createdAt: now, text: text,
                                                            json: GeneratedDailyReport.json(report, insight).jsonText))
            }
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = schedule.timeZone
            f.dateFormat = "yyyy-MM-dd"
            let title = "Vigil \(schedule.kind.rawValue) report, \(f.string(from: Date(timeIntervalSince1970: Double(from) / 1000)))"
                + (schedule.kind == .weekly ? " to \(f.string(from: Date(timeIntervalSince1970: Double(to - 1) / 1000)))" : "")
            var rendered = RenderedNotification(title: title, text: channel.kind == .email ? text : "```\n" + text + "\n```")
            if channel.kind == .email {
                rendered.html = "<html><body><h3>\(title)</h3><pre>" + text.replacingOccurrences(of: "&", with: "&amp;")
                    .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;") + "</pre></body></html>"
            }
            if channel.kind == .webhook {
                rendered.body = ChannelRequest.json(["kind": schedule.kind.rawValue, "title": title, "text": text, "from": from, "to": to])
            }
            try await store.commitNotifications([NewNotification(channel: channel.name, groupKey: "report/\(schedule.kind.rawValue)", status: "report",
                                                                 fingerprints: [], rendered: rendered, notBefore: now)],
                                                groups: [], removed: [], now: now)
            try await store.setSetting(schedule.settingKey, to: String(due), now: now)
            state.withLock { $0.reportsHandled[schedule.settingKey] = due }
            logger.info("notifications: the \(schedule.kind.rawValue) report queued for \(channel.name)")
        }
    }

    /// Escalation: a firing alert that matches a policy, is not acknowledged and not muted, takes each step whose
    /// delay has passed since it fired; the step is recorded on its timeline and in the audit log with the messages
    /// it sends, in one transaction, so it is taken once. Acknowledging stops the next steps.
    func escalate(_ alerts: [StoredAlert], now: Int64) async throws {
        guard !config.escalations.isEmpty else { return }
        var matched: [(StoredAlert, EscalationPolicy)] = []
        for a in alerts where a.state == "firing" && a.ackedBy == nil && a.mutedBy == nil {
            let labels = NotificationDispatcher.routingLabels(a)
            if let p = config.escalations.first(where: { $0.matchers.allMatch { labels[$0] } }) { matched.append((a, p)) }
        }
        guard !matched.isEmpty else { return }
        let since = Dictionary(matched.map { ($0.0.fingerprint, $0.0.firedAt ?? $0.0.activeSince) }, uniquingKeysWith: { a, _ in a })
        let taken = try await store.escalationsTaken(fingerprints: matched.map(\.0.fingerprint), since: since)
        let dispatcher = state.withLock { $0.dispatcher }
        for (a, policy) in matched {
            let firedAt = since[a.fingerprint] ?? now
            let done = Set(policy.steps.indices.filter { taken[a.fingerprint]?.contains(EscalationPolicy.stepName(policy.name, $0)) ?? false })
            for i in policy.due(firedAt: firedAt, now: now, done: done) {
                var mentions: [String: [String]] = [:]
                var order: [String] = []
                var told: [String] = []
                for target in policy.steps[i].notify {
                    guard let r = config.recipient(target, at: now) else {
                        told.append("\(target) (nobody: no one on call or no contact)")
                        logger.warning("notifications: escalation \(policy.name) step \(i + 1) of \(a.rule): \(target) leads nowhere now")
                        continue
                    }
                    if mentions[r.channel] == nil { order.append(r.channel) }
                    mentions[r.channel, default: []] += r.mention.map { [$0] } ?? []
                    told.append(r.person.map { "\($0) via \(r.channel)" } ?? r.channel)
                }
                let waited = TemplateFunctions.humanizeDuration(Double((now - firedAt) / 1000))  // whole seconds
                let headline = "Escalation \(policy.name), step \(i + 1): not acknowledged for \(waited)"
                var queued: [NewNotification] = []
                for channelName in order {
                    guard let channel = config.channel(named: channelName) else { continue }
                    var m = NotificationMessage(receiver: channelName, groupKey: "escalation/\(policy.name)/\(a.fingerprint)",
                                                groupLabels: ["alertname": a.rule], alerts: [dispatcher.message(a, firing: [a.fingerprint])],
                                                externalURL: config.externalURL ?? "")
                    m.escalation = headline
                    m.mentions = mentions[channelName] ?? []
                    do {
                        let rendered = try NotificationRenderer.render(m, channel: channel, now: now)
                        queued.append(NewNotification(channel: channelName, groupKey: m.groupKey, status: "escalation",
                                                      fingerprints: [a.fingerprint], rendered: rendered, notBefore: now))
                    } catch {
                        logger.error("notifications: the template of channel \(channelName) failed: \(error)")
                    }
                }
                try await store.recordEscalation(fingerprint: a.fingerprint, policy: policy.name, step: i,
                                                 detail: "not acknowledged for \(waited); told \(told.isEmpty ? "nobody" : told.joined(separator: ", "))",
                                                 notifications: queued, now: now)
                logger.info("notifications: \(headline) (\(a.rule) on \(a.host ?? "the fleet"))")
            }
        }
    }

    /// The latest remediation run of an alert, in a few words.
    func remediationState(_ fingerprint: String) async throws -> String? {
        guard let run = try await store.runs(RunFilter(alertFingerprint: fingerprint, limit: 1)).first else { return nil }
        switch run.state {
        case .awaitingApproval: return "\(run.runbook) awaiting approval: vigil runbook approve \(run.id)"
        case .proposed: return "\(run.runbook) proposed: vigil runbook run \(run.runbook) --host \(run.host)"
        default: return "\(run.runbook) \(run.state.rawValue.replacingOccurrences(of: "_", with: " "))"
        }
    }

    func dispatch(_ alerts: [StoredAlert], now: Int64) async throws {
        var dispatcher = state.withLock { $0.dispatcher }
        let before = dispatcher.groups
        let messages = dispatcher.step(alerts: alerts, now: now)
        var queued: [NewNotification] = []
        for var m in messages {
            guard let channel = config.channel(named: m.receiver) else { continue }
            for i in m.alerts.indices.prefix(NotificationRenderer.listedAlerts) {
                m.alerts[i].remediation = try await remediationState(m.alerts[i].fingerprint)
            }
            do {
                let rendered = try NotificationRenderer.render(m, channel: channel, now: now)
                queued.append(NewNotification(channel: channel.name, groupKey: m.groupKey, status: m.status,
                                              fingerprints: m.alerts.map(\.fingerprint), rendered: rendered, notBefore: now))
            } catch {
                logger.error("notifications: the template of channel \(channel.name) failed: \(error); the message is not sent")
            }
        }
        let changed = dispatcher.groups.values.filter { before[$0.key] != $0 }
        let removed = before.keys.filter { dispatcher.groups[$0] == nil }
        if !queued.isEmpty || !changed.isEmpty || !removed.isEmpty {
            try await store.commitNotifications(queued, groups: Array(changed), removed: removed, now: now)
        }
        state.withLock { $0.dispatcher = dispatcher }
    }

    func deliverDue(now: Int64) async throws {
        let due = try await store.dueNotifications(now: now, limit: 50)
        guard !due.isEmpty else { return }
        let t = transports()
        for entry in due {
            guard let channel = config.channel(named: entry.notification.channel) else {
                let id = try await store.beginDeliveryAttempt(outboxID: entry.id, now: now)
                try await store.finishDeliveryAttempt(DeliveryAttempt(id: id, outboxID: entry.id, startedAt: now, outcome: .dead,
                                                                      error: "no channel named \(entry.notification.channel) in the config"), nextAttemptAt: nil)
                continue
            }
            let started = WallClock.nowMs()
            let attemptID = try await store.beginDeliveryAttempt(outboxID: entry.id, now: started)
            var attempt = await Self.deliver(entry.notification.rendered, channel: channel, transports: t, environment: environment,
                                             messageID: "\(entry.id).\(entry.attempts + 1)@vigil", nowMs: started)
            attempt.id = attemptID
            attempt.outboxID = entry.id
            attempt.startedAt = started
            var nextAt: Int64?
            if attempt.outcome == .retry {
                if entry.attempts + 1 >= channel.maxAttempts {
                    attempt.outcome = .dead
                    attempt.error = (attempt.error ?? "") + "; gave up after \(channel.maxAttempts) attempts"
                } else {
                    nextAt = WallClock.nowMs() + Self.backoffMs(attempt: entry.attempts + 1)
                }
            }
            // The answer is recorded even when a stop cancels this task meanwhile: a message the receiver took but
            // the store does not know of is sent again after a restart.
            let store = self.store, finished = attempt
            try await Task.detached { try await store.finishDeliveryAttempt(finished, nextAttemptAt: nextAt) }.value
            switch attempt.outcome {
            case .delivered: logger.info("notifications: \(channel.name) got notification \(entry.id) (\(entry.notification.status))")
            case .dead: logger.error("notifications: notification \(entry.id) to \(channel.name) is a dead letter: \(attempt.error ?? "")")
            default: logger.warning("notifications: \(channel.name) did not take notification \(entry.id): \(attempt.error ?? ""); retrying")
            }
        }
    }

    /// Exponential backoff with ±20 % jitter: 2 s, 4 s, 8 s, … up to 10 minutes.
    public static func backoffMs(attempt: Int, random: Double = Double.random(in: 0.8...1.2)) -> Int64 {
        let base = min(600_000.0, 2_000 * pow(2, Double(max(0, attempt - 1))))
        return Int64(base * random)
    }

    /// Sends one rendered notification to `channel` (blocking I/O off the cooperative pool) and classifies the
    /// answer: delivered, retry (network, timeout, 429, 5xx) or dead (another 4xx, a refused message, a secret
    /// that cannot be read).
    public static func deliver(_ rendered: RenderedNotification, channel: NotifyChannel, transports: (http: any HTTPTransport, mail: any MailTransport),
                               environment: [String: String], messageID: String, nowMs: Int64) async -> DeliveryAttempt {
        var attempt = DeliveryAttempt(id: 0, outboxID: 0, startedAt: nowMs, outcome: .dead)
        let request: ChannelRequest
        do {
            let url = try channel.url.resolve(environment: environment)
            let secret = try channel.secret?.resolve(environment: environment)
            let password = try channel.password?.resolve(environment: environment)
            request = ChannelRequest.make(rendered, channel: channel, url: url, secret: secret, password: password, nowMs: nowMs, messageID: messageID)
        } catch {
            attempt.error = "channel \(channel.name): \(error.message)"
            return attempt
        }
        let box = UncheckedTransports(transports)
        let started = WallClock.monotonicNs()
        let result: Result<(Int, [UInt8]), HTTPTransportError> = await withCheckedContinuation { c in
            DispatchQueue.global().async {
                switch request {
                case .http(let r):
                    do throws(HTTPTransportError) { let resp = try box.value.http.perform(r, maxResponseBytes: 64 * 1024); c.resume(returning: .success((resp.status, resp.body))) }
                    catch { c.resume(returning: .failure(error)) }
                case .mail(let m):
                    do throws(HTTPTransportError) {
                        let code = try box.value.mail.sendMail(server: m.server, from: m.from, to: m.to, username: m.username, password: m.password,
                                                               message: m.rfc5322(), timeoutMs: m.timeoutMs, caFile: m.caFile)
                        c.resume(returning: .success((code, [])))
                    }
                    catch { c.resume(returning: .failure(error)) }
                }
            }
        }
        attempt.latencyMs = Double(WallClock.monotonicNs() - started) / 1e6
        switch result {
        case .failure(let e):
            attempt.outcome = .retry
            attempt.error = e.message
        case .success(let (status, body)):
            attempt.status = status
            attempt.answer = String(decoding: body.prefix(500), as: UTF8.self)
            let (ok, reason) = ChannelRequest.accepted(kind: channel.kind, status: status, body: body)
            if ok {
                attempt.outcome = .delivered
            } else {
                attempt.outcome = (status == 429 || status >= 500 || Self.isRobotRateLimit(body)) ? .retry : .dead
                let answer = String(decoding: body.prefix(200), as: UTF8.self)
                attempt.error = (reason ?? "HTTP \(status)") + (answer.isEmpty ? "" : ": " + answer)
            }
        }
        return attempt
    }

    /// DingTalk's 130101 (sending too fast) and Feishu's 11232 / 9499 (frequency limited) are worth a retry.
    static func isRobotRateLimit(_ body: [UInt8]) -> Bool {
        guard let o = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return false }
        let code = (o["errcode"] ?? o["code"]) as? Int ?? 0
        return [130101, 11232, 9499, 45009].contains(code)
    }
}

/// The blocking transports, handed to one worker thread at a time.
private final class UncheckedTransports: @unchecked Sendable {
    let value: (http: any HTTPTransport, mail: any MailTransport)
    init(_ value: (http: any HTTPTransport, mail: any MailTransport)) { self.value = value }
}

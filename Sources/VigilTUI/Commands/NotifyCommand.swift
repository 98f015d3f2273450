import ArgumentParser
import Foundation
import VigilCore
import VigilHTTP
import VigilWire

/// `vigil notify test|preview|list|outbox|retry|check`: notification channels, tried and inspected.
struct NotifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify",
        abstract: "Notification channels: try one, preview a message, list the outbox, retry a dead letter.",
        subcommands: [Test.self, Preview.self, List.self, Outbox.self, Retry.self, Check.self, ImportAlertmanager.self]
    )

    struct ConfigOption: ParsableArguments {
        @Option(name: .customLong("notify"), help: ArgumentHelp("The notification config (default $VIGIL_NOTIFY, ~/.config/vigil/notify.yaml or /etc/vigil/notify.yaml).", valueName: "FILE"))
        var path: String?

        func load() throws -> NotifyConfig {
            guard let config = try loadIfAny() else {
                throw CommandFailure("no notification config: write ~/.config/vigil/notify.yaml or /etc/vigil/notify.yaml (docs/notifications.md), or pass --notify FILE")
            }
            return config
        }

        /// The config named or found in the default places; nil when there is none; a broken one is an error.
        func loadIfAny() throws -> NotifyConfig? {
            guard let path = path ?? NotifyConfig.defaultPath() else { return nil }
            do {
                return try NotifyConfig.load(path: path)
            } catch {
                throw CommandFailure(error.description)
            }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a real test message and print the receiver's answer.",
            discussion: """
                vigil notify test ops-dingtalk                      a configured channel
                vigil notify test --kind slack --url https://hooks.slack.com/services/…
                vigil notify test --kind dingtalk --url 'https://oapi.dingtalk.com/robot/send?access_token=…' --secret SEC…
                vigil notify test --kind email --url smtps://smtp.example.org:465 --from vigil@example.org --to me@example.org
                """)
        @OptionGroup var config: ConfigOption
        @Argument(help: "A channel of the config.")
        var channel: String?
        @Option(help: ArgumentHelp("A channel not yet configured: its kind (\(NotifyChannel.Kind.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "KIND"))
        var kind: String?
        @Option(help: "Its URL (smtp:// or smtps:// for email).")
        var url: String?
        @Option(help: "Its signing secret (DingTalk, Feishu).")
        var secret: String?
        @Option(help: "Email: the sender.")
        var from: String?
        @Option(help: "Email: a recipient (repeatable).")
        var to: [String] = []

        func validate() throws {
            if channel == nil && kind == nil { throw ValidationError("name a channel of the config, or give --kind and --url to try one first") }
            if channel != nil && kind != nil { throw ValidationError("give a channel name or --kind/--url, not both") }
            if let kind {
                guard let k = NotifyChannel.Kind(rawValue: kind) else {
                    throw ValidationError("--kind '\(kind)' is not one of \(NotifyChannel.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                guard url != nil else { throw ValidationError("--kind needs --url") }
                if k == .email && (from == nil || to.isEmpty) { throw ValidationError("an email test needs --from and at least one --to") }
            }
        }

        func run() throws {
            var ch: NotifyChannel
            var external = ""
            if let name = channel {
                let config = try config.load()
                guard let found = config.channel(named: name) else {
                    throw CommandFailure("no channel '\(name)' in \(config.source) (channels: \(config.channels.map(\.name).joined(separator: ", ")))")
                }
                ch = found
                external = config.externalURL ?? ""
            } else {
                ch = NotifyChannel(name: "test", kind: NotifyChannel.Kind(rawValue: kind!)!, url: .literal(url!))
                ch.secret = secret.map { .literal($0) }
                ch.from = from
                ch.to = to
            }
            let now = WallClock.nowMs()
            let message = NotificationService.testMessage(channel: ch.name, externalURL: external, now: now)
            let rendered: RenderedNotification
            do { rendered = try NotificationRenderer.render(message, channel: ch, now: now) } catch {
                throw CommandFailure("channel \(ch.name): its template failed: \(error)")
            }
            let channel = ch
            let attempt = try Blocking.run {
                await NotificationService.deliver(rendered, channel: channel, transports: (HTTPClient(), SMTPClient()),
                                                  environment: ProcessInfo.processInfo.environment, messageID: "test.\(now)@vigil", nowMs: now)
            }
            let took = attempt.latencyMs.map { String(format: "%.0f ms", $0) } ?? "-"
            let status = attempt.status.map { channel.kind == .email ? "SMTP \($0)" : "HTTP \($0)" } ?? "no answer"
            print("\(channel.name) (\(channel.publicDescription)): \(status) in \(took)")
            if let answer = attempt.answer, !answer.isEmpty { print("answer: \(answer)") }
            guard attempt.outcome == .delivered else {
                throw CommandFailure("not delivered: \(attempt.error ?? "unknown error")\(attempt.outcome == .retry ? " (a retry might succeed)" : "")")
            }
            print("delivered")
        }
    }

    struct Preview: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Render a channel's message for an alert, without sending it.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var config: ConfigOption
        @Argument(help: "A channel of the config.")
        var channel: String
        @Option(help: ArgumentHelp("The alert's fingerprint (vigil alerts shows them; default: a made-up test alert).", valueName: "FP"))
        var alert: String?

        func run() throws {
            let config = try config.load()
            guard let ch = config.channel(named: channel) else {
                throw CommandFailure("no channel '\(channel)' in \(config.source) (channels: \(config.channels.map(\.name).joined(separator: ", ")))")
            }
            let now = WallClock.nowMs()
            var message = NotificationService.testMessage(channel: ch.name, externalURL: config.externalURL ?? "", now: now)
            if let fp = alert {
                let store = try self.store.open()
                guard let a = try Blocking.run({ try await store.alert(fingerprint: fp) }) else { throw CommandFailure("no alert with fingerprint \(fp)") }
                let dispatcher = NotificationDispatcher(config: config)
                let m = dispatcher.message(a, firing: a.state == "resolved" ? [] : [a.fingerprint])
                message = NotificationMessage(receiver: ch.name, groupKey: "\(ch.name)/preview", groupLabels: ["alertname": a.rule], alerts: [m],
                                              externalURL: config.externalURL ?? "")
            }
            let r: RenderedNotification
            do { r = try NotificationRenderer.render(message, channel: ch, now: now) } catch { throw CommandFailure("the template failed: \(error)") }
            print("title: \(r.title)\n\n\(r.text)")
            if let html = r.html { print("\n--- html ---\n\(html)") }
            if let body = r.body { print("\n--- body ---\n\(body)") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The channels, where their secrets come from, and each one's last delivery.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var config: ConfigOption

        func run() throws {
            let config = try config.load()
            let store = try self.store.open()
            let recent = try Blocking.run { try await store.notifications(states: nil, channel: nil, limit: 500) }
            print("channels from \(config.source):")
            for ch in config.channels {
                var line = "  \(ch.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(ch.publicDescription)"
                if ch.kind != .email, case .literal = ch.url {} else { line += ", url \(ch.url.publicDescription)" }
                if let s = ch.secret { line += ", signed (secret \(s.publicDescription))" }
                if !ch.to.isEmpty { line += ", to \(ch.to.joined(separator: ", "))" }
                if let last = recent.first(where: { $0.notification.channel == ch.name }) {
                    line += "; last: \(last.state.rawValue) \(TimeText.iso(last.deliveredAt ?? last.createdAt))"
                    if let e = last.lastError, last.state != .delivered { line += " (\(e))" }
                } else {
                    line += "; nothing sent yet"
                }
                print(line)
            }
            print("routes: alerts go to \(config.route.receiver ?? "-") unless one of \(config.route.routes.count) routes takes them")
        }
    }

    struct Outbox: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recent notifications and their delivery; --dead for dead letters.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Only dead letters.")
        var dead = false
        @Option(help: "Only this channel.")
        var channel: String?
        @Option(help: "How many (default 30).")
        var limit = 30

        func run() throws {
            let store = try self.store.open()
            let (dead, channel, limit) = (self.dead, self.channel, self.limit)
            let rows = try Blocking.run { try await store.notifications(states: dead ? [.dead] : nil, channel: channel, limit: limit) }
            if rows.isEmpty { print(dead ? "no dead letters" : "no notifications yet"); return }
            for r in rows {
                let when = TimeText.iso(r.deliveredAt ?? r.createdAt)
                var line = "\(String(r.id).padding(toLength: 6, withPad: " ", startingAt: 0)) \(r.state.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(when)  \(r.notification.channel): \(r.notification.rendered.title)"
                line += "  [\(r.attempts) attempt\(r.attempts == 1 ? "" : "s")]"
                if let e = r.lastError, r.state != .delivered { line += "  \(e)" }
                print(line)
            }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a dead letter again (the engine sends it within a second).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The notification's id (vigil notify outbox --dead).")
        var id: Int64

        func run() throws {
            let store = try self.store.open()
            let actor = try Operator.require(.acknowledge, store: store)
            let id = self.id
            guard try Blocking.run({ try await store.retryNotification(id: id, actor: actor.name, now: WallClock.nowMs()) }) else {
                throw CommandFailure("no notification \(id) waiting to be sent (delivered ones are not sent again)")
            }
            print("notification \(id) queued again")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate the notification config and say where each secret comes from.")
        @OptionGroup var config: ConfigOption

        func run() throws {
            let config = try config.load()
            print("\(config.source): OK: \(config.channels.count) channels (\(config.channels.map { "\($0.name): \($0.kind.rawValue)" }.joined(separator: ", "))), \(config.route.routes.count) routes")
            for ch in config.channels {
                for (what, s) in [("url", ch.url), ("secret", ch.secret), ("password", ch.password)] {
                    guard let s else { continue }
                    do { _ = try s.resolve() } catch { print("warning: channel \(ch.name): its \(what) cannot be read now: \(error)") }
                }
            }
        }
    }

    struct ImportAlertmanager: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-alertmanager",
            abstract: "Convert an Alertmanager config (routes; webhook, email and Slack receivers) to notify.yaml; list what could not be converted."
        )
        @Argument(help: ArgumentHelp("An Alertmanager config.", valueName: "FILE")) var file: String
        @Option(help: ArgumentHelp("Write the Vigil config here instead of standard output.", valueName: "OUT")) var out: String?

        func run() throws {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw CommandFailure("\(file): cannot read the file") }
            let result: AlertmanagerConfigImporter.Result
            do { result = try AlertmanagerConfigImporter.convert(yaml: text, file: file) } catch { throw CommandFailure("\(error)") }
            if let out {
                try result.yaml.write(toFile: out, atomically: true, encoding: .utf8)
            } else {
                print(result.yaml, terminator: "")
            }
            var report = "converted \(result.channels) channel(s) and \(result.routes) route(s)"
            if !result.skipped.isEmpty { report += "; not converted:" }
            for s in result.skipped { report += "\n  \(s)" }
            FileHandle.standardError.write(Data((report + "\n").utf8))
        }
    }
}

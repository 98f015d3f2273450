import VigilTheme
import Foundation
import Glibc
import VigilCore
import VigilHTTP
import VigilWire

/// The interactive console: curses on the calling thread, a background poller feeding a mailbox, one loop.
enum ConsoleApp {
    /// Frames are at most this often (ms).
    static let frameInterval: Int64 = 33

    /// Runs the console until the user quits. Blocks the calling thread, which becomes the only thread that
    /// touches curses; call it from a synchronous context (or use `runOnDedicatedThread` from async code so no
    /// cooperative thread is blocked). The terminal is restored on every exit path, errors included.
    static func run(_ options: ConsoleOptions) throws {
        unblockTerminalSignals()
        let environment = ProcessInfo.processInfo.environment
        let (theme, themeError) = ThemeLoader.loadOrFallback(options.themeName, directories: options.themeDirectories)
        let pipe = try WakePipe()
        let mailbox = Mailbox(pipe: pipe)
        let rules = RuleAccess(status: options.ruleStatus, rules: options.rules, reload: options.reloadRules)
        let poller = FleetPoller(reader: options.reader, store: options.store, rules: rules, mailbox: mailbox,
                                 interval: options.refreshInterval, standby: options.standby)
        let catalog = options.catalog ?? RunbookCatalog.load(userDirectory: RunbookCatalog.defaultUserDirectory())
        // Read-only: the remediator blocks every plan as well, so nothing can run even if a request slipped through.
        let remediator = options.store.map { Remediator(store: $0, catalog: catalog, policy: options.safety, readOnly: options.readOnly) }
        let worker = RemediationWorker(remediator: remediator, user: options.user, rules: options.rules, mailbox: mailbox) {
            poller.refreshNow()
        }
        let (chatWorker, chatSettings) = makeChatWorker(options, remediator: remediator, mailbox: mailbox)
        let signals = SignalForwarder.install(writeFD: pipe.writeFD)
        defer { signals.restore() }
        let terminal = try Terminal(environment: environment)
        defer { terminal.stop() }

        let controller = ConsoleController(
            readOnly: options.readOnly, user: options.user, storeDescription: options.storeDescription,
            listenerDescription: options.listenerDescription, themeDirectories: options.themeDirectories,
            theme: theme, glyphs: terminal.isUTF8 ? .unicode : .ascii,
            rulesEvaluatedHere: options.ruleStatus != nil, canReloadRules: options.reloadRules != nil, catalog: catalog, chat: chatSettings)
        controller.ruleWarnings = options.ruleWarnings
        controller.notifyConfig = options.notifyConfig
        controller.warnings = options.warnings + catalog.warnings + catalog.errors.map { "runbook \($0)" }
        controller.refreshGrace = max(10_000, Int64(options.refreshInterval * 3000))
        if let themeError { controller.showMessage(themeError, isError: true, now: FleetPoller.nowMs()) }
        if let problem = chatSettings.problem { controller.showMessage("AI configuration: \(problem) (the assistant is off)", isError: true, now: FleetPoller.nowMs()) }
        var palette = Palette.compile(controller.theme, mode: terminal.colorMode, maxPairs: terminal.maxPairs)
        terminal.install(palette)

        let task = Task.detached { await poller.run() }
        let followTask = Task.detached { await worker.run() }
        let tails = options.store.map { LogTailWorker(store: $0, mailbox: mailbox, pushed: options.engineInProcess) }
        defer {
            tails?.finish()
            poller.finish()
            task.cancel()
            followTask.cancel()
        }

        var lastFrame: Int64 = 0
        var fullRedraw = true
        var lastSecond = FleetPoller.nowMs() / 1000
        loop: while true {
            let now = FleetPoller.nowMs()
            var timeout = Int32(1000 - now % 1000)
            if controller.isDirty { timeout = Int32(max(0, frameInterval - (now - lastFrame))) }
            var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: pipe.readFD, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, timeout)
            if fds[1].revents != 0, pipe.drain() { break loop }

            let t = FleetPoller.nowMs()
            for message in mailbox.drain() { controller.receive(message, now: t) }
            for key in terminal.readKeys() {
                if key == .resize { controller.setNeedsDisplay() } else { controller.handle(key, now: t) }
            }
            for effect in controller.takeEffects() {
                switch effect {
                case .quit:
                    break loop
                case .fullRedraw:
                    fullRedraw = true
                    controller.setNeedsDisplay()
                case .refreshNow:
                    poller.refreshNow()
                case .perform(let request):
                    poller.perform(request, actor: options.user.name)
                case .reloadRules:
                    poller.reloadRules()
                case .remediate(let request):
                    worker.perform(request)
                case .chat(let request):
                    chatWorker.perform(request)
                case .testChannel(let channel, let externalURL):
                    Task.detached {
                        let now = WallClock.nowMs()
                        let message = NotificationService.testMessage(channel: channel.name, externalURL: externalURL, now: now)
                        guard let rendered = try? NotificationRenderer.render(message, channel: channel, now: now) else {
                            mailbox.post(.actionResult("\(channel.name): its template failed (vigil notify preview \(channel.name))", isError: true))
                            return
                        }
                        let a = await NotificationService.deliver(rendered, channel: channel, transports: (HTTPClient(), SMTPClient()),
                                                                  environment: ProcessInfo.processInfo.environment,
                                                                  messageID: "test.\(now)@vigil", nowMs: now)
                        let answer = a.status.map { "\(channel.kind == .email ? "SMTP" : "HTTP") \($0)" } ?? "no answer"
                        if a.outcome == .delivered {
                            mailbox.post(.actionResult("\(channel.name): test delivered (\(answer), \(Int(a.latencyMs ?? 0)) ms)", isError: false))
                        } else {
                            mailbox.post(.actionResult("\(channel.name): test not delivered: \(a.error ?? answer)", isError: true))
                        }
                    }
                case .themeChanged:
                    palette = Palette.compile(controller.theme, mode: terminal.colorMode, maxPairs: terminal.maxPairs)
                    terminal.install(palette)
                    fullRedraw = true
                }
            }
            poller.subscribe(controller.pollInterest)
            worker.follow(controller.followedRuns)
            tails?.want(controller.pollInterest.logs?.follow)
            if t / 1000 != lastSecond {
                lastSecond = t / 1000
                controller.setNeedsDisplay() // the clock and "refreshed Ns ago"
            }
            if controller.isDirty && t - lastFrame >= frameInterval {
                let (width, height) = terminal.size
                var canvas = Canvas(width: width, height: height, glyphs: controller.glyphs)
                controller.render(into: &canvas, now: t)
                terminal.present(canvas, palette: palette, cursor: controller.cursor, clearFirst: fullRedraw)
                fullRedraw = false
                lastFrame = t
            }
        }
    }

    /// The chat pane's worker: an `AIClient` logging every call in the store, and the read-only fleet tools on
    /// behalf of the console's user (their `propose_runbook` plans through the console's remediator, so
    /// `--readonly` blocks every proposal too). A broken AI configuration turns the assistant off and says why.
    static func makeChatWorker(_ options: ConsoleOptions, remediator: Remediator?, mailbox: Mailbox) -> (ChatWorker, ChatSettings) {
        var config = AIConfig()
        var problem: String?
        if let given = options.ai {
            config = given
        } else {
            do { config = try AIConfig.load() } catch { problem = error.description }
        }
        var client: AIClient?
        do {
            client = try AIClient(config: config, log: options.store.map { StoreAICallLog(store: $0) })
        } catch {
            problem = error.description
            config.apiKey = nil
        }
        let tools = options.store.flatMap { store in
            remediator.map { FleetTools(store: store, remediator: $0, requester: .user(name: options.user.name, role: options.user.role)) }
        }
        let worker = ChatWorker(client: client, tools: tools, store: options.store, mailbox: mailbox)
        return (worker, ChatSettings(config, problem: problem))
    }

    /// A process can start with signals blocked (the mask is inherited across fork and exec, and thread
    /// pools block most signals). With SIGWINCH blocked the console would never see a resize, so the
    /// curses thread unblocks the signals it relies on.
    static func unblockTerminalSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGCONT, SIGTSTP] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Runs the console on a thread of its own and waits for it, for callers in async code.
    static func runOnDedicatedThread(_ options: ConsoleOptions) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                do {
                    try run(options)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "vigil-console"
            thread.start()
        }
    }
}

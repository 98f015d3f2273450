import VigilCore

/// Where background work leaves immutable messages for the UI thread, which it then wakes through the pipe.
final class Mailbox: Sendable {
    private let queue = Locked<[ConsoleMessage]>([])
    let pipe: WakePipe

    init(pipe: WakePipe) {
        self.pipe = pipe
    }

    /// Posts a message and wakes the loop.
    func post(_ message: ConsoleMessage) {
        queue.withLock { $0.append(message) }
        pipe.wake()
    }

    /// Takes every pending message, oldest first.
    func drain() -> [ConsoleMessage] {
        queue.withLock { messages in
            defer { messages.removeAll() }
            return messages
        }
    }
}

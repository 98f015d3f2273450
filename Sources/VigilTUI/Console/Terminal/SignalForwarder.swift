import Glibc

/// The wake pipe's write end, for signal handlers (which cannot capture context). Written once before the
/// handlers are installed, read only by them.
nonisolated(unsafe) private var signalWakeFD: Int32 = -1

/// Turns SIGTERM, SIGHUP and SIGINT into a terminate byte on the wake pipe, so the UI loop exits through its
/// normal path and restores the terminal. SIGWINCH is left to ncurses (which then reports KEY_RESIZE).
struct SignalForwarder {
    private static let signals: [Int32] = [SIGTERM, SIGHUP, SIGINT]
    private var previous: [(Int32, sigaction)] = []

    /// Installs the handlers; call before curses starts so ncurses keeps them.
    static func install(writeFD: Int32) -> SignalForwarder {
        signalWakeFD = writeFD
        var forwarder = SignalForwarder()
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in
                var byte: UInt8 = 0x54 // WakePipe.terminateByte
                _ = write(signalWakeFD, &byte, 1)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            var old = sigaction()
            if sigaction(signal, &action, &old) == 0 { forwarder.previous.append((signal, old)) }
        }
        return forwarder
    }

    /// Puts the previous handlers back.
    func restore() {
        for (signal, old) in previous {
            var action = old
            sigaction(signal, &action, nil)
        }
    }
}

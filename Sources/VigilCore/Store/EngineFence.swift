/// Fencing by lease generation: the lease row counts a generation that rises each time the lease changes hands.
/// A store remembers the generation its engine acquired; every write only the holder makes (recording alerts,
/// queueing and sending notifications, escalating, starting a rule's runbook) first checks, inside its own
/// transaction, that the row still names this holder at that generation. An engine that stalled (SIGSTOP, a long
/// pause) and woke after another took over is refused, so nothing is sent or run twice across a hand-over.
struct EngineFence: Sendable, Equatable {
    var holder: String
    var generation: Int64

    /// Throws when the lease row (`holder`, `generation`; nil when there is none) is no longer ours.
    func check(holder current: String?, generation currentGeneration: Int64?) throws {
        guard current == holder, currentGeneration == generation else {
            throw StoreError("fenced: this engine held the lease at generation \(generation); it is now "
                + (current.map { "\($0)'s at generation \(currentGeneration ?? 0)" } ?? "nobody's")
                + ", so this engine no longer records alerts, sends notifications or starts runbooks")
        }
    }
}

import Foundation
import VigilCore
import VigilTheme

/// What the notifications pane shows, read by the poller while it is visible.
struct NotifySnapshot: Sendable {
    var takenAt: Int64
    /// Recent notifications, newest first.
    var recent: [OutboxEntry]
    /// Firing, unacknowledged alerts with the escalation steps they have taken.
    var escalating: [(alert: StoredAlert, steps: [String])]
}

/// Wording shared by the pane and its tests.
enum NotifyFormat {
    static func role(_ state: OutboxEntry.State) -> Role {
        switch state {
        case .delivered: .ok
        case .queued: .warning
        case .dead: .critical
        }
    }

    /// "primary: alice, next bob at Mon 09:00" per schedule.
    static func onCallLines(_ config: NotifyConfig, at now: Int64) -> [String] {
        config.schedules.map { s in
            var line = "\(s.name): \(s.onCall(at: now) ?? "nobody")"
            if let h = s.nextHandoff(after: now) {
                let f = DateFormatter()
                f.locale = Locale(identifier: "en_US_POSIX")
                f.timeZone = s.timeZone
                f.dateFormat = "EEE HH:mm"
                line += ", then \(s.next(after: now) ?? "?") from \(f.string(from: Date(timeIntervalSince1970: Double(h) / 1000)))"
            }
            return line
        }
    }

    /// "ops dingtalk oapi.dingtalk.com: delivered 2m ago" per channel.
    static func channelLines(_ config: NotifyConfig, recent: [OutboxEntry], now: Int64) -> [(String, Role)] {
        config.channels.map { ch in
            guard let last = recent.first(where: { $0.notification.channel == ch.name }) else {
                return ("\(ch.name) (\(ch.publicDescription)): nothing sent yet", .muted)
            }
            let when = Format.age(now - (last.deliveredAt ?? last.createdAt))
            var text = "\(ch.name) (\(ch.publicDescription)): \(last.state.rawValue) \(when) ago"
            if last.state != .delivered, let e = last.lastError { text += ": \(e)" }
            return (text, role(last.state))
        }
    }
}

import ArgumentParser
import Foundation
import VigilCore
import VigilWire

/// `vigil oncall now|schedule`: who is on call, from the schedules in the notification config.
struct OnCallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oncall",
        abstract: "Who is on call now, and the coming hand-overs (schedules in notify.yaml).",
        subcommands: [Now.self, Shifts.self],
        defaultSubcommand: Now.self
    )

    static func at(_ text: String?) throws -> Int64 {
        guard let text else { return WallClock.nowMs() }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        for format in ["yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd"] {
            f.dateFormat = format
            if let d = f.date(from: text) { return Int64(d.timeIntervalSince1970 * 1000) }
        }
        throw ValidationError("--at '\(text)' is not a date and time; write e.g. 2026-12-08 18:00 (local time)")
    }

    static func local(_ ms: Int64, _ zone: TimeZone) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = "EEE yyyy-MM-dd HH:mm zzz"
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    struct Now: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Who is on call now (or --at a time), per schedule.")
        @OptionGroup var config: NotifyCommand.ConfigOption
        @Option(help: ArgumentHelp("A moment other than now, in local time.", valueName: "YYYY-MM-DD HH:MM"))
        var at: String?

        func run() throws {
            let config = try config.load()
            let t = try OnCallCommand.at(at)
            guard !config.schedules.isEmpty else {
                throw CommandFailure("\(config.source) has no on-call schedules (oncall: schedules:, see docs/notifications.md)")
            }
            for s in config.schedules {
                let who = s.onCall(at: t)
                var line = "\(s.name): \(who ?? "nobody")"
                if let who, let c = config.contacts[who] { line += " (via \(c.channel)\(c.mention.map { ", mention \($0)" } ?? ""))" }
                if let h = s.nextHandoff(after: t) { line += "; next: \(s.next(after: t) ?? "?") at \(OnCallCommand.local(h, s.timeZone))" }
                print(line)
            }
        }
    }

    struct Shifts: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "shifts", abstract: "The hand-overs of a schedule over the coming days.")
        @OptionGroup var config: NotifyCommand.ConfigOption
        @Argument(help: "The schedule.")
        var schedule: String
        @Option(help: "How many days ahead (default 14).")
        var days = 14

        func run() throws {
            let config = try config.load()
            guard let s = config.schedule(named: schedule) else {
                throw CommandFailure("no schedule '\(schedule)' (schedules: \(config.schedules.map(\.name).joined(separator: ", ")))")
            }
            let now = WallClock.nowMs()
            let end = now + Int64(days) * 86_400_000
            print("\(OnCallCommand.local(now, s.timeZone))  \(s.onCall(at: now) ?? "nobody") (now)")
            var last = s.onCall(at: now)
            // Minute by minute: layers with hours and overrides change hands between rotation hand-overs.
            var t = now - now % 60_000 + 60_000
            while t < end {
                let who = s.onCall(at: t)
                if who != last {
                    print("\(OnCallCommand.local(t, s.timeZone))  \(who ?? "nobody")")
                    last = who
                }
                t += 60_000
            }
        }
    }
}

import Foundation
import Testing
@testable import VigilCore
import VigilWire

/// Sources whose variable parts escape the masker: the per-source template cap, its shared "other" template, and
/// the warnings, in the tracker and through a real store on both backends.
@Suite struct LogSourceCapTests {
    /// A word the masker keeps (letters only, none of a–f, so never a hex id), different for every `i`.
    static func word(_ i: Int) -> String {
        String(String(i).map { Character(UnicodeScalar(UInt8(ascii: "g") + UInt8(String($0))!)) })
    }

    /// A line that starts a template of its own: its first word (the bucket) and another word change each time.
    static func escaping(_ i: Int) -> String { "worker\(word(i)) finished queue \(word(i * 7 + 3)) cleanly" }

    @Test func aSourceThatEscapesTheMaskerIsReportedAndCapped() {
        var tracker = LogTemplateTracker()
        // A well-masked source: one template for 500 lines, no warning.
        for i in 0..<500 { _ = tracker.observe("connection from 10.0.0.\(i % 250) port \(40_000 + i) closed", source: "/var/log/good.log") }
        #expect(tracker.templatesStarted(bySource: "/var/log/good.log") == 1)
        #expect(tracker.takeWarnings().isEmpty)
        // An escaping source: every line a template; reported once its last 200 lines are in.
        for i in 0..<LogTemplateTracker.recentLines - 1 { _ = tracker.observe(Self.escaping(i), source: "/var/log/bad.log") }
        #expect(tracker.takeWarnings().isEmpty, "not before 200 lines")
        _ = tracker.observe(Self.escaping(199), source: "/var/log/bad.log")
        let escape = tracker.takeWarnings()
        #expect(escape.count == 1 && escape[0].source == "/var/log/bad.log" && escape[0].message.contains("200 of its last 200 lines"), "\(escape)")
        // Up to the cap, then its new kinds of line share the other template; lines that fit a template still do.
        for i in 200..<(LogTemplateTracker.maxTemplatesPerSource + 50) { _ = tracker.observe(Self.escaping(i), source: "/var/log/bad.log") }
        #expect(tracker.templatesStarted(bySource: "/var/log/bad.log") == LogTemplateTracker.maxTemplatesPerSource)
        let cap = tracker.takeWarnings()
        #expect(cap.count == 1 && cap[0].message.contains("the cap"), "\(cap)")
        let (other, _) = tracker.observe(Self.escaping(9_999), source: "/var/log/bad.log")
        #expect(tracker.miner.template(other) == LogTemplateTracker.otherTemplate)
        let (known, _) = tracker.observe(Self.escaping(5), source: "/var/log/bad.log")
        #expect(tracker.miner.template(known) == Self.escaping(5), "a line that fits a template keeps it")
        // The good source is not capped by the bad one.
        let (fresh, _) = tracker.observe("disk sync took longer than usual", source: "/var/log/good.log")
        #expect(tracker.miner.template(fresh) == "disk sync took longer than usual")
        #expect(tracker.takeWarnings().isEmpty, "each warning once")
    }

    @Test(arguments: Backend.available) func theStoreSaysWhichSourceEscapes(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let now = WallClock.nowMs()
        let logs = (0..<250).map { LogEntry(ts: now + Int64($0), source: "/opt/app/trace.log", level: .info, message: Self.escaping($0)) }
        _ = try await store.ingest(IngestBatch(host: "web-1", logs: logs), receivedAt: now)
        let warnings = try await store.settings(prefix: "warning.log_source.")
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.key == "warning.log_source./opt/app/trace.log")
        #expect(warnings.first?.value.contains("escape the masker") == true, "\(warnings)")
    }
}

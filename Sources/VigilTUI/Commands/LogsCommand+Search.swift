import ArgumentParser
import Foundation
import VigilCore
import VigilWire

extension LogsCommand {
    /// `vigil logs search QUERY…`: the stored lines a log query selects, newest first (docs/console.md, "Log
    /// queries"). The words of the command line are joined with spaces into one query.
    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Search stored log lines: host:web-1 level>=error source:nginx \"timed out\" /5\\d\\d/ -healthcheck since:1h.",
            discussion: """
                Words and "phrases" are full-text (whole words, any case); /regex/ or /regex/i matches the message; \
                host: and source: take a name or a glob (web-*); level compares with : >= > <= <; since: and until: \
                take a duration back from now (15m, 1h, 7d) or an RFC 3339 time; key=value and key!=value match host \
                labels; - before a term negates it. Several host: (or source:) terms mean any of them.
                """
        )
        @OptionGroup var store: StoreOptions
        @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The query (quote it for the shell, or pass its words).", valueName: "QUERY"))
        var query: [String] = []
        @Option(help: "How many lines at most (newest first).")
        var limit: Int = 100
        @Option(name: .customLong("scan"), help: "How many stored lines a search may read at most before it stops and says how far back it got.")
        var scanLimit: Int = LogSearch.defaultScanLimit
        @Flag(help: "One JSON object per line (ts, host, source, level, message) instead of columns.")
        var json = false

        func validate() throws {
            guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
            guard scanLimit > 0 else { throw ValidationError("--scan must be at least 1") }
        }

        func run() throws {
            // `--` (to end the options before a term starting with '-') is not part of the query.
            let text = query.filter { $0 != "--" }.joined(separator: " ")
            let now = WallClock.nowMs()
            let parsed: LogQuery
            do throws(LogQueryError) { parsed = try LogQuery.parse(text, now: now) } catch { throw CommandFailure(Self.explain(error, in: text)) }
            let store = try self.store.open()
            let (limit, scanLimit) = (self.limit, self.scanLimit)
            let found = try Blocking.run { try await store.searchLogs(parsed, limit: limit, scanLimit: scanLimit) }
            if json {
                for l in found.lines { print(Self.json(l)) }
            } else if found.lines.isEmpty {
                print("no log lines match")
            } else {
                print(Self.render(found.lines))
            }
            if !found.complete, let back = found.searchedBack {
                FileHandle.standardError.write(Data(("vigil: stopped after reading \(found.scanned) lines, back to \(LogsFormat.dateTime(back, seconds: true)); narrow the search with since:, host: or level:, or raise --scan\n").utf8))
            }
        }

        /// The error under the query, with a caret at its place.
        static func explain(_ error: LogQueryError, in text: String) -> String {
            "the log query is not valid\n  \(text)\n  \(String(repeating: " ", count: error.position))^ \(error.description)"
        }

        /// TIME HOST SOURCE LEVEL MESSAGE, columns as wide as their widest cell.
        static func render(_ lines: [StoredLog]) -> String {
            TimeText.table(header: ["TIME", "HOST", "SOURCE", "LEVEL", "MESSAGE"], rows: lines.map {
                [LogsFormat.dateTime($0.ts, milliseconds: true), $0.host, $0.source, $0.level.rawValue, $0.message]
            })
        }

        static func json(_ l: StoredLog) -> String {
            var w = JSONWriter()
            w.beginObject()
            w.key("host"); w.string(l.host)
            w.key("id"); w.int64(l.id)
            w.key("level"); w.string(l.level.rawValue)
            w.key("message"); w.string(l.message)
            w.key("source"); w.string(l.source)
            w.key("ts"); w.int64(l.ts)
            w.endObject()
            return w.result
        }
    }
}

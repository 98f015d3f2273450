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
            let hostWidth = max(4, lines.map(\.host.count).max() ?? 0)
            let sourceWidth = min(24, max(6, lines.map(\.source.count).max() ?? 0))
            func pad(_ s: String, _ w: Int) -> String { s.count >= w ? String(s.prefix(w)) : s + String(repeating: " ", count: w - s.count) }
            var out = [pad("TIME", 23) + "  " + pad("HOST", hostWidth) + "  " + pad("SOURCE", sourceWidth) + "  LEVEL     MESSAGE"]
            for l in lines {
                out.append(LogsFormat.dateTime(l.ts, milliseconds: true) + "  " + pad(l.host, hostWidth) + "  " + pad(l.source, sourceWidth) + "  "
                           + pad(l.level.rawValue, 8) + "  " + l.message)
            }
            return out.joined(separator: "\n")
        }

        static func json(_ l: StoredLog) -> String {
            let object: [String: Any] = ["id": l.id, "ts": l.ts, "host": l.host, "source": l.source, "level": l.level.rawValue, "message": l.message]
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
            return String(decoding: data, as: UTF8.self)
        }
    }
}

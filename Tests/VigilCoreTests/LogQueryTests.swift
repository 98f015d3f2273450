import Foundation
import Testing
import VigilWire
@testable import VigilCore

@Suite struct LogQueryTests {
    let now: Int64 = 1_796_422_503_000

    func line(_ message: String, host: String = "web-1", source: String = "nginx", level: LogLevel = .info, ago: Int64 = 1000) -> StoredLog {
        StoredLog(id: 1, host: host, ts: now - ago, source: source, level: level, message: message)
    }

    @Test func theIssuesExampleReadsAsItSays() throws {
        let q = try LogQuery.parse(#"host:web-1 level>=error source:nginx "upstream timed out" since:1h until:10m"#, now: now)
        #expect(q.since == now - 3_600_000)
        #expect(q.until == now - 600_000)
        #expect(q.clauses.map(\.term) == [.host(Glob("web-1")), .level(.atLeast, .error), .source(Glob("nginx")),
                                          .words(["upstream", "timed", "out"])])
        let hit = line("2026/12/04 upstream Timed out (110) while reading", level: .error, ago: 1_800_000)
        #expect(q.matches(hit))
        #expect(!q.matches(line(hit.message, level: .warning, ago: 1_800_000)), "level")
        #expect(!q.matches(line(hit.message, host: "web-2", level: .error, ago: 1_800_000)), "host")
        #expect(!q.matches(line(hit.message, source: "app", level: .error, ago: 1_800_000)), "source")
        #expect(!q.matches(line(hit.message, level: .error, ago: 60_000)), "until")
        #expect(!q.matches(line(hit.message, level: .error, ago: 7_200_000)), "since")
        #expect(!q.matches(line("upstream out timed", level: .error, ago: 1_800_000)), "a phrase keeps its order")
    }

    @Test func negationRegexGlobsAndLabels() throws {
        let q = try LogQuery.parse(#"host:web-* -host:web-9 /5\d\d / -healthcheck env=prod -source:"cron job""#, now: now)
        let prod = ["env": "prod"]
        #expect(q.matches(line("GET / 502 upstream", host: "web-3"), labels: prod))
        #expect(!q.matches(line("GET / 502 upstream", host: "web-3"), labels: ["env": "staging"]), "label")
        #expect(!q.matches(line("GET / 502 upstream", host: "web-9"), labels: prod), "negated host")
        #expect(!q.matches(line("GET / 502 upstream", host: "db-1"), labels: prod), "host glob")
        #expect(!q.matches(line("GET /healthcheck 503 x", host: "web-3"), labels: prod), "negated word")
        #expect(!q.matches(line("GET / 200 ok", host: "web-3"), labels: prod), "regex")
        #expect(!q.matches(line("GET / 502 x", host: "web-3", source: "cron job"), labels: prod), "negated quoted source")
        let either = try LogQuery.parse("host:a host:b level:warn", now: now)
        #expect(either.matches(line("x", host: "b", level: .warning)))
        #expect(!either.matches(line("x", host: "c", level: .warning)))
        #expect(!either.matches(line("x", host: "a", level: .error)), "level: is equality")
        let insensitive = try LogQuery.parse(#"/time[d]? OUT/i level!=debug"#, now: now)
        #expect(insensitive.matches(line("Timed out")))
        #expect(!insensitive.matches(line("Timed out", level: .debug)))
        #expect(try LogQuery.parse(#"/a\/b/"#, now: now).matches(line("x a/b y")))
    }

    @Test func highlightsCoverWordsAndRegexMatches() throws {
        let q = try LogQuery.parse(#""timed out" /\d+ms/ -nothing"#, now: now)
        let message = "upstream timed  out after 3000ms; Timed out"
        let ns = message as NSString
        #expect(q.highlights(in: message).map { ns.substring(with: $0) } == ["timed  out", "3000ms", "Timed out"])
    }

    @Test func mistakesAreNamedWithTheirPlace() {
        func error(_ text: String) -> LogQueryError? {
            do { _ = try LogQuery.parse(text, now: now); return nil } catch { return error }
        }
        #expect(error(#"host:web-1 "upstream timed"#) == LogQueryError("the quote that starts here is not closed", at: 11))
        #expect(error("level>=eror")?.message.contains("'eror' is not a level") == true)
        #expect(error("level>=eror")?.position == 7)
        #expect(error("since:yesterday")?.message.contains("is not a duration") == true)
        #expect(error("foo:bar")?.message.contains("'foo' is not a field") == true)
        #expect(error("x /[a-/")?.message == "/[a-/ is not a valid regular expression")
        #expect(error("x /[a-/")?.position == 2)
        #expect(error("a /unclosed")?.message.contains("not closed") == true)
        #expect(error("!!!")?.message.contains("no letters or digits") == true)
        #expect(error("host:")?.message == "'host:' needs a value")
        #expect(error("since:1h since:2h")?.message == "since: is given twice")
        #expect(error("since:10m until:1h")?.message == "since: must be earlier than until:")
        #expect(error("-since:1h")?.message == "since: cannot be negated")
        #expect(error(#""a"b"#)?.message.contains("expected a space") == true)
        #expect(error("") == nil)
        #expect(error("since:2026-12-04T10:00:00Z") == nil)
    }

    @Test func globsAreLinearAndExact() {
        #expect(Glob("web-*").matches("web-12"))
        #expect(!Glob("web-*").matches("db-web-1"))
        #expect(Glob("*-?").matches("db-1"))
        #expect(!Glob("*-?").matches("db-12"))
        #expect(Glob("a*b*c").matches("aXbYbZc"))
        #expect(!Glob("Web").matches("web"))
        #expect(Glob("50%_*").likePattern == "50\\%\\_%")
        // A pattern that is exponential for naive backtracking answers at once.
        let text = String(repeating: "a", count: 5_000)
        #expect(!Glob(String(repeating: "*a", count: 30) + "b").matches(text))
    }

    /// SQL narrows, `matches` decides: a search through each store returns exactly what `matches` keeps of every
    /// stored line, for queries of every kind, with paging when negations and regexes reject rows.
    @Test(arguments: Backend.available) func storesAgreeWithTheQuerysMeaning(_ backend: Backend) async throws {
        let dir = TempDir()
        let store = try await backend.open(dir)
        let now = WallClock.nowMs()
        let words = ["upstream", "timed", "out", "connection", "refused", "GET", "index", "200", "502", "healthcheck",
                     "Disk", "full", "retry", "backup", "done", "slow", "query", "ms"]
        let hosts = [("web-1", ["env": "prod", "group": "web"]), ("web-2", ["env": "prod", "group": "web"]),
                     ("web-3", ["env": "staging", "group": "web"]), ("db-1", ["env": "prod", "group": "data"])]
        var rng = SplitMix64(seed: 7)
        for (h, (host, labels)) in hosts.enumerated() {
            var b = IngestBatch(host: host, labels: labels)
            for i in 0..<300 {
                let n = Int.random(in: 3...8, using: &rng)
                let message = (0..<n).map { _ in words.randomElement(using: &rng)! }.joined(separator: " ")
                b.logs.append(LogEntry(ts: now - Int64(i * 1000 + h), source: ["nginx", "app", "cron"].randomElement(using: &rng)!,
                                       level: LogLevel.allCases.randomElement(using: &rng)!, message: message))
            }
            _ = try await store.ingest(b, receivedAt: now)
        }
        let all = try await store.searchLogs(LogQuery(), limit: 10_000, scanLimit: 10_000)
        #expect(all.lines.count == 1200 && all.complete)
        #expect(zip(all.lines, all.lines.dropFirst()).allSatisfy { ($0.ts, $0.id) > ($1.ts, $1.id) }, "newest first")
        let labels = Dictionary(uniqueKeysWithValues: hosts)
        let queries = ["upstream", #""timed out""#, "upstream -timed", "level>=error", "level<warning source:nginx",
                       "host:web-* -host:web-2", "env=prod level:critical", "group!=web retry", "/\\b5\\d\\d\\b/",
                       "/disk full/i -source:cron", "since:2m until:1m", "source:c* GET 200", "-upstream -slow",
                       "host:db-1 host:web-3 query", "env=nowhere", "502 /^GET/ level>debug since:4m"]
        var nonEmpty = 0
        for text in queries {
            let q = try LogQuery.parse(text, now: now)
            let expected = all.lines.filter { q.matches($0, labels: labels[$0.host] ?? [:]) }
            let found = try await store.searchLogs(q, limit: 10_000, scanLimit: 10_000)
            #expect(found.lines.map(\.id) == expected.map(\.id), "\(backend): \(text)")
            #expect(found.complete)
            let five = try await store.searchLogs(q, limit: 5, scanLimit: 10_000)
            #expect(five.lines.map(\.id) == Array(expected.prefix(5).map(\.id)), "\(backend): \(text), limit 5")
            if !expected.isEmpty && expected.count < all.lines.count { nonEmpty += 1 }
        }
        #expect(nonEmpty >= queries.count - 2, "the queries select something, not everything")
        // A scan limit stops a search that rejects most rows, and says how far back it looked.
        let q = try LogQuery.parse("-upstream -GET -index -done", now: now)
        let bounded = try await store.searchLogs(q, limit: 1000, scanLimit: 300)
        #expect(!bounded.complete && bounded.scanned == 300)
        #expect(bounded.searchedBack == all.lines[299].ts)
        #expect(bounded.lines.map(\.id) == all.lines.prefix(300).filter { q.matches($0) }.map(\.id))
    }
}

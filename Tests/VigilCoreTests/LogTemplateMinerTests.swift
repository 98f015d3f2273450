import Foundation
import XCTest
import Testing
@testable import VigilCore
import VigilTestSupport

/// Log template mining: masking, formats, CSV output, and accuracy on the shared Loghub-2k data.
final class LogTemplateMinerTests: XCTestCase {
    // MARK: known lines → known templates

    func testSameEventDifferentValuesShareATemplate() {
        var miner = LogTemplateMiner()
        let a = miner.add("PacketResponder 1 for block blk_38865049064139660 terminating")
        let b = miner.add("PacketResponder 2 for block blk_-6952295868487656571 terminating")
        XCTAssertEqual(miner.resolve(a), miner.resolve(b))
        XCTAssertEqual(miner.template(a), "PacketResponder <*> for block <*> terminating")
        let c = miner.add("Received block blk_-1608999687919862906 of size 91178 from /10.250.10.6")
        XCTAssertNotEqual(miner.resolve(c), miner.resolve(a))
        XCTAssertEqual(miner.template(c), "Received block <*> of size <*> from <*>")
    }

    func testWordVariableGeneralisesAfterThreeDistinctValues() {
        var miner = LogTemplateMiner()
        let ids = ["root", "cyrus", "news"].map { miner.add("session opened for user \($0) by (uid=0)") }
        let first = miner.resolve(ids[0])
        XCTAssertTrue(ids.allSatisfy { miner.resolve($0) == first }, "earlier ids resolve to the merged template")
        XCTAssertEqual(miner.template(ids[0]), "session opened for user <*> by (uid=<*>)")
        let later = miner.add("session opened for user test by (uid=0)")
        XCTAssertEqual(miner.resolve(later), first)
        XCTAssertEqual(miner.templateCount, 1)
    }

    func testDifferentConstantsStayApart() {
        var miner = LogTemplateMiner()
        let error = miner.add("Link error")
        let ok = miner.add("Link ok")
        XCTAssertNotEqual(miner.resolve(error), miner.resolve(ok))
        // Two values at one position are not enough evidence of a variable.
        let https = miner.add("proxy.example.com:5070 open through proxy proxy.example.com:5070 HTTPS")
        let socks = miner.add("10.1.2.3:22 open through proxy socks.example.com:5070 SOCKS5")
        XCTAssertNotEqual(miner.resolve(https), miner.resolve(socks))
        XCTAssertEqual(miner.template(https), "<*> open through proxy <*> HTTPS")
        // Different first tokens are different events.
        let cupsd = miner.add("cupsd startup succeeded")
        let hcid = miner.add("hcid startup succeeded")
        XCTAssertNotEqual(miner.resolve(cupsd), miner.resolve(hcid))
    }

    func testVariableLengthValuesShareATemplate() {
        var miner = LogTemplateMiner()
        let a = miner.add("proxy.cse.cuhk.edu.hk:5070 close, 0 bytes sent, 0 bytes received, lifetime 00:01")
        let b = miner.add("proxy.cse.cuhk.edu.hk:5070 close, 451 bytes sent, 18846 bytes (18.4 KB) received, lifetime <1 sec")
        XCTAssertEqual(miner.resolve(a), miner.resolve(b))
        XCTAssertEqual(miner.template(a), "<*> close, <*> sent, <*> received, lifetime <*>")
        let c = miner.add("BLOCK* ask 10.250.18.114:50010 to delete blk_-5140072410813878235")
        let d = miner.add("BLOCK* ask 10.251.126.5:50010 to delete blk_-9016567407076718172 blk_-8695715290502978219 blk_1")
        XCTAssertEqual(miner.resolve(c), miner.resolve(d))
    }

    func testFullBucketFallsBackToTheMostSimilarTemplate() {
        var options = LogTemplateMiner.Options()
        options.maxTemplatesPerBucket = 2
        var miner = LogTemplateMiner(options: options)
        let a = miner.add("login alice from web")
        let b = miner.add("login bob from db")
        XCTAssertNotEqual(miner.resolve(a), miner.resolve(b))
        let c = miner.add("login carol from cache")
        XCTAssertEqual(miner.resolve(c), miner.resolve(a))
        XCTAssertEqual(miner.template(c), "login <*> from <*>")
        XCTAssertEqual(miner.resolve(b), miner.resolve(a), "the generalised template covers the other one")
    }

    func testEmptyAndWhitespaceMessages() {
        var miner = LogTemplateMiner()
        let a = miner.add("")
        let b = miner.add("   ")
        XCTAssertEqual(miner.resolve(a), miner.resolve(b))
        XCTAssertEqual(miner.template(a), "")
    }

    // MARK: masking

    func testMasking() {
        let cases: [(String, String)] = [
            ("connection from 10.0.0.1:8080 took 12ms", "connection from <*> took <*>"),
            ("Received block blk_-123 of size 67108864 from /10.251.43.21", "Received block <*> of size <*> from <*>"),
            ("domain storage234 is full", "domain storage<*> is full"),
            ("via interface alt0", "via interface alt<*>"),
            ("uid=0 euid=0 tty=NODEVssh ruser= rhost=1.2.3.4", "uid=<*> euid=<*> tty=<*> ruser= rhost=<*>"),
            ("0 bytes sent, 18846 bytes (18.4 KB) received, lifetime <1 sec", "<*> sent, <*> received, lifetime <*>"),
            ("Input split: hdfs://host:9000/pjhe/test/1/", "Input split: hdfs://<*>"),
            ("Fan speeds ( 3552 3534 3375 **** 3515 3479 )", "Fan speeds ( <*> **** <*> )"),
            ("connection from 1.2.3.4 () at Fri Jul  1 07:57:30 2005", "connection from <*> () at <*>"),
            ("acquire lock=233570404, flags=0x1, tag=\"View Lock\", name=com.android.systemui", "acquire lock=<*>, flags=<*>, tag=\"<*>\", name=<*>"),
            ("ids 0x1f 8a2a501 ee0", "ids <*> ee<*>"),
            ("updateClipping isOverlap:false, Translation=-24.0", "updateClipping isOverlap:<*>, Translation=<*>"),
            ("Block rdd_2_2 stored, broadcast_9_piece0 too", "Block <*> stored, <*> too"),
            ("ledNotification == null?true", "ledNotification == null?<*>"),
            ("Temperature (41C) at -3.5 degrees", "Temperature (<*>C) at <*> degrees"),
            ("ws=WorkSource{10113}, uid=1000", "ws=<*>, uid=<*>"),
            ("wpad:80 error", "<*> error"),
            ("Invalid user user from 1.2.3.4", "Invalid user user from <*>"),
        ]
        for (input, expected) in cases {
            XCTAssertEqual(LogTokenMasker.masked(input), expected, "masking \(input)")
        }
    }

    func testMaskerTokens() {
        XCTAssertEqual(LogTokenMasker.tokens("  a   b\t1  "), ["a", "b", "<*>"])
        XCTAssertEqual(LogTokenMasker.tokens(""), [])
        XCTAssertEqual(LogTokenMasker.tokens("héllo wörld 42"), ["héllo", "wörld", "<*>"])
    }

    // MARK: formats

    func testFormatExtractsContent() throws {
        let linux = try LogFormat("<Month> <Date> <Time> <Level> <Component>(\\[<PID>\\])?: <Content>")
        XCTAssertEqual(linux.content(of: "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown"), "check pass; user unknown")
        XCTAssertEqual(linux.content(of: "Jul 27 14:41:57 combo kernel: Linux version 2.6.9: x"), "Linux version 2.6.9: x")
        let fields = try XCTUnwrap(linux.match("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass"))
        XCTAssertEqual(linux.fieldNames, ["Month", "Date", "Time", "Level", "Component", "PID", "Content"])
        XCTAssertEqual(fields.map(String.init), ["Jun", "14", "15:16:01", "combo", "sshd(pam_unix)", "19939", "check pass"])

        let health = try LogFormat("<Time>\\|<Component>\\|<Pid>\\|<Content>")
        XCTAssertEqual(health.content(of: "20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579"), "onStandStepChanged 3579")

        let zk = try LogFormat("<Date> <Time> - <Level>  \\[<Node>:<Component>@<Id>\\] - <Content>")
        XCTAssertEqual(zk.content(of: "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200"),
                       "Notification time out: 3200")

        let android = try LogFormat("<Date> <Time>  <Pid>  <Tid> <Level> <Component>: <Content>")
        XCTAssertEqual(android.content(of: "03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogs\r"), "printFreezingDisplayLogs")

        XCTAssertNil(linux.content(of: "not a syslog line"))
        XCTAssertNil(health.content(of: "a|b"))
    }

    func testBadFormatsFailClearly() {
        func message(_ spec: String) -> String? {
            do {
                _ = try LogFormat(spec)
                return nil
            } catch {
                return error.description
            }
        }
        XCTAssertTrue(message("<Date> <Time> <Level>")?.contains("no <Content>") == true)
        XCTAssertTrue(message("<Date> [<Level>] <Content>")?.contains("unescaped '['") == true)
        XCTAssertTrue(message("(<Pid> <Content>")?.contains("unclosed '('") == true)
        XCTAssertTrue(message("<Pid>) <Content>")?.contains("unbalanced ')'") == true)
        // Formats that would cost memory out of proportion are refused, saying which limit: seven independent
        // optional parts (128 combinations), 201 elements, nesting 17 deep, a 2,001-byte spec.
        XCTAssertTrue(message(String(repeating: "( x)?", count: 7) + " <Content>")?.contains("more than 64 combinations") == true)
        XCTAssertNil(message(String(repeating: "( x)?", count: 6) + " <Content>"))
        XCTAssertTrue(message(String(repeating: "<a>,", count: 200) + "<Content>")?.contains("at most 200") == true)
        XCTAssertTrue(message(String(repeating: "(", count: 17) + "<Content>" + String(repeating: ")", count: 17))?.contains("nested more than 16") == true)
        XCTAssertTrue(message(String(repeating: "x", count: 2_001) + "<Content>")?.contains("at most 2000") == true)
        XCTAssertTrue(message("<Content> <Content>")?.contains("more than once") == true)
        XCTAssertTrue(message("\\d+ <Content>")?.contains("not supported") == true)
        XCTAssertNil(message("<Content>"))
    }

    func testReportFallsBackToWholeLineWhenTheFormatDoesNotMatch() throws {
        var report = LogPatternReport(format: try LogFormat("<Level>: <Content>"))
        report.add(text: "INFO: started worker 1\nINFO: started worker 2\ngarbage line\n")
        XCTAssertEqual(report.lineTemplates.count, 3)
        XCTAssertEqual(report.unmatchedLines, 1)
        XCTAssertEqual(report.eventID(line: 0), report.eventID(line: 1))
        XCTAssertEqual(report.miner.template(Int(report.lineTemplates[2])), "garbage line")
    }

    // MARK: CSV

    func testCSVQuoting() {
        XCTAssertEqual(LogTemplateCSV.field("plain <*> text"), "plain <*> text")
        XCTAssertEqual(LogTemplateCSV.field("a, b"), "\"a, b\"")
        XCTAssertEqual(LogTemplateCSV.field("tag=\"<*>\""), "\"tag=\"\"<*>\"\"\"")
        XCTAssertEqual(LogTemplateCSV.field(" lead"), "\" lead\"")
        XCTAssertEqual(LogTemplateCSV.field("two\nlines"), "\"two\nlines\"")
        XCTAssertEqual(LogTemplateCSV.row(["1", "E1", "x,y"]), "1,E1,\"x,y\"")
    }

    func testReportCSV() {
        var report = LogPatternReport(format: nil)
        report.add(text: "Expiring session 0x14ede63a5a70000, timeout of 10000ms exceeded\nExpiring session 0x24ede63a5a70001, timeout of 4000ms exceeded\nacquire tag=\"a b\", x=1")
        let rows = Self.parseCSV(report.csv())
        XCTAssertEqual(rows.first, ["LineId", "EventId", "EventTemplate"])
        XCTAssertEqual(rows.count, 4)
        XCTAssertEqual(rows[1], ["1", "E1", "Expiring session <*>, timeout of <*> exceeded"])
        XCTAssertEqual(rows[2], ["2", "E1", "Expiring session <*>, timeout of <*> exceeded"])
        XCTAssertEqual(rows[3], ["3", "E2", "acquire tag=\"<*>\", x=<*>"])
    }

    func testDeterminism() {
        let lines = (0..<500).map { i in
            switch i % 5 {
            case 0: return "session opened for user u\(i % 7)x by (uid=\(i))"
            case 1: return "Failed password for user\(["root", "admin", "guest", "test"][i % 4]) from 10.0.\(i % 255).1 port \(4000 + i) ssh2"
            case 2: return "Link \(i % 2 == 0 ? "ok" : "error")"
            case 3: return "Block rdd_\(i)_\(i % 3) stored as bytes in memory (estimated size \(i).0 B, free 1.2 GB)"
            default: return "worker \(["alpha", "beta", "gamma", "delta"][i % 4]) finished task \(i)"
            }
        }
        func run() -> String {
            var report = LogPatternReport(format: nil)
            report.add(text: lines.joined(separator: "\n"))
            return report.csv()
        }
        XCTAssertEqual(run(), run())
    }

    // MARK: accuracy floor on the shared Loghub-2k data

    /// Mines two Loghub-2k datasets with their `--format` only (same miner settings as everywhere) and
    /// checks grouping accuracy stays above a floor a little below the measured value (OpenSSH 0.999,
    /// Android 0.974 when written). Also checks the format extracts exactly the ground-truth `Content`.
    func testLoghubGroupingAccuracyFloor() throws {
        let (dir, datasets) = try Self.loghub()
        for (name, floor) in [("OpenSSH", 0.98), ("Android", 0.95)] {
            let spec = try XCTUnwrap(datasets[name]?["log_format"] as? String)
            let format = try LogFormat(spec)
            let log = try String(contentsOfFile: "\(dir)/\(name)/\(name)_2k.log", encoding: .utf8)
            let truth = Self.parseCSV(try String(contentsOfFile: "\(dir)/\(name)/\(name)_2k.log_structured.csv", encoding: .utf8))
            let header = try XCTUnwrap(truth.first)
            let eventColumn = try XCTUnwrap(header.firstIndex(of: "EventId"))
            let contentColumn = try XCTUnwrap(header.firstIndex(of: "Content"))
            let rows = truth.dropFirst().filter { $0.count == header.count }

            var report = LogPatternReport(format: format)
            report.add(text: log)
            XCTAssertEqual(report.unmatchedLines, 0, name)
            XCTAssertEqual(report.lineTemplates.count, rows.count, name)

            // Split on LF bytes: Swift treats CRLF as one Character, and Android's file has CRLF endings.
            var lines = log.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { Substring($0) }
            if lines.last?.isEmpty == true { lines.removeLast() }
            XCTAssertEqual(lines.count, rows.count, name)
            var contentMismatches: [String] = []
            for (line, row) in zip(lines, rows) {
                let content = format.content(of: line).map(String.init)
                if content != row[contentColumn] {
                    contentMismatches.append("\(String(reflecting: content)) vs \(String(reflecting: row[contentColumn]))")
                }
            }
            XCTAssertEqual(contentMismatches, [], "\(name): extracted Content differs from the ground truth")

            let predicted = (0..<report.lineTemplates.count).map { report.eventID(line: $0) }
            let ga = Self.groupingAccuracy(truth: rows.map { $0[eventColumn] }, predicted: predicted)
            print("\(name): GA \(ga)")
            XCTAssertGreaterThanOrEqual(ga, floor, name)
        }
    }

    /// The miner's knobs chosen by leaving each Loghub-2k dataset out (as `bench/loghub_cv.py` does, in process):
    /// for each dataset, the grid configuration with the best mean GA on the other nine mines it. Floors a little
    /// below the measured values (mean 0.966 when written), and on every dataset a template count within 10 % of
    /// the truth.
    func testLeaveOneDatasetOutFloorAndTemplateCounts() throws {
        let (dir, datasets) = try Self.loghub()
        let names = datasets.keys.sorted()
        var configs: [LogTemplateMiner.Options] = []
        for prefix in [0, 1, 2] {
            for merge in [2, 3, 4, 6] {
                var o = LogTemplateMiner.Options()
                try o.set("prefix_tokens=\(prefix)")
                try o.set("merge_distinct=\(merge)")
                configs.append(o)
            }
        }
        var ga: [[Double]] = Array(repeating: Array(repeating: 0, count: names.count), count: configs.count)
        var templates: [[Int]] = ga.map { $0.map { _ in 0 } }
        var truthCount: [Int] = []
        for (d, name) in names.enumerated() {
            let format = try LogFormat(try XCTUnwrap(datasets[name]?["log_format"] as? String))
            let log = try String(contentsOfFile: "\(dir)/\(name)/\(name)_2k.log", encoding: .utf8)
            let truth = Self.parseCSV(try String(contentsOfFile: "\(dir)/\(name)/\(name)_2k.log_structured.csv", encoding: .utf8))
            let header = try XCTUnwrap(truth.first)
            let eventColumn = try XCTUnwrap(header.firstIndex(of: "EventId"))
            let events = truth.dropFirst().filter { $0.count == header.count }.map { $0[eventColumn] }
            truthCount.append(Set(events).count)
            for (c, options) in configs.enumerated() {
                var report = LogPatternReport(format: format, miner: LogTemplateMiner(options: options))
                report.add(text: log)
                let predicted = (0..<report.lineTemplates.count).map { report.eventID(line: $0) }
                ga[c][d] = Self.groupingAccuracy(truth: events, predicted: predicted)
                templates[c][d] = Set(predicted).count
            }
        }
        var total = 0.0
        for d in names.indices {
            let others = names.indices.filter { $0 != d }
            // Ties go to the shipped configuration (prefix 1, merge 3: index 5).
            let chosen = configs.indices.max { a, b in
                let (sa, sb) = (others.map { ga[a][$0] }.reduce(0, +), others.map { ga[b][$0] }.reduce(0, +))
                return sa != sb ? sa < sb : b == 5
            }!
            total += ga[chosen][d]
            let off = abs(Double(templates[chosen][d] - truthCount[d])) / Double(truthCount[d])
            XCTAssertLessThanOrEqual(off, 0.10, "\(names[d]): \(templates[chosen][d]) templates, \(truthCount[d]) true")
        }
        let mean = total / Double(names.count)
        print("Loghub-2k, knobs chosen leaving each dataset out: mean GA \(mean)")
        XCTAssertGreaterThanOrEqual(mean, 0.95)
    }

    // MARK: helpers

    /// The shared Loghub-2k folder and its `log_formats.json` datasets; skips the test (with why) without them.
    static func loghub() throws -> (dir: String, datasets: [String: [String: Any]]) {
        let dir = ProcessInfo.processInfo.environment["VIGIL_LOGHUB_DIR"] ?? "/work/shared/data/loghub"
        let formatsPath = dir + "/log_formats.json"
        guard FileManager.default.fileExists(atPath: formatsPath) else {
            throw XCTSkip("Loghub-2k data not found at \(dir) (set VIGIL_LOGHUB_DIR to the folder with log_formats.json)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: formatsPath)))
        return (dir, try XCTUnwrap((json as? [String: Any])?["datasets"] as? [String: [String: Any]]))
    }

    /// `--set NAME=VALUE` for the miner's knobs and the detector's constants: bad input named, good input applied.
    func testKnobAssignmentsNameWhatIsWrong() throws {
        var options = LogTemplateMiner.Options()
        try options.set("merge_distinct=4")
        XCTAssertEqual(options.mergeDistinct, 4)
        var parameters = AnomalyDetector.Parameters()
        try parameters.set("tail_weight=2.5")
        XCTAssertEqual(parameters.tailWeight, 2.5)
        for (bad, message) in [("merge_distinct", "'merge_distinct' is not name=value"),
                               ("merge_distinct=1", "merge_distinct: '1' is not a whole number from 2 to 100"),
                               ("fallback_similarity=2", "fallback_similarity: '2' is not a number from 0.0 to 1.0"),
                               ("depth=4", "unknown name 'depth' (expected one of prefix_tokens, merge_distinct, max_templates_per_bucket, fallback_similarity)")] {
            XCTAssertThrowsError(try options.set(bad), bad) { XCTAssertEqual("\($0)", message) }
        }
        XCTAssertThrowsError(try parameters.set("season_days=8")) { XCTAssertEqual("\($0)", "season_days: '8' is not a whole number from 0 to 7") }
        XCTAssertEqual(options.mergeDistinct, 4, "a refused assignment changes nothing")
    }

    /// GA: the share of lines whose predicted group holds exactly the lines of their true group.
    static func groupingAccuracy(truth: [String], predicted: [String]) -> Double {
        var truthGroups: [String: [Int]] = [:]
        var predictedGroups: [String: [Int]] = [:]
        for i in truth.indices {
            truthGroups[truth[i], default: []].append(i)
            predictedGroups[predicted[i], default: []].append(i)
        }
        var correct = 0
        for i in truth.indices where truthGroups[truth[i]] == predictedGroups[predicted[i]] { correct += 1 }
        return truth.isEmpty ? 0 : Double(correct) / Double(truth.count)
    }

    /// Minimal RFC 4180 reader (quoted fields, doubled quotes, line breaks inside quotes).
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var inQuotes = false
        var chars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        while let c = pending ?? chars.next() {
            pending = nil
            if inQuotes {
                if c == "\"" {
                    if let next = chars.next() {
                        if next == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = next }
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"": inQuotes = true
            case ",": row.append(field); field = ""
            case "\r": break
            case "\n": row.append(field); rows.append(row); row = []; field = ""
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}

/// Issue 15.5: a flood of lines with random words must not grow the miner without end.
struct LogTemplateLimitTests {
    static func randomLine(_ rng: inout SplitMix64) -> String {
        let words = (0..<6).map { _ in String((0..<7).map { _ in Character(UnicodeScalar(UInt8(97 + Int(rng.nextDouble() * 26)))) }) }
        return "event " + words.joined(separator: " ")
    }

    // Both run on a thread of their own: thousands of lines take seconds in a debug build, and two such tests on the
    // cooperative pool's two threads (this machine's two cores) stalled every other test's tasks for ten seconds.
    @Test func templatesStopAtTheLimitAndOverflowIntoOne() async throws {
        let (idCount, overflowed, overflowTemplate, knownStaysKnown) = try await offPool { () -> (Int, Bool, String, Bool) in
            var options = LogTemplateMiner.Options()
            options.maxTemplates = 40
            var miner = LogTemplateMiner(options: options)
            var rng = SplitMix64(seed: 7)
            // (`miner.resolve(miner.add(…))` would resolve on the copy from before the add.)
            let first = miner.add("known line with 3 words")
            for _ in 0..<1500 { _ = miner.add(Self.randomLine(&rng)) }
            let raw = miner.add(Self.randomLine(&rng))
            let overflow = miner.resolve(raw)
            // A template made before the limit still matches its lines.
            let again = miner.add("known line with 7 words")
            return (miner.idCount, miner.overflowed, miner.template(overflow), miner.resolve(again) == miner.resolve(first))
        }
        #expect(idCount <= 41, "ids handed out: \(idCount)")
        #expect(overflowed)
        #expect(overflowTemplate == "(template-limit-reached) <*>")
        #expect(knownStaysKnown)
    }

    @Test func theTrackerFollowsTheOverflowTemplate() async throws {
        let (storedCount, overflowed) = try await offPool { () -> (Int, Bool) in
            var options = LogTemplateMiner.Options()
            options.maxTemplates = 20
            var tracker = LogTemplateTracker(miner: LogTemplateMiner(options: options))
            var rng = SplitMix64(seed: 9)
            var nextRow: Int64 = 1
            for _ in 0..<800 {
                let (_, actions) = tracker.observe(Self.randomLine(&rng))
                for case .create(let m, let text) in actions {
                    tracker.bind(miner: m, stored: nextRow, text: text)
                    nextRow += 1
                }
            }
            return (tracker.storedCount, tracker.miner.overflowed)
        }
        #expect(storedCount <= 30, "rows: \(storedCount)")
        #expect(overflowed)
    }

    @Test func theInternerIsBounded() {
        var interner = TokenInterner(limit: 100)
        for i in 0..<1000 {
            let word = Array("w\(i)".utf8)
            _ = word.withUnsafeBufferPointer { interner.intern($0, 0, $0.count) }
        }
        #expect(interner.count == 100)
        let known = Array("w5".utf8)
        #expect(known.withUnsafeBufferPointer { interner.intern($0, 0, $0.count) } != 0, "known tokens keep their ids")
        let fresh = Array("never-seen".utf8)
        #expect(fresh.withUnsafeBufferPointer { interner.intern($0, 0, $0.count) } == 0, "past the limit a new token is a variable")
    }
}

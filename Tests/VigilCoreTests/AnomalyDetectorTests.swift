import XCTest
@testable import VigilCore

final class AnomalyDetectorTests: XCTestCase {
    /// 5-minute samples from 2014-04-01 00:00 UTC.
    private static let t0: Int64 = 1_396_310_400_000
    private static let step: Int64 = 300_000

    /// Deterministic noise in [-1, 1) (64-bit LCG), so the tests need no randomness.
    private struct Noise {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53) * 2 - 1
        }
    }

    /// A noisy daily sine with a few spikes and a level shift.
    private func series(_ n: Int) -> [Double] {
        var noise = Noise(state: 42)
        return (0..<n).map { i in
            var v = 50 + 10 * sin(Double(i) * 2 * Double.pi / 288) + 2 * noise.next()
            if i % 997 == 500 { v += 40 }
            if i > 2500 { v += 15 }
            return v
        }
    }

    private func scores(_ values: [Double], start: Int64 = t0, step: Int64 = step) -> [Double] {
        var detector = AnomalyDetector()
        return values.enumerated().map { detector.score(timestampMs: start + Int64($0.offset) * step, value: $0.element) }
    }

    func testCausalAppendingDataNeverChangesEarlierScores() {
        let values = series(3000)
        let full = scores(values)
        for prefix in [1, 19, 20, 21, 500, 501, 1234, 2999] {
            XCTAssertEqual(scores(Array(values.prefix(prefix))), Array(full.prefix(prefix)), "prefix \(prefix)")
        }
        // The same prefix followed by different data: the prefix's scores are unchanged.
        var other = Array(values.prefix(1500))
        other.append(contentsOf: Array(repeating: 1e6, count: 100))
        XCTAssertEqual(Array(scores(other).prefix(1500)), Array(full.prefix(1500)))
    }

    func testDeterministic() {
        let values = series(4000)
        XCTAssertEqual(scores(values), scores(values))
    }

    func testScoresStayInUnitInterval() {
        for s in scores(series(5000)) {
            XCTAssertTrue(s >= 0 && s <= 1, "\(s)")
        }
    }

    func testConstantSeriesScoresZero() {
        for value in [0.0, 42.5, -7, 1e300] {
            let s = scores(Array(repeating: value, count: 3000))
            XCTAssertEqual(s.max(), 0, "constant \(value)")
        }
    }

    func testClearSpikeScoresHigh() {
        var noise = Noise(state: 7)
        var values = (0..<2000).map { _ in 10 + noise.next() }
        values[1500] = 30
        let s = scores(values)
        XCTAssertGreaterThan(s[1500], 0.99)
        // Far from the spike, after warm-up, the noise scores low.
        let quiet = s[1000..<1400].sorted()
        XCTAssertLessThan(quiet[quiet.count / 2], 0.2)
        // The spike is reported once: the samples right after it are not re-alerts.
        XCTAssertLessThan(s[1501..<1600].max()!, s[1500])
    }

    func testDropAndLevelShiftScoreHigh() {
        var noise = Noise(state: 9)
        var values = (0..<3000).map { _ in 100 + noise.next() }
        for i in 2000..<3000 { values[i] -= 50 }
        let s = scores(values)
        XCTAssertGreaterThan(s[2000...2005].max()!, 0.99)
    }

    func testDailyRepeatingSpikeAlertsOnlyTheFirstTime() {
        // Constant baseline, a spike at 03:00 every day for 10 days.
        let perDay = 288
        let values = (0..<(10 * perDay)).map { i in i % perDay == 36 ? 5.0 : 1.0 }
        let s = scores(values)
        XCTAssertGreaterThan(s[36], 0.9, "the first occurrence is new")
        for day in 1..<10 {
            XCTAssertEqual(s[day * perDay + 36], 0, "day \(day): seen at this time of day before")
        }
    }

    func testNonFiniteHugeValuesAndOddTimestampsAreSafe() {
        var detector = AnomalyDetector()
        var ts = Self.t0
        var out: [Double] = []
        let odd: [Double] = [.nan, .infinity, -.infinity, 1e300, -1e300, .greatestFiniteMagnitude,
                             -.greatestFiniteMagnitude, .leastNonzeroMagnitude, 0, -0.0, .nan]
        for i in 0..<3000 {
            let v = i % 50 == 0 ? odd[(i / 50) % odd.count] : Double(i % 17)
            out.append(detector.score(timestampMs: ts, value: v))
            ts += i % 300 == 0 ? 30 * 86_400_000 : Self.step  // gaps of a month
            if i % 777 == 0 { ts -= 7 * Self.step }  // and time going backwards
        }
        for ts in [Int64.min, Int64.min + 1, 0, Int64.max - 1, Int64.max] {
            out.append(detector.score(timestampMs: ts, value: 1))
            out.append(detector.score(timestampMs: ts, value: .nan))
        }
        for s in out {
            XCTAssertTrue(s >= 0 && s <= 1, "\(s)")
        }
        // Non-finite values score 0 and leave the state as it was.
        var a = AnomalyDetector()
        var b = AnomalyDetector()
        let values = series(600)
        for (i, v) in values.enumerated() {
            let t = Self.t0 + Int64(i) * Self.step
            XCTAssertEqual(a.score(timestampMs: t, value: .nan), 0)
            XCTAssertEqual(a.score(timestampMs: t, value: v), b.score(timestampMs: t, value: v))
        }
    }

    func testHugeValuesDoNotPoisonLaterScores() {
        var values = series(3000)
        values[1000] = 1e300
        values[1001] = -1e300
        let s = scores(values)
        XCTAssertGreaterThan(s[1000], 0.99)
        XCTAssertFalse(s.contains { $0.isNaN })
    }

    // MARK: - NAB CSV

    func testParseReadsRowsAndTimestamps() throws {
        let rows = try NABCSV.parse("timestamp,value\n2014-02-14 14:30:00,0.132\n2014-02-14 14:35:00,1e3\n")
        XCTAssertEqual(rows.count, 2)
        XCTAssertEqual(rows[0].timestamp, "2014-02-14 14:30:00")
        XCTAssertEqual(rows[0].timestampMs, 1_392_388_200_000)
        XCTAssertEqual(rows[0].number, 0.132)
        XCTAssertEqual(rows[1].value, "1e3")
        XCTAssertEqual(rows[1].number, 1000)
        XCTAssertEqual(rows[1].timestampMs - rows[0].timestampMs, 300_000)
    }

    func testParseAcceptsCRLFAndByteOrderMark() throws {
        let rows = try NABCSV.parse("\u{FEFF}timestamp,value\r\n2014-02-14 14:30:00,1\r\n2014-02-14 14:35:00,2\r\n")
        XCTAssertEqual(rows.map(\.value), ["1", "2"])
    }

    func testLeapDaysAndEpoch() {
        XCTAssertEqual(NABCSV.timestampMs("1970-01-01 00:00:00"), 0)
        XCTAssertEqual(NABCSV.timestampMs("2016-02-29 23:59:59"), 1_456_790_399_000)
        XCTAssertNil(NABCSV.timestampMs("2014-02-29 00:00:00"))
        XCTAssertNil(NABCSV.timestampMs("2014-13-01 00:00:00"))
        XCTAssertNil(NABCSV.timestampMs("2014-01-01 24:00:00"))
        XCTAssertNil(NABCSV.timestampMs("2014-01-01T00:00:00"))
        XCTAssertNil(NABCSV.timestampMs("2014-1-01 00:00:00"))
    }

    private func parseError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> NABCSV.ParseError? {
        do {
            _ = try NABCSV.parse(text)
            XCTFail("expected a parse error", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    func testParseErrorsNameLineAndColumn() {
        let good = "timestamp,value\n2014-02-14 14:30:00,1\n"
        XCTAssertEqual(parseError(good + "2014-02-14 14:35:00,abc\n"),
                       NABCSV.ParseError(line: 3, column: 21, message: "value 'abc' is not a number"))
        XCTAssertEqual(parseError(good + "2014-02-14 14:35:00,\n")?.line, 3)
        XCTAssertEqual(parseError(good + "2014-02-14 14:35:00,\n")?.column, 21)
        let badTime = parseError(good + "2014-02-30 14:35:00,2\n")
        XCTAssertEqual(badTime?.line, 3)
        XCTAssertEqual(badTime?.column, 1)
        XCTAssertTrue(badTime?.message.contains("2014-02-30 14:35:00") ?? false)
        XCTAssertEqual(parseError(good + "2014-02-14 14:35:00\n"),
                       NABCSV.ParseError(line: 3, column: 20, message: "missing ',value': expected 'timestamp,value'"))
        XCTAssertEqual(parseError(good + "2014-02-14 14:35:00,1,2\n"),
                       NABCSV.ParseError(line: 3, column: 23, message: "extra field after the value: expected 'timestamp,value'"))
        XCTAssertEqual(parseError(good + "\n2014-02-14 14:40:00,1\n")?.line, 3)
        XCTAssertEqual(parseError("time,value\n2014-02-14 14:30:00,1\n")?.line, 1)
        XCTAssertEqual(parseError("")?.line, 1)
        // CRLF files count lines the same way.
        XCTAssertEqual(parseError("timestamp,value\r\n2014-02-14 14:30:00,1\r\n2014-02-14 14:35:00,x\r\n")?.line, 3)
        XCTAssertEqual(parseError(good + "2014-02-14 14:35:00,abc\n")?.description, "line 3, column 21: value 'abc' is not a number")
    }

    func testRenderEchoesInputTextAndAppendsScores() throws {
        let text = "timestamp,value\n2014-02-14 14:30:00,0.100\n2014-02-14 14:35:00, 1e3\n"
        let rows = try NABCSV.parse(text)
        let out = NABCSV.render(rows: rows, scores: [0, 0.123456789012345])
        XCTAssertEqual(out, "timestamp,value,anomaly_score\n2014-02-14 14:30:00,0.100,0.0\n2014-02-14 14:35:00, 1e3,0.123456789012345\n")
        // Scores read back bit for bit.
        let scoresBack = out.split(separator: "\n").dropFirst().map { Double(String($0.split(separator: ",")[2]))! }
        XCTAssertEqual(scoresBack, [0, 0.123456789012345])
    }

    func testEndToEndScoresEveryRow() throws {
        var lines = ["timestamp,value"]
        for i in 0..<1000 {
            let ms = Self.t0 + Int64(i) * Self.step
            let s = ms / 1000
            let (d, r) = (s / 86_400, s % 86_400)
            let day = 1 + Int(d - 16_161)  // 2014-04-01 is day 16161 since 1970
            lines.append(String(format: "2014-04-%02d %02d:%02d:%02d,%d", day, Int(r / 3600), Int(r % 3600 / 60), Int(r % 60), i == 900 ? 500 : i % 7))
        }
        let rows = try NABCSV.parse(lines.joined(separator: "\n"))
        XCTAssertEqual(rows.count, 1000)
        XCTAssertEqual(rows[1].timestampMs - rows[0].timestampMs, Self.step)
        var detector = AnomalyDetector()
        let s = rows.map { detector.score(timestampMs: $0.timestampMs, value: $0.number) }
        XCTAssertGreaterThan(s[900], 0.99)
        let out = NABCSV.render(rows: rows, scores: s).split(separator: "\n")
        XCTAssertEqual(out.count, 1001)
        XCTAssertEqual(out[0], "timestamp,value,anomaly_score")
        XCTAssertTrue(out[901].hasPrefix(lines[901] + ","))
        // The detector's scores are single precision: written short, and read back as the same single-precision values.
        let written = out.dropFirst().map { String($0.split(separator: ",").last!) }
        XCTAssertEqual(written.map { Float($0)! }, s.map { Float($0) })
        XCTAssertEqual(s.map { Double(Float($0)) }, s)
        XCTAssertTrue(written.allSatisfy { $0.count <= 14 }, "\(written.max { $0.count < $1.count } ?? "")")
    }
}

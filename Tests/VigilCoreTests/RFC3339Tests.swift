import Foundation
import Testing
@testable import VigilCore

@Suite struct RFC3339Tests {
    @Test func validTimesAgreeWithFoundation() throws {
        let texts = ["2026-12-04T22:15:03Z", "2026-12-04T22:15:03.123Z", "2026-12-04T22:15:03.123456789Z",
                     "2024-02-29T00:00:00+08:00", "1999-12-31T23:59:59-05:30", "1970-01-01T00:00:00Z",
                     "1969-12-31T23:59:59.5Z", "2400-02-29T12:00:00.1+00:00"]
        for text in texts {
            let f = ISO8601DateFormatter()
            f.formatOptions = text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
            let expected = try #require(f.date(from: text), "Foundation reads \(text)")
            let ms = try #require(RFC3339.milliseconds(text), "\(text) is read")
            #expect(abs(Double(ms) - expected.timeIntervalSince1970 * 1000) < 1, "\(text)")
        }
        #expect(RFC3339.milliseconds("2026-12-04t22:15:03z") == RFC3339.milliseconds("2026-12-04T22:15:03Z"))
        #expect(RFC3339.milliseconds("2026-12-04 22:15:03Z") == 1_796_422_503_000)
        #expect(RFC3339.milliseconds("2026-12-04T22:15:03.9999Z") == 1_796_422_503_999, "digits past ms are dropped")
    }

    @Test func anythingElseIsRefused() {
        for text in ["", "2026-12-04", "2026-12-04T22:15:03", "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
                     "2026-12-04T24:00:00Z", "2026-12-04T22:60:00Z", "2026-12-04T22:15:60Z", "2026-12-04T22:15:03.Z",
                     "2026-12-04T22:15:03+8:00", "2026-12-04T22:15:03+24:00", "2026-12-04T22:15:03+08:00x",
                     "99999-12-31T23:59:59Z", "-0001-01-01T00:00:00Z", "2026-12-04T22:15:03ZZ", "２026-12-04T22:15:03Z",
                     "2026-12-04T22:15:03." + String(repeating: "9", count: 80) + "Z", "2026-00-10T00:00:00Z"] {
            #expect(RFC3339.milliseconds(text) == nil, "\(text) is refused")
        }
    }

    @Test func formattingReadsBack() {
        #expect(RFC3339.format(1_796_422_503_000) == "2026-12-04T22:15:03Z")
        #expect(RFC3339.format(1_796_422_503_045) == "2026-12-04T22:15:03.045Z")
        #expect(RFC3339.format(-1) == "1969-12-31T23:59:59.999Z")
        #expect(RFC3339.format(951_782_400_000) == "2000-02-29T00:00:00Z")
        var rng = SplitMix64(seed: 3)
        for _ in 0..<2_000 {
            let ms = Int64.random(in: -2_000_000_000_000...20_000_000_000_000, using: &rng)
            #expect(RFC3339.milliseconds(RFC3339.format(ms)) == ms)
        }
    }

    @Test func httpDatesAreIMFFixdatesOnly() {
        #expect(HTTPDate.milliseconds("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777_000)
        #expect(HTTPDate.milliseconds("Fri, 04 Dec 2026 22:15:03 GMT") == 1_796_422_503_000)
        for bad in ["", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun, 31 Feb 1994 08:49:37 GMT",
                    "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT", "120"] {
            #expect(HTTPDate.milliseconds(bad) == nil, "\(bad)")
        }
    }
}

import Testing
@testable import VigilWire

/// The listener decodes with `keepsPlainLabelsRaw`: every body must mean the same batch, and fail with the same error,
/// as with the ordinary decoder.
@Suite struct PlainLabelsTests {
    let now: Int64 = 1_764_400_000_000
    let cooked = IngestDecoder()
    let raw = IngestDecoder(keepsPlainLabelsRaw: true)

    func body(_ labels: String) -> [UInt8] {
        Array("{\"host\":\"h\",\"samples\":[{\"name\":\"m\",\"value\":1,\"ts\":\(now),\"labels\":\(labels)},{\"labels\":\(labels),\"name\":\"n\",\"value\":2,\"ts\":\(now)}]}".utf8)
    }

    static let objects = [
        #"{"mount":"/var","device":"sda1"}"#,
        #"{ "b" : "2" , "a" : "1" }"#,
        #"{"path":"a b\tc"}"#,
        #"{"msg":"say \"hi\""}"#,
        #"{"city":"Zürich"}"#,
        #"{"e":"\u00e9"}"#,
        #"{"a":"1","a":"2"}"#,
        #"{"empty":""}"#,
        #"{}"#,
        #"null"#,
        #"{"_x9":"-.:/=@[]{}"}"#,
        #"{"9bad":"x"}"#,
        #"{"bad-name":"x"}"#,
        #"{"a":1}"#,
        #"{"a":"1",}"#,
        #"{"a":"1""#,
        #"["a"]"#,
        "{\"a\":\"ctl\u{1}\"}",
    ]

    @Test(arguments: objects)
    func meansWhatTheOrdinaryDecoderMeans(labels: String) {
        let b = body(labels)
        let expected = Result { () throws(WireError) in try cooked.decode(b, nowMs: now) }
        let got = Result { () throws(WireError) in try raw.decode(b, nowMs: now) }
        switch (expected, got) {
        case (.success(let e), .success(let g)):
            #expect(g.samples.count == e.samples.count)
            for (es, gs) in zip(e.samples, g.samples) {
                #expect(g.labels(of: gs) == es.labels, "\(labels)")
                #expect(gs.name == es.name && gs.value == es.value && gs.ts == es.ts)
            }
        case (.failure(let e), .failure(let g)):
            #expect(g == e, "\(labels)")
        default:
            Issue.record("\(labels): ordinary \(expected), raw \(got)")
        }
    }

    @Test func plainObjectsStayAsBytesAndOthersAreDecoded() throws {
        let plain = try raw.decode(body(#"{"mount":"/var"}"#), nowMs: now)
        let r = try #require(plain.samples[0].plainLabels)
        #expect(plain.samples[0].labels.isEmpty)
        #expect(String(decoding: plain.body![r], as: UTF8.self) == #"{"mount":"/var"}"#)

        let escaped = try raw.decode(body(#"{"q":"a\"b"}"#), nowMs: now)
        #expect(escaped.samples[0].plainLabels == nil)
        #expect(escaped.samples[0].labels == ["q": "a\"b"])

        let empty = try raw.decode(body("{}"), nowMs: now)
        #expect(empty.samples[0].plainLabels == nil && empty.samples[0].labels.isEmpty)

        // The ordinary decoder keeps no body and no ranges.
        let ordinary = try cooked.decode(body(#"{"mount":"/var"}"#), nowMs: now)
        #expect(ordinary.body == nil && ordinary.samples[0].plainLabels == nil)
    }

    @Test func limitsHoldOnTheRawPath() {
        var limits = WireLimits()
        limits.maxLabelsPerSample = 2
        limits.maxLabelValueLength = 4
        let decoder = IngestDecoder(limits: limits, keepsPlainLabelsRaw: true)
        for (labels, field) in [(#"{"a":"1","b":"2","c":"3"}"#, "samples[0].labels"), (#"{"a":"12345"}"#, "samples[0].labels.a")] {
            do {
                _ = try decoder.decode(body(labels), nowMs: now)
                Issue.record("\(labels) was accepted")
            } catch {
                #expect(error.field == field)
            }
        }
        // At the limits exactly, the labels stay raw.
        #expect((try? decoder.decode(body(#"{"a":"1234","b":"2"}"#), nowMs: now))?.samples[0].plainLabels != nil)
    }
}

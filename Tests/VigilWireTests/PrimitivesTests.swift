import Testing
@testable import VigilWire

@Suite struct SHA256Tests {
    @Test func nistVectors() {
        #expect(SHA256.hash(Array("abc".utf8)).hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash([UInt8]()).hexString == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).hexString
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // 1,000 bytes crosses many block boundaries, incl. the 56-byte padding edge.
        #expect(SHA256.hash([UInt8](repeating: 0x61, count: 1000)).hexString == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test func hmacRFC4231() {
        let key = [UInt8](repeating: 0x0b, count: 20)
        #expect(SHA256.hmac(key: key, message: Array("Hi There".utf8)).hexString
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(SHA256.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)).hexString
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Key longer than the block size is hashed first (RFC 4231 case 6).
        #expect(SHA256.hmac(key: [UInt8](repeating: 0xaa, count: 131), message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)).hexString
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }
}

@Suite struct GzipTests {
    @Test func roundTrip() throws {
        let text = Array(String(repeating: "{\"name\":\"cpu.usage_percent\",\"value\":12.5}", count: 500).utf8)
        let z = Gzip.compress(text)
        #expect(z.count < text.count / 10)
        #expect(z[0] == 0x1f && z[1] == 0x8b)
        #expect(try Gzip.decompress(z, limit: 1 << 20) == text)
    }

    @Test func refusesMoreThanTheLimit() {
        let z = Gzip.compress([UInt8](repeating: 0, count: 100_000))
        #expect(throws: Gzip.Failure.tooLarge(limit: 50_000)) { try Gzip.decompress(z, limit: 50_000) }
    }

    @Test func refusesCorruptInput() {
        var z = Gzip.compress(Array("hello world hello world".utf8))
        z[z.count / 2] ^= 0xFF
        z[z.count - 1] ^= 0xFF
        #expect(throws: (any Error).self) { try Gzip.decompress(z, limit: 1 << 20) }
        #expect(throws: (any Error).self) { try Gzip.decompress(Array("not gzip".utf8), limit: 1 << 20) }
        #expect(throws: (any Error).self) { try Gzip.decompress(Array(z.prefix(10)), limit: 1 << 20) }
    }
}

@Suite struct DurationTextTests {
    @Test func parses() {
        #expect(DurationText.milliseconds("10s") == 10_000)
        #expect(DurationText.milliseconds("90d") == Int64(90) * 86_400_000)
        #expect(DurationText.milliseconds("1h30m") == 5_400_000)
        #expect(DurationText.milliseconds("250ms") == 250)
        #expect(DurationText.milliseconds("15") == 15_000)
        #expect(DurationText.milliseconds(" 2w ") == Int64(2) * 604_800_000)
    }

    @Test func refuses() {
        for bad in ["", "s", "10x", "ten", "5m3", "-5s", "99999999999999999999d", "9223372036854776",
                    "9223372036854775000s", "5000000000000000000ms5000000000000000000ms"] {
            #expect(DurationText.milliseconds(bad) == nil, "\(bad)")
        }
    }

    @Test func shortForm() {
        #expect(DurationText.short(ms: 3_000) == "3s")
        #expect(DurationText.short(ms: 4 * 60_000 + 10) == "4m")
        #expect(DurationText.short(ms: 7_300_000) == "2h")
        #expect(DurationText.short(ms: 3 * 86_400_000) == "3d")
    }
}

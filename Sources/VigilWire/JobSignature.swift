/// Signing of jobs: HMAC-SHA-256 over ``JobSpec/signingBytes()`` under a key both ends know without
/// sharing anything new. The key is the 32 raw bytes of SHA-256(UTF-8 token secret): the listener
/// stores exactly that hash (hex) for each agent token, and the agent computes it from its token.
public enum JobSignature {
    /// The key for an agent holding `tokenSecret`.
    public static func key(tokenSecret: String) -> [UInt8] {
        SHA256.hash(Array(tokenSecret.utf8))
    }

    /// The key from the stored hex SHA-256 of a token (64 hex digits, either case); nil when
    /// `tokenHashHex` is not that.
    public static func key(tokenHashHex: String) -> [UInt8]? {
        guard let bytes = hexBytes(tokenHashHex), bytes.count == 32 else { return nil }
        return bytes
    }

    /// The lower-case hex HMAC-SHA-256 of `job.signingBytes()` under `key`.
    public static func sign(_ job: JobSpec, key: [UInt8]) -> String {
        SHA256.hmac(key: key, message: job.signingBytes()).hexString
    }

    /// Whether `job.signature` is the HMAC of its signing bytes under `key`. The comparison takes
    /// the same time wherever the first difference is.
    public static func verify(_ job: JobSpec, key: [UInt8]) -> Bool {
        guard let given = hexBytes(job.signature), given.count == 32 else { return false }
        let expected = SHA256.hmac(key: key, message: job.signingBytes())
        var diff: UInt8 = 0
        for i in 0..<32 { diff |= given[i] ^ expected[i] }
        return diff == 0
    }

    /// `hex` (even length, either case) as bytes; nil for anything else.
    static func hexBytes(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let hi = value(digits[i]), let lo = value(digits[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

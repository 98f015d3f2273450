/// Signing of jobs: HMAC-SHA-256 over ``JobSpec/signingBytes()`` under a key both ends derive from the agent's
/// token secret: HMAC-SHA-256(key: secret, message: ``label``), a derivation of its own, distinct from the
/// SHA-256 the store keeps to look tokens up. The listener never stores the key: it derives it from the secret the
/// agent presents on the very request that collects its jobs, so reading the store is not enough to sign a job.
public enum JobSignature {
    /// The derivation's label; a new version of the scheme takes a new label.
    public static let label = "vigil/job-signing/v1"

    /// The key for an agent holding `tokenSecret`.
    public static func key(tokenSecret: String) -> [UInt8] {
        SHA256.hmac(key: Array(tokenSecret.utf8), message: Array(label.utf8))
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

import VigilWire

/// Random identifiers shown to people and stored as keys: `tok_…`, `sil_…`, token secrets.
enum RandomID {
    /// `prefix` followed by `bytes` random bytes in hex.
    static func make(prefix: String, bytes: Int) -> String {
        var g = SystemRandomNumberGenerator()
        return prefix + (0..<bytes).map { _ in UInt8.random(in: 0...255, using: &g) }.hexString
    }
}

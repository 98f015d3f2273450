/// A sample's labels left as the bytes the sender wrote, for the ingest hot path.
///
/// Agents send the same series with the same label object at every push. The store's writer looks a series up by
/// those bytes (`RawSeriesCache` in VigilCore) and decodes them into a dictionary only for a series it has not seen,
/// so the listener builds no dictionary and no label strings per sample. Only *plain* label objects stay raw: printable
/// ASCII keys and values without escapes, valid names, within the limits. For those the bytes decode to exactly one
/// dictionary; anything else (escapes, UTF-8, `null`, a duplicate key past the label limit) goes the ordinary way
/// through ``IngestDecoder`` and gets its errors from there.
public enum PlainLabels {
    /// At `{`: scans a plain label object and returns the range of its bytes (braces included), consumed. Returns nil
    /// with nothing consumed when the object is not plain (or not an object), for the caller to decode it fully.
    /// An empty object is not returned as a range: `empty` is set and the caller keeps no bytes.
    static func scan(_ s: inout JSONScanner, limits: WireLimits, empty: inout Bool) -> Range<Int>? {
        let saved = s.pos
        guard s.peek() == UInt8(ascii: "{") else { return nil }
        let start = s.pos
        s.pos += 1
        if s.peek() == UInt8(ascii: "}") {
            s.pos += 1
            empty = true
            return nil
        }
        var members = 0
        while true {
            guard let k = s.plainString(), isLabelName(s.bytes, k, limit: limits.maxLabelNameLength),
                  s.peek() == UInt8(ascii: ":") else { break }
            s.pos += 1
            guard let v = s.plainString(), v.count <= limits.maxLabelValueLength else { break }
            members += 1
            guard members <= limits.maxLabelsPerSample else { break }
            switch s.peek() {
            case UInt8(ascii: ","):
                s.pos += 1
                continue
            case UInt8(ascii: "}"):
                s.pos += 1
                return start..<s.pos
            default:
                break
            }
            break
        }
        s.pos = saved
        return nil
    }

    /// The dictionary a plain label object's bytes stand for (a later duplicate key wins, as in ``IngestDecoder``).
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> [String: String] {
        var out: [String: String] = [:]
        var key: String?
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "\"") else { i += 1; continue }
            var j = i + 1
            while j < bytes.count && bytes[j] != UInt8(ascii: "\"") { j += 1 }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[(i + 1)..<j]), as: UTF8.self)
            if let k = key {
                out[k] = text
                key = nil
            } else {
                key = text
            }
            i = j + 1
        }
        return out
    }

    private static func isLabelName(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, limit: Int) -> Bool {
        guard !r.isEmpty, r.count <= limit, WireNames.isIdentifierStart(bytes[r.lowerBound]) else { return false }
        for i in r.dropFirst() where !(WireNames.isIdentifierStart(bytes[i]) || WireNames.isDigit(bytes[i])) { return false }
        return true
    }
}

import VigilWire

/// Labels as canonical JSON text (keys sorted), the form series identities and host labels are stored in.
public enum LabelsCodec {
    public static func encode(_ labels: [String: String]) -> String {
        if labels.isEmpty { return "{}" }
        var w = JSONWriter()
        w.labels(labels)
        return w.result
    }

    /// Decodes what `encode` wrote; malformed text yields empty labels (stored text is trusted).
    public static func decode(_ text: String) -> [String: String] {
        if text == "{}" || text.isEmpty { return [:] }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buf -> [String: String] in
            var s = JSONScanner(buf)
            var out: [String: String] = [:]
            do throws(WireError) {
                if try s.beginObject(field: "") {
                    repeat {
                        let k = try s.key(field: "")
                        out[k] = try s.string(field: k)
                    } while try s.nextMember(close: UInt8(ascii: "}"), field: "")
                }
            } catch {
                return [:]
            }
            return out
        }
    }
}

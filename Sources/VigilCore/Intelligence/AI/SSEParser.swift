/// Splits a server-sent-events byte stream into the `data` of each event. Pure; feed it chunks as they arrive
/// (an event may span chunks, a chunk may hold several events). Comments (`:`), `event:`, `id:` and `retry:`
/// lines are ignored; lines end with `\n` or `\r\n`.
public struct SSEParser: Sendable {
    private var line: [UInt8] = []
    private var data: [String] = []

    public init() {}

    /// The data of every event completed by `bytes`.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [String] {
        var out: [String] = []
        for b in bytes {
            if b == 0x0A {
                if let event = endLine() { out.append(event) }
            } else {
                line.append(b)
            }
        }
        return out
    }

    public mutating func feed(_ text: String) -> [String] {
        var copy = Array(text.utf8)
        return copy.withUnsafeMutableBytes { feed(UnsafeRawBufferPointer($0)) }
    }

    /// The last event when the stream ended without its blank line.
    public mutating func finish() -> [String] {
        var out: [String] = []
        if !line.isEmpty, let e = endLine() { out.append(e) }
        if !data.isEmpty {
            out.append(data.joined(separator: "\n"))
            data = []
        }
        return out
    }

    private mutating func endLine() -> String? {
        if line.last == 0x0D { line.removeLast() }
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            guard !data.isEmpty else { return nil }
            let event = data.joined(separator: "\n")
            data = []
            return event
        }
        if line.starts(with: Array("data:".utf8)) {
            var value = line.dropFirst(5)
            if value.first == 0x20 { value = value.dropFirst() }
            data.append(String(decoding: value, as: UTF8.self))
        }
        return nil
    }
}

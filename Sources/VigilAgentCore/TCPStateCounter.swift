/// Counts TCP sockets by state from /proc/net/tcp and /proc/net/tcp6, streaming (these files can be
/// megabytes on a busy server, so they are never held whole in memory).
public struct TCPStateCounter: Sendable, Equatable {
    /// State 01.
    public var established = 0
    /// State 06.
    public var timeWait = 0
    /// State 08.
    public var closeWait = 0

    private var line: [UInt8] = []
    private var skipHeader = true

    public init() {}

    /// Counts the sockets listed in the complete text of one file.
    public static func parse(_ text: String) -> TCPStateCounter {
        var c = TCPStateCounter()
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { c.feed(UnsafeRawBufferPointer($0)) }
        c.finishFile()
        return c
    }

    /// Feeds the next chunk of a file.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer) {
        for b in chunk {
            if b == UInt8(ascii: "\n") {
                consumeLine()
            } else if line.count < 512 {
                line.append(b)
            }
        }
    }

    /// Ends one file: counts a last line without newline and expects a header in the next file.
    public mutating func finishFile() {
        if !line.isEmpty { consumeLine() }
        skipHeader = true
    }

    private mutating func consumeLine() {
        defer { line.removeAll(keepingCapacity: true) }
        if skipHeader { skipHeader = false; return }
        // Fields: sl local_address rem_address st ...; the state is the 4th field, two hex digits.
        var field = 0
        var inField = false
        var i = 0
        while i < line.count {
            let isSpace = line[i] == UInt8(ascii: " ")
            if !isSpace && !inField {
                field += 1
                inField = true
                if field == 4 {
                    guard i + 1 < line.count else { return }
                    switch (line[i], line[i + 1]) {
                    case (UInt8(ascii: "0"), UInt8(ascii: "1")): established += 1
                    case (UInt8(ascii: "0"), UInt8(ascii: "6")): timeWait += 1
                    case (UInt8(ascii: "0"), UInt8(ascii: "8")): closeWait += 1
                    default: break
                    }
                    return
                }
            } else if isSpace {
                inField = false
            }
            i += 1
        }
    }

    public static func == (a: TCPStateCounter, b: TCPStateCounter) -> Bool {
        a.established == b.established && a.timeWait == b.timeWait && a.closeWait == b.closeWait
    }
}

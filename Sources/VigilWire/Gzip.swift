import CZlib

/// gzip framing over zlib, for request bodies (`Content-Encoding: gzip`).
public enum Gzip {
    /// Compresses `data` into a gzip member.
    public static func compress(_ data: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        guard vigil_deflate_init_gzip(&stream, level) == Z_OK else { return [] }
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(data.count))) + 32)
        var input = data
        let produced: Int = input.withUnsafeMutableBufferPointer { inBuf in
            out.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                let rc = deflate(&stream, Z_FINISH)
                return rc == Z_STREAM_END ? Int(stream.total_out) : -1
            }
        }
        guard produced >= 0 else { return [] }
        out.removeSubrange(produced...)
        return out
    }

    public enum Failure: Error, Equatable {
        /// The stream is not valid gzip.
        case corrupt(String)
        /// Inflating would exceed the caller's limit (a "zip bomb" or simply too large).
        case tooLarge(limit: Int)
    }

    /// Decompresses a gzip body, refusing to produce more than `limit` bytes.
    public static func decompress(_ data: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard vigil_inflate_init_gzip(&stream) == Z_OK else { throw .corrupt("zlib init failed") }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        out.reserveCapacity(min(limit, max(data.count * 4, 4096)))
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var input = data
        var failure: Failure?
        input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = uInt(inBuf.count)
            while true {
                let (rc, got): (Int32, Int) = chunk.withUnsafeMutableBufferPointer { c in
                    stream.next_out = c.baseAddress
                    stream.avail_out = uInt(c.count)
                    let rc = inflate(&stream, Z_NO_FLUSH)
                    return (rc, c.count - Int(stream.avail_out))
                }
                if out.count + got > limit { failure = .tooLarge(limit: limit); return }
                out.append(contentsOf: chunk[0..<got])
                if rc == Z_STREAM_END { return }
                if rc != Z_OK {
                    failure = .corrupt(stream.msg.map { String(cString: $0) } ?? "inflate error \(rc)")
                    return
                }
                if stream.avail_in == 0 && got == 0 { failure = .corrupt("truncated gzip stream"); return }
            }
        }
        if let failure { throw failure }
        return out
    }
}

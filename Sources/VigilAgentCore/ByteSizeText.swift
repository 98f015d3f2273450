/// Sizes written as `67108864`, `64MiB`, `512KiB`, `1GiB`, `10MB` (K/M/G alone mean KiB/MiB/GiB).
public enum ByteSizeText {
    /// Bytes, or nil when `text` is not a positive size.
    public static func bytes(_ text: String) -> Int? {
        let digits = text.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty, let n = Int(digits) else { return nil }
        let unit = text.dropFirst(digits.count).drop(while: { $0 == " " })
        let scale: Int
        switch unit {
        case "", "B": scale = 1
        case "K", "KiB", "k": scale = 1024
        case "M", "MiB": scale = 1024 * 1024
        case "G", "GiB": scale = 1024 * 1024 * 1024
        case "KB", "kB": scale = 1000
        case "MB": scale = 1_000_000
        case "GB": scale = 1_000_000_000
        default: return nil
        }
        let (v, o) = n.multipliedReportingOverflow(by: scale)
        guard !o, v > 0 else { return nil }
        return v
    }
}

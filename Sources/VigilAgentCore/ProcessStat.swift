/// Parser for /proc/[pid]/stat.
public enum ProcessStat {
    /// The state letter (R, S, D, Z, T, ...). The command name is in parentheses and may itself contain
    /// spaces and parentheses, so the state is the first field after the LAST `)`.
    public static func state(_ text: String) -> Character? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].first(where: { $0 != " " })
    }
}

/// Keeps a conversation inside the model's context window. Pure.
///
/// Token counts are estimates (about four UTF-8 bytes per token, plus a few tokens per message): no tokenizer
/// is shipped, and the budget only needs to be safe, not exact. Trimming drops the oldest context first and
/// always keeps the system prompt(s) and the newest user message; an assistant message that called tools
/// is dropped together with the tool results that answer it (an orphaned tool result is an API error).
public struct ContextBudget: Sendable, Equatable {
    /// Tokens the prompt may use (the model's context minus room for the answer).
    public var maxPromptTokens: Int

    public init(maxPromptTokens: Int) {
        self.maxPromptTokens = max(64, maxPromptTokens)
    }

    /// Approximate tokens of `text`.
    public static func estimate(_ text: String) -> Int { (text.utf8.count + 3) / 4 }

    /// Approximate tokens of one message (content, tool calls and framing).
    public static func estimate(_ m: AIMessage) -> Int {
        var n = 4 + estimate(m.content)
        for c in m.toolCalls { n += 4 + estimate(c.name) + estimate(c.arguments) }
        return n
    }

    public static func estimate(_ messages: [AIMessage]) -> Int { messages.reduce(2) { $0 + estimate($1) } }

    /// What trimming did.
    public struct Trimmed: Sendable, Equatable {
        public var messages: [AIMessage]
        /// Messages dropped (oldest first).
        public var dropped: Int
        /// True when a kept message had to be shortened as well.
        public var truncated: Bool
        public var tokens: Int
    }

    /// `messages` within the budget.
    public func trim(_ messages: [AIMessage]) -> Trimmed {
        var kept = messages
        var dropped = 0
        let newestUser = kept.lastIndex { $0.role == .user }
        // Indices that may go, oldest first, in groups (an assistant's tool calls with their results).
        var candidates: [[Int]] = []
        var i = 0
        while i < kept.count {
            if kept[i].role == .system || i == newestUser { i += 1; continue }
            var group = [i]
            if kept[i].role == .assistant && !kept[i].toolCalls.isEmpty {
                var j = i + 1
                while j < kept.count, kept[j].role == .tool { group.append(j); j += 1 }
                i = j
            } else {
                i += 1
            }
            candidates.append(group)
        }
        var removed = Set<Int>()
        var total = Self.estimate(kept)
        for group in candidates where total > maxPromptTokens {
            for k in group {
                removed.insert(k)
                total -= Self.estimate(kept[k])
                dropped += 1
            }
        }
        kept = kept.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        var truncated = false
        // Still too big: shorten the longest kept messages, keeping their beginning and end.
        while total > maxPromptTokens, let longest = kept.indices.max(by: { kept[$0].content.utf8.count < kept[$1].content.utf8.count }) {
            let over = total - maxPromptTokens
            let content = kept[longest].content
            let keepChars = max(0, content.count - over * 4 - 64)
            if keepChars == 0 && content.isEmpty { break }
            let head = content.prefix(keepChars * 2 / 3)
            let tail = content.suffix(keepChars / 3)
            kept[longest].content = head + "\n…[\(content.count - keepChars) characters left out to fit the context]…\n" + tail
            truncated = true
            let newTotal = Self.estimate(kept)
            if newTotal >= total { break }
            total = newTotal
        }
        return Trimmed(messages: kept, dropped: dropped, truncated: truncated, tokens: total)
    }
}

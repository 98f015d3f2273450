/// One stored message of a console chat conversation (the chat pane keeps one conversation per incident).
///
/// The store keeps it as it is given: `role` and `meta` mean something to the chat pane only (`user`, `assistant`,
/// `tool_call`, `tool`, `notice`; `meta` is JSON text such as a tool call's id and arguments, or "").
public struct ChatRecord: Sendable, Equatable {
    /// The conversation: an alert fingerprint, `host:NAME`, or `general`.
    public var conversation: String
    /// Its place in the conversation, from 1; assigned by the store when appended (0 before).
    public var seq: Int
    /// Unix ms.
    public var ts: Int64
    public var role: String
    public var content: String
    /// Structured extras as JSON text ("" when none).
    public var meta: String

    public init(conversation: String, seq: Int = 0, ts: Int64, role: String, content: String, meta: String = "") {
        self.conversation = conversation
        self.seq = seq
        self.ts = ts
        self.role = role
        self.content = content
        self.meta = meta
    }
}

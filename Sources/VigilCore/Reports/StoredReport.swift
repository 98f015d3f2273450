/// A generated report as the store keeps it (`reports` table): its text and its JSON, as they were produced.
public struct StoredReport: Sendable, Equatable, Identifiable {
    /// The store's row id; 0 before it is stored.
    public var id: Int64
    /// `daily`.
    public var kind: String
    public var from: Int64
    public var to: Int64
    public var createdAt: Int64
    public var text: String
    public var json: String

    public init(id: Int64 = 0, kind: String, from: Int64, to: Int64, createdAt: Int64, text: String, json: String) {
        self.id = id
        self.kind = kind
        self.from = from
        self.to = to
        self.createdAt = createdAt
        self.text = text
        self.json = json
    }
}

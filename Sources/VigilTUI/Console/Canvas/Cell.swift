import VigilTheme

/// One terminal cell: a character drawn with a semantic role and attributes.
///
/// A double-width character occupies its cell plus the next one, which is marked `isContinuation`.
struct Cell: Equatable, Sendable {
    var character: Character
    var role: Role
    var attributes: TextAttributes
    var isContinuation: Bool

    init(_ character: Character = " ", role: Role = .text, attributes: TextAttributes = [], isContinuation: Bool = false) {
        self.character = character
        self.role = role
        self.attributes = attributes
        self.isContinuation = isContinuation
    }

    static let blank = Cell()
}

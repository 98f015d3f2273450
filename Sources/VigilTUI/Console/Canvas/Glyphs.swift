/// The glyphs the console draws with: Unicode box drawing and braille, or an ASCII fallback.
struct Glyphs: Equatable, Sendable {
    var isUnicode: Bool
    var horizontal: Character
    var vertical: Character
    var topLeft: Character
    var topRight: Character
    var bottomLeft: Character
    var bottomRight: Character
    var ellipsis: String
    var sortAscending: String
    var sortDescending: String
    var selectionMarker: String
    var separator: String

    static let unicode = Glyphs(isUnicode: true, horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐",
                                bottomLeft: "└", bottomRight: "┘", ellipsis: "…", sortAscending: "▲",
                                sortDescending: "▼", selectionMarker: "▶", separator: " │ ")

    static let ascii = Glyphs(isUnicode: false, horizontal: "-", vertical: "|", topLeft: "+", topRight: "+",
                              bottomLeft: "+", bottomRight: "+", ellipsis: "~", sortAscending: "^",
                              sortDescending: "v", selectionMarker: ">", separator: " | ")
}

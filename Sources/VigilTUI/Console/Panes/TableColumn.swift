import VigilTheme

/// What a table cell renderer gets besides the row.
struct CellContext {
    /// Columns available to the cell.
    var width: Int
    var glyphs: Glyphs
    /// Unix ms of the frame.
    var now: Int64
}

/// One column of a `TableView`.
struct TableColumn<Row> {
    var title: String
    /// Minimum (and, unless flexible, fixed) width.
    var width: Int
    /// Whether the column grows into spare width (up to `maxWidth`).
    var flexible: Bool
    var maxWidth: Int?
    var alignRight: Bool
    /// Narrow terminals drop the columns with the lowest priority first.
    var priority: Int
    var cell: (Row, CellContext) -> [Span]
    /// "Less than" for ascending order; nil when the column cannot sort.
    var ascending: ((Row, Row) -> Bool)?
    /// Whether sorting by this column starts descending (highest CPU first, oldest first).
    var descendingFirst: Bool

    init(_ title: String, width: Int, flexible: Bool = false, maxWidth: Int? = nil, alignRight: Bool = false,
         priority: Int = 50, ascending: ((Row, Row) -> Bool)? = nil, descendingFirst: Bool = false, cell: @escaping (Row, CellContext) -> [Span]) {
        self.title = title
        self.width = width
        self.flexible = flexible
        self.maxWidth = maxWidth
        self.alignRight = alignRight
        self.priority = priority
        self.cell = cell
        self.ascending = ascending
        self.descendingFirst = descendingFirst
    }

    /// A plain text column.
    static func text(_ title: String, width: Int, flexible: Bool = false, maxWidth: Int? = nil, alignRight: Bool = false,
                     priority: Int = 50, role: @escaping (Row) -> Role = { _ in .text },
                     ascending: ((Row, Row) -> Bool)? = nil, descendingFirst: Bool = false, _ value: @escaping (Row) -> String) -> TableColumn {
        TableColumn(title, width: width, flexible: flexible, maxWidth: maxWidth, alignRight: alignRight,
                    priority: priority, ascending: ascending, descendingFirst: descendingFirst) { row, _ in [Span(value(row), role(row))] }
    }

    /// The CHECKS column of the hosts and groups tables: passing of the total, as k9s counts READY (`2/2`), red as
    /// soon as one fails; sorted by the failing count.
    static func checks(failing: @escaping (Row) -> Int, total: @escaping (Row) -> Int) -> TableColumn {
        .text("CHECKS", width: 6, alignRight: true, priority: 65,
              role: { failing($0) > 0 ? .critical : (total($0) > 0 ? .ok : .muted) },
              ascending: { (failing($0), total($0)) < (failing($1), total($1)) }, descendingFirst: true) {
            total($0) == 0 ? "-" : Format.passing(failing: failing($0), of: total($0))
        }
    }
}

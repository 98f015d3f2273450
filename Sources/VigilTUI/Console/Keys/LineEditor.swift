import Foundation

/// A one-line text editor with history, used by the `:` command line and the `/` filter line.
struct LineEditor: Equatable, Sendable {
    /// What a key did to the line.
    enum Event: Equatable, Sendable {
        case edited
        case submitted(String)
        case cancelled
        case completionRequested
        case ignored
    }

    /// The prompt drawn before the text (`:` or `/`).
    var prompt: String
    var text: String
    /// Cursor position in characters.
    var cursor: Int
    var history: [String]
    /// Index into history while browsing it with Up/Down; nil when editing a fresh line.
    private var historyIndex: Int?
    private var draft = ""

    init(prompt: String, text: String = "", history: [String] = []) {
        self.prompt = prompt
        self.text = text
        self.cursor = text.count
        self.history = history
    }

    /// Applies one key.
    mutating func handle(_ key: Key) -> Event {
        switch key {
        case .char(let c):
            insert(c)
        case .backspace:
            if cursor == 0 {
                return text.isEmpty ? .cancelled : .ignored
            }
            let i = text.index(text.startIndex, offsetBy: cursor - 1)
            text.remove(at: i)
            cursor -= 1
        case .delete, .ctrl("d"):
            guard cursor < text.count else { return .ignored }
            text.remove(at: text.index(text.startIndex, offsetBy: cursor))
        case .left, .ctrl("b"):
            cursor = max(0, cursor - 1)
        case .right, .ctrl("f"):
            cursor = min(text.count, cursor + 1)
        case .home, .ctrl("a"):
            cursor = 0
        case .end, .ctrl("e"):
            cursor = text.count
        case .ctrl("u"):
            text = String(text.dropFirst(cursor))
            cursor = 0
        case .ctrl("k"):
            text = String(text.prefix(cursor))
        case .ctrl("w"):
            var head = Array(text.prefix(cursor))
            while head.last == " " { head.removeLast() }
            while let last = head.last, last != " " { head.removeLast() }
            text = String(head) + text.dropFirst(cursor)
            cursor = head.count
        case .up, .ctrl("p"):
            guard !history.isEmpty else { return .ignored }
            if historyIndex == nil { draft = text }
            let next = max(0, (historyIndex ?? history.count) - 1)
            historyIndex = next
            setText(history[next])
        case .down, .ctrl("n"):
            guard let index = historyIndex else { return .ignored }
            if index + 1 < history.count {
                historyIndex = index + 1
                setText(history[index + 1])
            } else {
                historyIndex = nil
                setText(draft)
            }
        case .tab:
            return .completionRequested
        case .enter:
            return .submitted(text)
        case .escape, .ctrl("c"), .ctrl("g"):
            return .cancelled
        default:
            return .ignored
        }
        return .edited
    }

    /// Replaces the text and puts the cursor at its end.
    mutating func setText(_ new: String) {
        text = new
        cursor = new.count
    }

    private mutating func insert(_ c: Character) {
        let i = text.index(text.startIndex, offsetBy: cursor)
        text.insert(c, at: i)
        cursor += 1
    }

    /// `history` with `entry` appended (deduplicated against the last entry, at most `limit` kept).
    static func appending(_ entry: String, to history: [String], limit: Int = 100) -> [String] {
        guard !entry.trimmingCharacters(in: .whitespaces).isEmpty else { return history }
        var h = history
        h.removeAll { $0 == entry }
        h.append(entry)
        return Array(h.suffix(limit))
    }
}

/// Keeps stored log templates (rows with stable ids) in step with one `LogTemplateMiner` (whose own ids are
/// dense, process-local, and merge over time). Pure: it says what to write (`Action`s), the store writes it.
///
/// - Every live miner template is bound to one stored id (several live templates may share one row when
///   their texts are equal).
/// - **A template that generalises keeps its row**: the row's text is rewritten (`rename`).
/// - **Templates that merge** (the miner folds one into another) fold their rows: the younger row's lines
///   and counts move to the older row, which survives (`fold(from:into:)`). Ids once written to a log line
///   therefore either stay or are rewritten to the id that absorbed them; no id is reused.
/// - **Restart**: `restore(rows:)` replays every stored template text (oldest id first) into a fresh miner
///   and binds each resulting template to its row, so ids survive restarts. Template text is re-masked on
///   replay (`<*>` stays a variable); a replay that ends up merging rows, or rewriting a text, says so with
///   the same actions.
///
/// - **Sources it has never seen**: per log source, the tracker counts the templates its lines started. A source
///   past `maxTemplatesPerSource` starts no more: a line of it that fits no template joins the shared template
///   `otherTemplate`. A source most of whose latest `recentLines` lines started a template (its variable parts
///   escape the masker) is reported once in `takeWarnings()`, as is one that reaches the cap.
///
/// Merges are found without scanning every template: the miner only merges templates of one bucket (token
/// count and first token), only when it creates a template or generalises one, so the tracker looks at
/// that bucket then and compares it with its last view of it.
public struct LogTemplateTracker: Sendable {
    /// What the store must do to stay in step.
    public enum Action: Sendable, Equatable {
        /// Insert a row with this text, then `bind(miner:stored:text:)` the template to the row's id.
        case create(miner: Int, text: String)
        /// Set the row's text (its template generalised).
        case rename(stored: Int64, text: String)
        /// Move every line and count of `from` to `into` and delete `from`.
        case fold(from: Int64, into: Int64)
    }

    /// The most templates one log source's lines start.
    public static let maxTemplatesPerSource = 2_000
    /// The template the lines of a source past its cap join when they fit no template.
    public static let otherTemplate = "(more templates than the source's cap) <*>"
    /// A source is reported when more than half of this many of its latest lines each started a template.
    public static let recentLines = 200
    /// Sources followed (a new source past this many is mined without the per-source accounting).
    public static let maxSources = 10_000

    struct SourceStats: Sendable {
        var started = 0
        var recent = RingBuffer<Bool>(capacity: LogTemplateTracker.recentLines)
        var recentStarted = 0
        var warnedEscape = false
        var warnedCap = false

        mutating func record(started s: Bool) {
            if s { started += 1 }
            if let old = recent.append(s), old { recentStarted -= 1 }
            if s { recentStarted += 1 }
        }
    }

    public private(set) var miner: LogTemplateMiner
    private var sources: [String: SourceStats] = [:]
    /// Warnings not taken yet: (source, message).
    private var warnings: [(source: String, message: String)] = []
    /// Live miner id → stored id.
    private var storedOf: [Int: Int64] = [:]
    /// Stored id → the live miner ids bound to it.
    private var minersOf: [Int64: [Int]] = [:]
    private var storedText: [Int64: String] = [:]
    private var storedByText: [String: Int64] = [:]
    /// Live miner id → its wildcard count when last looked at.
    private var minerWildcards: [Int: Int] = [:]
    /// Bucket (named by its oldest live template, which never merges away) → its live templates when last looked at.
    private var buckets: [Int: [Int]] = [:]

    public init(miner: LogTemplateMiner = LogTemplateMiner()) {
        self.miner = miner
    }

    /// Number of stored rows the tracker knows.
    public var storedCount: Int { storedText.count }

    /// The stored id of a live miner template (nil until its `create` was applied).
    public func storedID(ofMiner id: Int) -> Int64? { storedOf[miner.resolve(id)] }

    /// The text of a stored row as the tracker knows it.
    public func text(ofStored id: Int64) -> String? { storedText[id] }

    /// Mines one line of `source`, with the per-source cap and accounting (see the type's notes); returns its
    /// live miner id and what the store must do first (apply in order).
    public mutating func observe(_ message: String, source: String) -> (miner: Int, actions: [Action]) {
        guard var stats = sources[source] ?? (sources.count < Self.maxSources ? SourceStats() : nil) else { return observe(message) }
        defer { sources[source] = stats }
        if stats.started >= Self.maxTemplatesPerSource {
            if let raw = miner.addIfKnown(message) {
                let id = miner.resolve(raw)
                var actions: [Action] = []
                if minerWildcards[id] != miner.wildcardCount(of: id) { reconcile(around: id, actions: &actions) }
                stats.record(started: false)
                return (id, actions)
            }
            if !stats.warnedCap {
                stats.warnedCap = true
                warnings.append((source, "log source \(source): its lines started \(Self.maxTemplatesPerSource) templates, the cap; new kinds of "
                                 + "line now join '\(Self.otherTemplate)'. Its variable parts are likely not masked (docs/logs.md)"))
            }
            stats.record(started: false)
            return observe(Self.otherTemplate)
        }
        let before = miner.idCount
        let result = observe(message)
        stats.record(started: miner.idCount != before)
        if !stats.warnedEscape && stats.recent.isFull && stats.recentStarted * 2 > Self.recentLines {
            stats.warnedEscape = true
            warnings.append((source, "log source \(source): \(stats.recentStarted) of its last \(Self.recentLines) lines each started a new "
                             + "template: its variable parts (ids, numbers in words) escape the masker, so its patterns mean little (docs/logs.md)"))
        }
        return result
    }

    /// The warnings found since the last call, once per source and kind: (source, message).
    public mutating func takeWarnings() -> [(source: String, message: String)] {
        defer { warnings.removeAll() }
        return warnings
    }

    /// How many templates the lines of `source` started (nil: not followed).
    public func templatesStarted(bySource source: String) -> Int? { sources[source]?.started }

    /// Mines one message; returns its live miner id and what the store must do first (apply in order).
    public mutating func observe(_ message: String) -> (miner: Int, actions: [Action]) {
        let before = miner.idCount
        let raw = miner.add(message)  // (not inline: `miner.resolve(miner.add(…))` would resolve on the copy from before the add)
        let id = miner.resolve(raw)
        var actions: [Action] = []
        if miner.idCount != before || minerWildcards[id] != miner.wildcardCount(of: id) {
            reconcile(around: id, actions: &actions)
        }
        return (id, actions)
    }

    /// Records that the row `stored` (with `text`) was inserted for the live miner template `miner`.
    public mutating func bind(miner: Int, stored: Int64, text: String) {
        let m = self.miner.resolve(miner)
        if let old = storedOf[m], old == stored { return }
        storedOf[m] = stored
        minersOf[stored, default: []].append(m)
        if storedText[stored] == nil {
            storedText[stored] = text
            storedByText[text] = stored
        }
    }

    /// Rebuilds the miner from stored rows (`(id, template)`, any order) and binds each template to its row;
    /// returns the folds and renames that replaying caused (usually none).
    public mutating func restore(rows: [(id: Int64, text: String)]) -> [Action] {
        let ordered = rows.sorted { $0.id < $1.id }
        for r in ordered where storedByText[r.text] == nil {
            storedText[r.id] = r.text
            storedByText[r.text] = r.id
        }
        var out: [Action] = []
        for r in ordered where storedText[r.id] != nil {
            let (m, actions) = observe(r.text)
            for a in actions {
                if case .create(let mm, let t) = a {
                    // A text that re-masks differently: keep the row, with the text the miner shows now.
                    if storedOf[mm] == nil && storedText[r.id] != nil && minersOf[r.id, default: []].isEmpty {
                        bindExisting(mm, r.id)
                        if t != storedText[r.id] { rename(r.id, t, &out) }
                    } else {
                        out.append(a)
                    }
                } else {
                    out.append(a)
                }
            }
            if storedText[r.id] != nil, let bound = storedOf[m], bound != r.id, minersOf[r.id, default: []].isEmpty {
                // Two rows replay into one template: the younger folds into the older.
                fold(max(bound, r.id), into: min(bound, r.id), &out)
            }
        }
        return out
    }

    // MARK: internals

    private mutating func bindExisting(_ m: Int, _ stored: Int64) {
        storedOf[m] = stored
        minersOf[stored, default: []].append(m)
    }

    /// Compares the bucket of `id` with the last view of it: merged-away templates fold their rows into the
    /// survivor's, new templates get a row (or share one with the same text), changed texts are renamed.
    private mutating func reconcile(around id: Int, actions: inout [Action]) {
        let mates = miner.bucketMates(of: id)
        guard let anchor = mates.min() else { return }
        let live = Set(mates)
        for m in buckets[anchor] ?? [] where !live.contains(m) {
            let into = miner.resolve(m)
            minerWildcards[m] = nil
            guard let s = storedOf.removeValue(forKey: m) else { continue }
            minersOf[s]?.removeAll { $0 == m }
            if let t = storedOf[into] {
                if t != s { fold(max(s, t), into: min(s, t), &actions) }
            } else {
                bindExisting(into, s)
            }
        }
        buckets[anchor] = mates
        for m in mates {
            let wildcards = miner.wildcardCount(of: m)
            let text = miner.template(m)
            if let s = storedOf[m] {
                if storedText[s] != text { rename(s, text, &actions) }
            } else if let s = storedByText[text] {
                bindExisting(m, s)
            } else {
                actions.append(.create(miner: m, text: text))
            }
            minerWildcards[m] = wildcards
        }
    }

    private mutating func rename(_ s: Int64, _ text: String, _ actions: inout [Action]) {
        if let other = storedByText[text], other != s {
            // Another row already has this text: one row survives (the older), with the text.
            let survivor = min(s, other)
            fold(max(s, other), into: survivor, &actions)
            if survivor == s { rename(s, text, &actions) }
            return
        }
        if let old = storedText[s], storedByText[old] == s { storedByText[old] = nil }
        storedText[s] = text
        storedByText[text] = s
        actions.append(.rename(stored: s, text: text))
    }

    private mutating func fold(_ from: Int64, into: Int64, _ actions: inout [Action]) {
        guard from != into else { return }
        actions.append(.fold(from: from, into: into))
        for m in minersOf.removeValue(forKey: from) ?? [] {
            storedOf[m] = into
            minersOf[into, default: []].append(m)
        }
        if let t = storedText.removeValue(forKey: from), storedByText[t] == from { storedByText[t] = nil }
    }
}

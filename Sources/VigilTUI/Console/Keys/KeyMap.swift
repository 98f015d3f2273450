/// An ordered set of key actions. Maps merge: a later (more specific) map shadows the keys of an earlier one, so
/// a pane can rebind a global key. The hint line and the help overlay are both generated from the merged map.
struct KeyMap {
    private(set) var actions: [KeyAction]

    init(_ actions: [KeyAction] = []) {
        self.actions = actions
    }

    /// `self` (more specific) merged over `base`: base actions lose keys `self` binds, and vanish if none are left.
    /// Own actions come first.
    func merged(over base: KeyMap) -> KeyMap {
        let taken = Set(actions.flatMap(\.keys))
        var result = actions
        for var action in base.actions {
            action.keys.removeAll { taken.contains($0) }
            if !action.keys.isEmpty { result.append(action) }
        }
        return KeyMap(result)
    }

    /// The map without dangerous actions (`--readonly`).
    func droppingDangerous() -> KeyMap {
        KeyMap(actions.filter { !$0.dangerous })
    }

    /// The action bound to `key`, if any.
    func action(for key: Key) -> KeyAction? {
        actions.first { $0.keys.contains(key) }
    }

    /// Actions shown in the hint line, in order.
    var hints: [KeyAction] { actions.filter(\.shownInHints) }

    /// Every bound key.
    var allKeys: [Key] { actions.flatMap(\.keys) }
}

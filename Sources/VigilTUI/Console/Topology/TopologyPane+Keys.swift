import VigilCore

extension TopologyPane {
    var keyMap: KeyMap {
        let section = "Topology"
        var own: [KeyAction] = []
        let moves: [([Key], String, TopologyDirection, Int, Int)] = [
            ([.char("k"), .up], "select up", .up, 0, -1),
            ([.char("j"), .down], "select down", .down, 0, 1),
            ([.char("h"), .left], "select left", .left, -1, 0),
            ([.char("l"), .right], "select right", .right, 1, 0),
        ]
        for (keys, title, direction, dx, dy) in moves {
            own.append(KeyAction(keys, title, section: section, shownInHints: false) { [self] in
                if model.view.moving != nil {
                    model.nudge(dx: dx * 2, dy: dy)
                    return .redraw
                }
                return model.select(toward: direction) ? .redraw : .ignored
            })
        }
        own += [
            KeyAction([.enter], "open", section: section) { [self] in
                if model.view.moving != nil {
                    model.stopMoving()
                    savePins()
                    return .redraw
                }
                guard let n = model.selectedNode else { return .message("no node selected", isError: false) }
                switch n.kind {
                case .group:
                    _ = model.expand(n.id)
                    return .redraw
                case .host:
                    return .push(HostDetailPane(name: n.id, summary: hosts?.first { $0.name == n.id }))
                case .service:
                    let links = model.visible.links.filter { $0.from == n.id || $0.to == n.id }
                    let text = links.map { "\($0.from) \($0.kind.phrase) \($0.to) [\($0.sourceText)]" }.joined(separator: "; ")
                    return .message("\(n.id) is not a monitored host: \(text.isEmpty ? "no links" : text)", isError: false)
                }
            },
            KeyAction([.escape], "back", section: section) { [self] in
                if model.view.moving != nil {
                    model.stopMoving()
                    savePins()
                    return .redraw
                }
                return .pop
            },
            KeyAction([.char("t")], "layout", section: section) { [self] in
                model.toggleLayout()
                savePins()
                return .redraw
            },
            KeyAction([.char("m")], "move", section: section) { [self] in
                if model.view.moving != nil {
                    model.stopMoving()
                    savePins()
                    return .redraw
                }
                return model.startMoving() ? .redraw : .message("no node selected", isError: false)
            },
            KeyAction([.char("u")], "unpin", section: section, shownInHints: false) { [self] in
                guard model.unpin() else { return .message("the selection is not pinned", isError: false) }
                savePins()
                return .redraw
            },
            KeyAction([.char("i")], "isolate", section: section) { [self] in
                model.toggleIsolate()
                return .redraw
            },
            KeyAction([.char("a")], "alerts only", section: section) { [self] in
                model.toggleAlertsOnly()
                return .redraw
            },
            KeyAction([.char("c")], "fold group", section: section, shownInHints: false) { [self] in
                model.collapseSelection() ? .redraw : .message("the selection is not a host in a group", isError: false)
            },
            KeyAction([.char("+"), .char("=")], "zoom in", section: section, shownInHints: false) { [self] in
                model.zoom(1) ? .redraw : .ignored
            },
            KeyAction([.char("-")], "zoom out", section: section, shownInHints: false) { [self] in
                model.zoom(-1) ? .redraw : .ignored
            },
            KeyAction([.char("H")], "pan left", section: section, shownInHints: false) { [self] in
                model.pan(dx: -16, dy: 0)
                return .redraw
            },
            KeyAction([.char("L")], "pan right", section: section, shownInHints: false) { [self] in
                model.pan(dx: 16, dy: 0)
                return .redraw
            },
            KeyAction([.char("K")], "pan up", section: section, shownInHints: false) { [self] in
                model.pan(dx: 0, dy: -6)
                return .redraw
            },
            KeyAction([.char("J")], "pan down", section: section, shownInHints: false) { [self] in
                model.pan(dx: 0, dy: 6)
                return .redraw
            },
            KeyAction([.char("n")], "next match", section: section, shownInHints: false) { [self] in
                guard !filterText.isEmpty else { return .ignored }
                model.find(filterText)
                return .redraw
            },
        ]
        return KeyMap(own)
    }
}

import VigilCore
import VigilWire

/// The keys that act on one alert, shared by the alerts pane (on the selected row) and the alert detail.
/// Changing actions are `dangerous` (so `--readonly` drops them) and check the user's role before asking
/// anything, so a viewer hears why at once instead of after typing a note.
struct AlertActions {
    let user: VigilUser
    let section: String
    /// The alert the keys act on (nil: nothing selected).
    let current: () -> StoredAlert?

    /// Ack, silence, note, go to host (in hints), then unack, assign and resolve by hand (help only).
    var actions: [KeyAction] {
        [
            KeyAction([.char("a")], "ack", section: section, dangerous: true) { [self] in
                withAlert(.acknowledge) { alert in
                    let subject = AlertFormat.subject(alert)
                    return .prompt("ack \(subject), note: ", initial: "") { note in
                        .perform(.alert(.ack, fingerprint: alert.fingerprint, detail: note, subject: subject))
                    }
                }
            },
            KeyAction([.char("s")], "silence", section: section, dangerous: true) { [self] in
                withAlert(.silence) { alert in
                    .push(SilenceFormPane(user: user, matchers: AlertFormat.silenceMatchers(for: alert).joined(separator: " ")))
                }
            },
            KeyAction([.char("n")], "note", section: section, dangerous: true) { [self] in
                withAlert(.annotate) { alert in
                    let subject = AlertFormat.subject(alert)
                    return .prompt("note on \(subject): ", initial: "") { note in
                        note.trimmingCharacters(in: .whitespaces).isEmpty
                            ? .message("empty note not added", isError: false)
                            : .perform(.alert(.note, fingerprint: alert.fingerprint, detail: note, subject: subject))
                    }
                }
            },
            KeyAction([.char("r")], "remediate", section: section) { [self] in
                guard let alert = current() else { return .message("no alert selected", isError: false) }
                return .openRemediation(alert)
            },
            KeyAction([.char("c")], "chat", section: section) { [self] in
                guard let alert = current() else { return .message("no alert selected", isError: false) }
                return .openChat(.alert(alert))
            },
            KeyAction([.char("L")], "logs around it", section: section, shownInHints: false) { [self] in
                guard let alert = current() else { return .message("no alert selected", isError: false) }
                return .push(LogsPane.around(alert, now: WallClock.nowMs()))
            },
            KeyAction([.char("g")], "host", section: section) { [self] in
                guard let alert = current() else { return .message("no alert selected", isError: false) }
                guard let host = alert.host else { return .message("\(alert.rule) has no host label", isError: true) }
                return .push(HostDetailPane(name: host))
            },
            KeyAction([.char("u")], "unacknowledge", section: section, shownInHints: false, dangerous: true) { [self] in
                withAlert(.acknowledge) { alert in
                    guard alert.ackedBy != nil else { return .message("\(AlertFormat.subject(alert)) is not acknowledged", isError: false) }
                    return .perform(.alert(.unack, fingerprint: alert.fingerprint, detail: "", subject: AlertFormat.subject(alert)))
                }
            },
            KeyAction([.char("o")], "assign (empty: unassign)", section: section, shownInHints: false, dangerous: true) { [self] in
                withAlert(.annotate) { alert in
                    let subject = AlertFormat.subject(alert)
                    return .prompt("assign \(subject) to: ", initial: alert.assignee ?? user.name) { who in
                        .perform(.alert(.assign, fingerprint: alert.fingerprint,
                                        detail: who.trimmingCharacters(in: .whitespaces), subject: subject))
                    }
                }
            },
            KeyAction([.char("x")], "resolve by hand (pushed alerts)", section: section, shownInHints: false, dangerous: true) { [self] in
                withAlert(.resolve) { alert in
                    let subject = AlertFormat.subject(alert)
                    guard alert.isActive else { return .message("\(subject) is already resolved", isError: false) }
                    guard alert.source != "vigil" else {
                        return .message("\(subject) resolves by itself when its condition clears; silence it (s) instead", isError: false)
                    }
                    return .prompt("resolve \(subject) by hand? type yes: ", initial: "") { answer in
                        answer.trimmingCharacters(in: .whitespaces).lowercased() == "yes"
                            ? .perform(.alert(.manualResolve, fingerprint: alert.fingerprint, detail: "", subject: subject))
                            : .message("not resolved", isError: false)
                    }
                }
            },
        ]
    }

    private func withAlert(_ permission: Permission, _ body: (StoredAlert) -> Reaction) -> Reaction {
        guard let alert = current() else { return .message("no alert selected", isError: false) }
        if let why = user.refusal(permission) { return .message(why, isError: true) }
        return body(alert)
    }
}

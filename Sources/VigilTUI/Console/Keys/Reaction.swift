import VigilCore

/// What a key handler asks the console to do next.
indirect enum Reaction {
    /// The key was not for this handler; try the next map.
    case ignored
    /// Handled; the screen needs redrawing.
    case redraw
    /// Push a pane (a detail view, a dialog, the help overlay) on the view stack.
    case push(any Pane)
    /// Pop the top pane (Esc).
    case pop
    /// Quit the console.
    case quit
    /// Ask the background poller for fresh data now.
    case refreshNow
    /// Show a transient message on the status line.
    case message(String, isError: Bool)
    /// Run a console command (as if typed after `:`).
    case command(TypedCommand)
    /// Open the command line (`:`) or filter line (`/`).
    case openCommandLine
    case openFilter
    /// Repaint every cell (Ctrl-L).
    case fullRedraw
    /// Ask the store for a change (checked against the user's role and `--readonly` first).
    case perform(StoreRequest)
    /// Ask for a line of text in the command-line style prompt; `submit` gets it on Enter (Esc cancels).
    case prompt(String, initial: String, submit: (String) -> Reaction)
    /// Ask a yes/no question on the command line; `y` carries out the reaction, any other key cancels.
    case confirm(String, Reaction)
    /// Open remediation for an alert (`r`): the console builds the pane with the runbook catalogue.
    case openRemediation(StoredAlert)
    /// Ask the remediation worker for a plan, a run, an approval… (changing requests are checked first).
    case remediate(RemediationRequest)
    /// Open the AI chat about `subject` (`:chat`, `c`): the console builds the pane with the AI settings.
    case openChat(ChatSubject)
    /// Ask the chat worker to load a conversation, answer a question, stop an answer, read the AI call log.
    case chat(ChatRequest)
    /// Back to the dashboard with this `/` filter (a group's hosts from the Groups pane).
    case showHosts(filter: String)
    /// Several reactions in order.
    case sequence([Reaction])
}

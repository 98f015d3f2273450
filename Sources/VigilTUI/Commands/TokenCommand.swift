import ArgumentParser
import Foundation
import VigilCore
import VigilWire

/// `vigil token create|list|revoke`: agent tokens.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Manage agent tokens (only a hash is stored; the secret is printed once).",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an agent token and print it once.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Bind the token to this host: batches reporting another host are refused (403).")
        var host: String?
        @Flag(help: "A fleet token, valid for any host (instead of --host).")
        var fleet = false
        @Option(help: "An API token for scripts and chat bots, acting as this user (instead of --host/--fleet).")
        var user: String?
        @Option(help: ArgumentHelp("Expire after this long, e.g. 90d, 12h (default: never).", valueName: "DURATION"))
        var expires: String?
        @Option(help: "A note shown in 'vigil token list'.")
        var comment: String = ""

        func validate() throws {
            let kinds = (host != nil ? 1 : 0) + (fleet ? 1 : 0) + (user != nil ? 1 : 0)
            if kinds == 0 { throw ValidationError("name the host the token is for (--host web-1), pass --fleet for a token any host may use, or --user NAME for an API token") }
            if kinds > 1 { throw ValidationError("--host, --fleet and --user exclude each other") }
            if let user, !VigilUser.isValidName(user) { throw ValidationError("--user '\(user)' must match [A-Za-z_][A-Za-z0-9._-]{0,63}") }
            if let host, !WireNames.isValidHost(host) { throw ValidationError("--host '\(host)' must match [A-Za-z0-9._-]{1,253}") }
            if let expires, DurationText.milliseconds(expires) == nil {
                throw ValidationError("--expires '\(expires)' is not a duration; write e.g. 90d, 12h or 30m")
            }
        }

        func run() throws {
            let store = try self.store.open()
            let actor = try Operator.require(.manageTokens, store: store)
            let now = WallClock.nowMs()
            let expiresAt = expires.flatMap(DurationText.milliseconds).map { now + $0 }
            let (host, comment, user) = (self.host, self.comment, self.user)
            let (token, secret) = try Blocking.run {
                if let user { return try await store.createUserToken(user: user, expiresAt: expiresAt, comment: comment, now: now, actor: actor.name) }
                return try await store.createAgentToken(host: host, expiresAt: expiresAt, comment: comment, now: now, actor: actor.name)
            }
            print(secret)
            let scope = token.user.map { "the API, acting as user \($0)" } ?? token.host.map { "host \($0)" } ?? "any host (fleet token)"
            var note = "created \(token.id) for \(scope)"
            if let e = token.expiresAt { note += ", expires \(TimeText.iso(e))" }
            let use = token.user == nil ? "put it in the agent's config (token:) or VIGIL_TOKEN" : "send it as Authorization: Bearer <token>"
            FileHandle.standardError.write(Data("\(note). The secret above is shown only once: \(use).\n".utf8))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List agent tokens.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            let store = try self.store.open()
            let tokens = try Blocking.run { try await store.agentTokens() }
            let now = WallClock.nowMs()
            let rows = tokens.map { t -> [String] in
                let state = t.revokedAt != nil ? "revoked" : (t.isValid(at: now) ? "active" : "expired")
                return [t.id, t.user.map { "user \($0)" } ?? t.host ?? "(fleet)", state, TimeText.iso(t.createdAt), t.expiresAt.map(TimeText.iso) ?? "never",
                        t.lastUsedAt.map { DurationText.short(ms: now - $0) + " ago" } ?? "never", t.comment]
            }
            print(TimeText.table(header: ["ID", "FOR", "STATE", "CREATED", "EXPIRES", "LAST USED", "COMMENT"], rows: rows))
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an agent token by id; agents using it are refused within seconds.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The token id, as 'vigil token list' shows it (tok_…).")
        var id: String

        func run() throws {
            let store = try self.store.open()
            let actor = try Operator.require(.manageTokens, store: store)
            let id = self.id
            let found = try Blocking.run { try await store.revokeAgentToken(id: id, now: WallClock.nowMs(), actor: actor.name) }
            guard found else { throw ValidationError("no token with id '\(id)'; see 'vigil token list'") }
            print("revoked \(id)")
        }
    }
}

/// Text formatting for command output.
enum TimeText {
    static func iso(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    /// Left-aligned columns separated by two spaces.
    static func table(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}

import ArgumentParser
import Foundation
import VigilCore
import VigilWire

extension UserRole: ExpressibleByArgument {}

/// `vigil user add|list|set-role`.
struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage users and roles (viewer, operator, admin). In the console, the user is your OS login.",
        subcommands: [Add.self, List.self, SetRole.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user with a role.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The user's OS login name.") var name: String
        @Option(help: "viewer, operator or admin.") var role: UserRole = .viewer

        func run() throws {
            let store = try self.store.open()
            let actor = try Operator.require(.manageUsers, store: store)
            let (name, role) = (self.name, self.role)
            do {
                let u = try Blocking.run { try await store.addUser(name, role: role, now: WallClock.nowMs(), actor: actor.name) }
                print("added \(u.name) as \(u.role.rawValue)")
            } catch let e as StoreError {
                throw ValidationError(e.message)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users and their roles.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            let store = try self.store.open()
            let me = try Operator.current(store: store)
            let users = try Blocking.run { try await store.users() }
            print(TimeText.table(header: ["USER", "ROLE", "SINCE"], rows: users.map { [$0.name, $0.role.rawValue, TimeText.iso($0.createdAt)] }))
            if !users.contains(where: { $0.name == me.name }) {
                print("(you, \(me.name), are not listed: unknown users are viewers)")
            }
        }
    }

    struct SetRole: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-role", abstract: "Change a user's role.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The user.") var name: String
        @Argument(help: "viewer, operator or admin.") var role: UserRole

        func run() throws {
            let store = try self.store.open()
            let actor = try Operator.require(.manageUsers, store: store)
            let (name, role) = (self.name, self.role)
            do {
                let u = try Blocking.run { try await store.setRole(of: name, to: role, now: WallClock.nowMs(), actor: actor.name) }
                print("\(u.name) is now \(u.role.rawValue)")
            } catch let e as StoreError {
                throw ValidationError(e.message)
            }
        }
    }
}

/// `vigil audit list|verify`.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read and verify the append-only, hash-chained audit log.",
        subcommands: [List.self, Verify.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List audit entries, oldest first.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Only this user's actions.") var user: String?
        @Option(help: "Only this action (token.create), or a prefix ending in a dot (token.).") var action: String?
        @Option(help: ArgumentHelp("Only entries newer than this, e.g. 24h or 7d.", valueName: "DURATION")) var since: String?
        @Option(help: "At most this many (the newest).") var limit: Int = 200

        func run() throws {
            var filter = AuditFilter(actor: user, action: action, limit: max(1, limit))
            if let since {
                guard let ms = DurationText.milliseconds(since) else { throw ValidationError("--since '\(since)' is not a duration (e.g. 24h)") }
                filter.since = WallClock.nowMs() - ms
            }
            let store = try self.store.open()
            let f = filter
            let entries = try Blocking.run { try await store.auditEntries(f) }
            print(TimeText.table(header: ["ID", "TIME", "USER", "ACTION", "TARGET", "DETAIL"],
                                 rows: entries.map { [String($0.id), TimeText.iso($0.ts), $0.actor, $0.action, $0.target, $0.detail] }))
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that no audit entry was edited or deleted (exit 1 if one was).",
            discussion: """
            The chain proves no entry was edited or removed in the middle; the anchors (checkpoints appended to \
            VIGIL_AUDIT_ANCHOR, by default the store's path + .audit-anchor, by the engine every 5 s and by each \
            successful verify) prove no entry was removed from the end and the chain was not rewritten.
            """
        )
        @OptionGroup var store: StoreOptions

        func run() throws {
            let store = try self.store.open()
            let check: AuditCheck
            do { check = try Blocking.run { try await AuditCheck.run(store) } } catch let e as StoreError { throw ValidationError(e.message) }
            guard check.isIntact else {
                for p in check.problems { print("TAMPERED: \(p)") }
                throw ExitCode(1)
            }
            print("audit log " + check.summary)
            if let path = check.anchorPath {
                do {
                    _ = try Blocking.run { try await AuditAnchorFile(path: path).anchor(store, now: WallClock.nowMs()) }
                } catch {
                    FileHandle.standardError.write(Data("warning: \(error)\n".utf8))
                }
            }
        }
    }
}

import ArgumentParser
import Foundation
import VigilCore
import VigilWire

/// The person running a command: the OS login (each engineer who SSHes in is themselves).
enum Operator {
    /// The login name of the real user (`getpwuid(getuid())`), falling back to `$USER`.
    static func osUserName() -> String {
        if let pw = getpwuid(getuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "uid\(getuid())"
    }

    /// Resolves the operator against the store (the first user of a new store becomes its admin).
    static func current(store: any Store) throws -> VigilUser {
        let name = osUserName()
        return try Blocking.run { try await store.resolveUser(osUser: name, now: WallClock.nowMs()) }
    }

    /// The operator, when allowed to do `permission`; otherwise a clear refusal.
    static func require(_ permission: Permission, store: any Store) throws -> VigilUser {
        let user = try current(store: store)
        if let why = user.refusal(permission) { throw ValidationError(why) }
        return user
    }
}

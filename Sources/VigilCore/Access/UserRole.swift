/// What a user may do. Ordered: each role can do everything the one before it can.
public enum UserRole: String, Sendable, CaseIterable, Comparable {
    /// Sees everything, changes nothing.
    case viewer
    /// Acknowledges, silences, annotates, runs approved runbooks.
    case `operator`
    /// Everything, including users, tokens and rules.
    case admin

    var rank: Int {
        switch self {
        case .viewer: 0
        case .operator: 1
        case .admin: 2
        }
    }

    public static func < (a: UserRole, b: UserRole) -> Bool { a.rank < b.rank }
}

/// The operator and admin actions, each with the least role that may perform it.
public enum Permission: String, Sendable, CaseIterable {
    case acknowledge, silence, annotate, resolve, runRunbook
    case manageTokens, manageUsers, reloadRules, manageRetention

    public var requiredRole: UserRole {
        switch self {
        case .acknowledge, .silence, .annotate, .resolve, .runRunbook: .operator
        case .manageTokens, .manageUsers, .reloadRules, .manageRetention: .admin
        }
    }
}

/// A user of Vigil: in the console, the OS login of whoever runs it.
public struct VigilUser: Sendable, Equatable {
    public var name: String
    public var role: UserRole
    public var createdAt: Int64

    public init(name: String, role: UserRole, createdAt: Int64) {
        self.name = name
        self.role = role
        self.createdAt = createdAt
    }

    public func may(_ p: Permission) -> Bool { role >= p.requiredRole }

    /// Why `p` is refused, in words for a status line; nil when allowed.
    public func refusal(_ p: Permission) -> String? {
        may(p) ? nil : "\(name) is a \(role.rawValue); \(p.rawValue) needs \(p.requiredRole.rawValue) (ask an admin: vigil user set-role \(name) \(p.requiredRole.rawValue))"
    }

    /// User names: `[A-Za-z_][A-Za-z0-9._-]{0,63}`, like login names.
    public static func isValidName(_ s: String) -> Bool {
        guard let first = s.utf8.first, s.utf8.count <= 64 else { return false }
        let startOK = (first >= 97 && first <= 122) || (first >= 65 && first <= 90) || first == 95
        return startOK && s.utf8.allSatisfy { b in
            (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b == 95 || b == 46 || b == 45
        }
    }
}

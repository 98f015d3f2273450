import VigilCore

/// How far back the audit pane lists (`t` cycles).
enum AuditRange: Int, CaseIterable, Equatable, Sendable {
    case h1, h24, d7, d30, all

    var label: String {
        switch self {
        case .h1: "1h"
        case .h24: "24h"
        case .d7: "7d"
        case .d30: "30d"
        case .all: "all"
        }
    }

    /// The span in ms (nil: everything).
    var milliseconds: Int64? {
        switch self {
        case .h1: 3_600_000
        case .h24: 86_400_000
        case .d7: 7 * 86_400_000
        case .d30: 30 * 86_400_000
        case .all: nil
        }
    }

    func cycled(_ step: Int) -> AuditRange {
        let n = Self.allCases.count
        return AuditRange(rawValue: ((rawValue + step) % n + n) % n)!
    }
}

/// What the audit pane wants read: entries by user, action (exact, or a prefix ending in `.`) and time.
struct AuditInterest: Equatable, Sendable {
    var user: String?
    var action: String?
    var range: AuditRange
    /// Bumped by `v` to check the chain now rather than at the next minute.
    var verifyRequest = 0
}

/// Entries (newest first) and the last check of the whole log.
struct AuditSnapshot: Equatable, Sendable {
    var interest: AuditInterest
    var entries: [AuditEntry]
    var check: AuditCheck?
    var checkedAt: Int64?
}

/// Reads the audit pane's entries every round and checks the whole chain at most once a minute (it reads every
/// entry), or at once when asked (`v`).
final class AuditFetcher: Sendable {
    static let limit = 1_000
    static let checkEvery: Int64 = 60_000

    private let last = Locked<(check: AuditCheck, at: Int64, request: Int)?>(nil)

    init() {}

    func fetch(_ store: any Store, _ wanted: AuditInterest, now: Int64) async -> ConsoleMessage {
        do {
            var filter = AuditFilter(actor: wanted.user, action: wanted.action, limit: Self.limit)
            if let span = wanted.range.milliseconds { filter.since = now - span }
            let entries = try await store.auditEntries(filter).sorted { $0.id > $1.id }
            var check = last.withLock { $0 }
            if check == nil || now - check!.at >= Self.checkEvery || check!.request != wanted.verifyRequest {
                let c = try await AuditCheck.run(store)
                check = (c, now, wanted.verifyRequest)
                last.withLock { $0 = check }
            }
            return .audit(AuditSnapshot(interest: wanted, entries: entries, check: check?.check, checkedAt: check?.at))
        } catch {
            return .auditError(String(describing: error))
        }
    }
}

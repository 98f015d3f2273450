import Foundation
import Testing
@testable import VigilCore

/// The store backends the conformance tests run on: SQLite always, PostgreSQL when `VIGIL_TEST_POSTGRES_URL` names
/// a server (`.ci/run` always sets it). Without it `PostgresBackendTests.serverIsReachable` is skipped with that
/// message, and the parameterised tests run on SQLite only.
enum Backend: String, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    static let postgresURL: String? = ProcessInfo.processInfo.environment["VIGIL_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    static let available: [Backend] = postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]

    var testDescription: String { rawValue }

    /// A store in `dir` (SQLite) or in a schema of its own named after `dir` (PostgreSQL); the same store each call.
    func open(_ dir: TempDir) async throws -> any Store {
        switch self {
        case .sqlite:
            return try SQLiteStore(path: dir.file("v.db"))
        case .postgres:
            guard let url = Self.postgresURL else { throw StoreError("VIGIL_TEST_POSTGRES_URL is not set") }
            await Self.sweep.value
            return try PostgresStore(url: Self.url(url, schema: Self.schema(of: dir)))
        }
    }

    /// The address of `dir`'s own schema (after the sweep of old schemas, so it is never swept away).
    static func postgresURL(for dir: TempDir) async -> String {
        await sweep.value
        return url(postgresURL!, schema: schema(of: dir))
    }

    static func schema(of dir: TempDir) -> String {
        "vt_" + String(dir.path.split(separator: "/").last!.suffix(36)).lowercased().filter { $0.isLetter || $0.isNumber }
    }

    /// A test's store, and every `vigil serve` a test starts on it, keeps at most `pool=4` connections (the default is
    /// 8): hundreds of tests run at once, each with a store or two, and a sanitizer run keeps them open longer. The
    /// suite reached the server's default limit of 100 there; `.ci/run` allows 500 and the suite peaks near 115.
    /// They also wait up to 60 s for a connection (the default is 10 s): a sanitizer run once stalled the machine long
    /// enough for 33 tests' first connections to time out at once.
    static func url(_ base: String, schema: String) -> String {
        base + (base.contains("?") ? "&" : "?") + "schema=" + schema + (base.contains("pool=") ? "" : "&pool=4")
            + (base.contains("connect_timeout=") ? "" : "&connect_timeout=60")
    }

    /// Drops the schemas earlier test runs left behind (once per test process, before the first store).
    private static let sweep = Task<Void, Never> {
        guard let url = postgresURL, let store = try? PostgresStore(url: url) else { return }
        _ = try? await store.write { s in
            for r in try await s.rows("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'vt\\_%'") {
                let name: String = try r["nspname"]
                try await s.execute("DROP SCHEMA \"\(name)\" CASCADE")
            }
        }
        store.close()
    }
}

@Suite struct PostgresBackendTests {
    @Test(.enabled(if: Backend.postgresURL != nil,
                   "VIGIL_TEST_POSTGRES_URL is not set: the store conformance tests run on SQLite only (.ci/run starts PostgreSQL and sets it)"))
    func serverIsReachable() async throws {
        let dir = TempDir()
        let store = try await Backend.postgres.open(dir)
        let stats = try await store.stats()
        #expect(stats.hosts == 0 && stats.bytes > 0)
    }
}

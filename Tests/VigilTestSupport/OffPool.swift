import Foundation
import Testing

/// Runs blocking work (sleeps, blocking sockets, waiting on a child process) on a thread of its own and awaits it, so a
/// test never holds one of the cooperative pool's threads: on a 2-core machine the pool has two, and a test blocking
/// one for seconds stalls every concurrent test's timers and tasks.
///
/// Expectations made on that thread would not be attributed to the test (it has no task context): record them in
/// `checks` (``OffPoolChecks``); they are reported as the test's issues, at their lines, when the work ends.
public func offPool<T: Sendable>(_ work: @escaping @Sendable (OffPoolChecks) throws -> T) async throws -> T {
    let checks = OffPoolChecks()
    defer { checks.report() }
    return try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try work(checks)) } catch { continuation.resume(throwing: error) }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

/// The same for work that checks nothing itself (libcurl, waiting on processes).
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await offPool { (_: OffPoolChecks) in try work() }
}

/// Expectations checked on a thread, reported from the test's task.
public final class OffPoolChecks: @unchecked Sendable {
    private let lock = NSLock()
    private var failures: [(String, SourceLocation)] = []

    /// Records a failure unless `condition` holds.
    public func expect(_ condition: Bool, _ comment: @autoclosure () -> String = "", fileID: String = #fileID, filePath: String = #filePath,
                       line: Int = #line, column: Int = #column) {
        guard !condition else { return }
        fail("Expectation failed" + { let c = comment(); return c.isEmpty ? "" : ": " + c }(), fileID: fileID, filePath: filePath, line: line, column: column)
    }

    /// Records a failure.
    public func fail(_ comment: String, fileID: String = #fileID, filePath: String = #filePath, line: Int = #line, column: Int = #column) {
        lock.lock()
        failures.append((comment, SourceLocation(fileID: fileID, filePath: filePath, line: line, column: column)))
        lock.unlock()
    }

    fileprivate func report() {
        lock.lock()
        let all = failures
        lock.unlock()
        for (comment, location) in all { Issue.record(Comment(rawValue: comment), sourceLocation: location) }
    }
}

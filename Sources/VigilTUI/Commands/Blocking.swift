import Foundation
import VigilCore

/// Runs async work from a synchronous command and waits for it on the calling thread.
///
/// Commands are synchronous so that the console can own the main thread (ncurses is not
/// thread-safe, and blocking a cooperative-pool thread would starve the engine on 2 cores).
enum Blocking {
    static func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let result = Locked<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do {
                let v = try await body()
                result.withLock { $0 = .success(v) }
            } catch {
                result.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0! }.get()
    }
}

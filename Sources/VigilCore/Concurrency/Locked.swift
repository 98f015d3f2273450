#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a `pthread_mutex_t`: the same shape as `Synchronization.Mutex` (`withLock { value in … }`), for
/// state shared between threads and tasks.
///
/// Why not `Mutex`: on Linux its contended path hands the lock over inside the kernel (a priority-inheriting futex),
/// which the thread sanitizer cannot see, so `swift test --sanitize=thread` reported races between accesses that
/// were in fact serialised by it. The sanitizer intercepts `pthread_mutex_lock`, so with this type every report is
/// a real one. Uncontended, the two cost the same here (one atomic each way).
public final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the lock. Do not call back into the same `Locked` from `body`.
    @inline(__always)
    public func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}

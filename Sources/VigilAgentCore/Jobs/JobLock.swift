#if canImport(Glibc)
import Glibc
#endif

/// A pthread mutex with a condition variable on the monotonic clock, for the one piece of state the
/// agent's main thread and its job thread share.
final class JobLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(cond, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits (lock held by the caller, inside ``withLock(_:)``) until signalled or `milliseconds` passed.
    func wait(milliseconds: Int64) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let ns = Int64(now.tv_nsec) + max(0, milliseconds) % 1000 * 1_000_000
        var deadline = timespec(tv_sec: now.tv_sec + Int(max(0, milliseconds) / 1000) + Int(ns / 1_000_000_000),
                                tv_nsec: Int(ns % 1_000_000_000))
        pthread_cond_timedwait(cond, mutex, &deadline)
    }

    /// Wakes every waiter (call with or without the lock held).
    func broadcast() {
        pthread_cond_broadcast(cond)
    }
}

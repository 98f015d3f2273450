import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How long tests wait for things that take time: real processes, sockets, timers.
///
/// Every wait a test makes is written for an ordinary debug build and multiplied by `scale`: 1 normally, 6 under
/// the thread sanitizer (`swift test --sanitize=thread`), whose instrumentation makes this code 5–15 times slower on
/// the project's two cores, or `VIGIL_TEST_TIME_SCALE` when set. Bounds that a test asserts as a product promise
/// (a hung AI call gives up within its deadline) scale the same way: the promise is about the product's timers,
/// which do not change, plus the test's own overhead, which does.
public enum TestTime {
    public static let scale: Double = {
        if let s = ProcessInfo.processInfo.environment["VIGIL_TEST_TIME_SCALE"], let v = Double(s), v > 0 { return v }
        return underThreadSanitizer ? 6 : 1
    }()

    /// True when the process was built with `-sanitize=thread`.
    public static let underThreadSanitizer: Bool = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__tsan_init") != nil

    /// `seconds` scaled.
    public static func seconds(_ seconds: Double) -> Double { seconds * scale }

    /// `milliseconds` scaled.
    public static func ms(_ milliseconds: Int) -> Int { Int(Double(milliseconds) * scale) }

    /// `seconds` scaled, as a `Duration`.
    public static func duration(_ seconds: Double) -> Duration { .milliseconds(Int64(seconds * scale * 1000)) }
}

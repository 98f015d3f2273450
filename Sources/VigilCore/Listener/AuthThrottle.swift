import Foundation
import Hummingbird
import VigilWire

/// Failed authentications per client address: an address that fails `maxFailures` times within `windowMs` gets
/// 429 with `Retry-After` until its window ends, so guessing tokens costs time. Bounded: at most `maxAddresses`
/// addresses are tracked (the oldest windows go first).
public final class AuthThrottle: Sendable {
    struct Window {
        var start: Int64
        var failures: Int
    }

    private let windows = Locked<[String: Window]>([:])
    let maxFailures: Int
    let windowMs: Int64
    let maxAddresses = 10_000

    public init(maxFailures: Int, windowMs: Int64) {
        self.maxFailures = maxFailures
        self.windowMs = windowMs
    }

    /// Seconds until `address` may try again, or nil when it may now.
    func retryAfter(_ address: String, now: Int64) -> Int? {
        windows.withLock { w in
            guard let win = w[address], now - win.start < windowMs, win.failures >= maxFailures else { return nil }
            return Int((win.start + windowMs - now + 999) / 1000)
        }
    }

    /// Counts one failed authentication of `address`.
    func failed(_ address: String, now: Int64) {
        windows.withLock { w in
            if w.count >= maxAddresses, w[address] == nil {
                w = w.filter { now - $0.value.start < windowMs }
                if w.count >= maxAddresses, let oldest = w.min(by: { $0.value.start < $1.value.start })?.key { w[oldest] = nil }
            }
            if let win = w[address], now - win.start < windowMs {
                w[address]!.failures = win.failures + 1
            } else {
                w[address] = Window(start: now, failures: 1)
            }
        }
    }
}

/// Answers 429 to an address that keeps failing authentication, and counts every 401 the routes answer.
struct AuthThrottleMiddleware: RouterMiddleware {
    typealias Context = ListenerContext
    let throttle: AuthThrottle
    let metrics: ListenerMetrics

    func handle(_ request: Request, context: ListenerContext, next: (Request, ListenerContext) async throws -> Response) async throws -> Response {
        let address = context.remoteIP ?? "unknown"
        if let seconds = throttle.retryAfter(address, now: WallClock.nowMs()) {
            metrics.rejected("throttled")
            let e = WireError(status: 429, code: "too_many_failures",
                              message: "too many failed authentications from \(address); retry after \(seconds) s")
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[.retryAfter] = String(seconds)
            return Response(status: .tooManyRequests, headers: headers, body: .init(byteBuffer: ByteBuffer(string: e.json())))
        }
        let response = try await next(request, context)
        if response.status == .unauthorized { throttle.failed(address, now: WallClock.nowMs()) }
        return response
    }
}

import VigilWire

/// One configured active check.
public struct CheckConfig: Sendable, Equatable {
    public var name: String
    public var kind: CheckKind
    /// A URL (http), `host:port` (tcp) or a unit name (systemd).
    public var target: String
    public var timeoutMs: Int
    /// How often to run it; nil means every push interval.
    public var intervalMs: Int64?
    /// For http: the status that counts as success. Without it, any status below 400 does.
    public var expectStatus: Int?

    public init(name: String, kind: CheckKind, target: String, timeoutMs: Int = 5000, intervalMs: Int64? = nil,
                expectStatus: Int? = nil) {
        self.name = name
        self.kind = kind
        self.target = target
        self.timeoutMs = timeoutMs
        self.intervalMs = intervalMs
        self.expectStatus = expectStatus
    }

    /// True for a systemd unit name: `[A-Za-z0-9@._:-]+`, not starting with `-`.
    public static func isValidUnitName(_ s: String) -> Bool {
        guard !s.isEmpty, !s.hasPrefix("-"), s.utf8.count <= 256 else { return false }
        return s.utf8.allSatisfy { b in
            (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
                || b == UInt8(ascii: "@") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_")
                || b == UInt8(ascii: ":") || b == UInt8(ascii: "-")
        }
    }
}

/// Runs the configured checks, each on its own interval, one after another on the calling thread.
///
/// - http: GET; ok when the status is below 400, or equals `expectStatus` when one is set. Detail
///   `HTTP 503` or the transport error.
/// - tcp: connect to `host:port` within the timeout.
/// - systemd: `systemctl is-active UNIT` (argv, no shell); ok iff it prints `active`.
///
/// Not thread-safe (it owns an ``AgentHTTPClient``).
public final class CheckRunner {
    public let checks: [CheckConfig]
    public let defaultIntervalMs: Int64
    /// The `systemctl` binary (replaceable for tests).
    public let systemctlPath: String
    private let client = AgentHTTPClient()
    private var nextDue: [Int64]

    public init(checks: [CheckConfig], defaultIntervalMs: Int64, systemctlPath: String = "/usr/bin/systemctl") {
        self.checks = checks
        self.defaultIntervalMs = max(1, defaultIntervalMs)
        self.systemctlPath = systemctlPath
        self.nextDue = Array(repeating: 0, count: checks.count)
    }

    /// Runs every check due at monotonic `monotonicMs`, stamping results `nowMs`.
    public func runDue(nowMs: Int64, monotonicMs: Int64) -> [CheckResult] {
        var out: [CheckResult] = []
        for (i, c) in checks.enumerated() where nextDue[i] <= monotonicMs {
            out.append(run(c, nowMs: nowMs))
            let interval = c.intervalMs ?? defaultIntervalMs
            // Keep the cadence; after a long stall, restart it from now rather than catching up.
            nextDue[i] += interval
            if nextDue[i] <= monotonicMs { nextDue[i] = monotonicMs + interval }
        }
        return out
    }

    /// The earliest monotonic time at which a check is due, nil without checks.
    public var nextDueMs: Int64? { nextDue.min() }

    /// Runs one check now.
    public func run(_ check: CheckConfig, nowMs: Int64) -> CheckResult {
        let start = WallClock.monotonicNs()
        var ok = false
        var detail = ""
        switch check.kind {
        case .http:
            let request = HTTPRequest(method: "GET", url: check.target, timeoutMs: check.timeoutMs,
                                      connectTimeoutMs: min(check.timeoutMs, 3000))
            do {
                let response = try client.perform(request, maxResponseBytes: 1024 * 1024)
                ok = check.expectStatus.map { response.status == $0 } ?? (response.status > 0 && response.status < 400)
                detail = "HTTP \(response.status)"
            } catch {
                detail = error.message
            }
        case .tcp:
            if let failure = TCPProbe.connect(check.target, timeoutMs: check.timeoutMs) {
                detail = failure
            } else {
                ok = true
                detail = "connected"
            }
        case .systemd:
            (ok, detail) = systemd(check)
        }
        let latencyMs = Double(WallClock.monotonicNs() - start) / 1e6
        return CheckResult(name: check.name, kind: check.kind, target: check.target, ok: ok,
                           latencyMs: (latencyMs * 1000).rounded() / 1000, detail: String(detail.prefix(4096)), ts: nowMs)
    }

    private func systemd(_ check: CheckConfig) -> (Bool, String) {
        guard CheckConfig.isValidUnitName(check.target) else {
            return (false, "invalid unit name \(check.target)")
        }
        do {
            let r = try ProcessRunner.run([systemctlPath, "is-active", check.target], timeoutMs: check.timeoutMs,
                                          maxOutputBytes: 4096)
            if r.timedOut { return (false, "systemctl timed out after \(check.timeoutMs) ms") }
            let text = r.text
            let firstLine = text.split(separator: "\n").first.map(String.init) ?? ""
            return (firstLine == "active", firstLine.isEmpty ? "no output (exit \(r.exitCode ?? -1))" : firstLine)
        } catch {
            return (false, error.message)
        }
    }
}

import Foundation
import VigilCore
import VigilTheme
import VigilWire

/// One parser that takes untrusted or user-written input, fed arbitrary bytes by libFuzzer (or by the replay mode
/// and the regression tests). A target returns what it made of the input so tests can tell accepted from refused;
/// any crash, hang or sanitizer report is the finding.
enum FuzzTarget: String, CaseIterable, Sendable {
    /// `POST /api/v1/ingest` bodies (the listener's hand-written JSON decoder), gzip-wrapped bodies included.
    case ingest
    /// Alertmanager push bodies (`POST /api/v2/alerts`).
    case alertmanager
    /// Rule files (`rules/*.yaml`).
    case rules
    /// Runbook files (`runbooks/*.yaml`).
    case runbook
    /// Theme files (`themes/*.yaml`).
    case theme
    /// Loghub log format notation on the first line, log lines matched against it after.
    case logformat
    /// The log query language (`LogQuery.parse`), a parsed query then matched and highlighted on a fixed line.
    case logquery

    enum Outcome: Equatable, Sendable {
        case accepted
        case refused(String)
    }

    /// Feeds `bytes` to the target's parser.
    @discardableResult
    func run(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        switch self {
        case .ingest: Self.ingest(Array(bytes))
        case .alertmanager: Self.alertmanager(Data(bytes))
        case .rules: Self.rules(String(decoding: bytes, as: UTF8.self))
        case .runbook: Self.runbook(String(decoding: bytes, as: UTF8.self))
        case .theme: Self.theme(String(decoding: bytes, as: UTF8.self))
        case .logformat: Self.logformat(String(decoding: bytes, as: UTF8.self))
        case .logquery: Self.logquery(String(decoding: bytes, as: UTF8.self))
        }
    }

    @discardableResult
    func run(_ bytes: [UInt8]) -> Outcome {
        bytes.withUnsafeBytes { run($0) }
    }

    private static let limits: WireLimits = {
        var l = WireLimits.default
        l.maxBodyBytes = 1 << 20
        return l
    }()

    private static func ingest(_ bytes: [UInt8]) -> Outcome {
        var body = bytes
        if bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B {
            do { body = try Gzip.decompress(bytes, limit: limits.maxBodyBytes) } catch { return .refused("\(error)") }
        }
        do {
            _ = try IngestDecoder(limits: limits).decode(body, nowMs: 1_800_000_000_000)
            return .accepted
        } catch {
            return .refused(error.message)
        }
    }

    private static func alertmanager(_ data: Data) -> Outcome {
        do {
            _ = try PushedAlertDecoder.decode(data)
            return .accepted
        } catch {
            return .refused(error.message)
        }
    }

    private static func rules(_ text: String) -> Outcome {
        do {
            _ = try RuleFile.parse(yaml: text, path: "fuzz.yaml")
            return .accepted
        } catch {
            return .refused("\(error)")
        }
    }

    private static func runbook(_ text: String) -> Outcome {
        switch RunbookCatalog.parse(text, path: "fuzz.yaml", builtIn: false) {
        case .success: .accepted
        case .failure(let e): .refused("\(e)")
        }
    }

    private static func theme(_ text: String) -> Outcome {
        do {
            _ = try ThemeLoader.parse(text, path: "fuzz.yaml", defaultName: "fuzz")
            return .accepted
        } catch {
            return .refused("\(error)")
        }
    }

    private static func logformat(_ text: String) -> Outcome {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let spec = lines.first else { return .refused("empty") }
        do {
            let format = try LogFormat(String(spec))
            for line in lines.dropFirst() { _ = format.content(of: line) }
            return .accepted
        } catch {
            return .refused(error.message)
        }
    }

    /// The line a parsed query is tried on: fixed and short, so a regex's cost depends on the pattern, not on text the
    /// fuzzer grows.
    private static let line = StoredLog(id: 1, host: "web-1", ts: 1_800_000_000_000, source: "/var/log/nginx/error.log", level: .error,
                                        message: "upstream timed out (110: Connection timed out) while reading GET /index.html 502")

    private static func logquery(_ text: String) -> Outcome {
        do throws(LogQueryError) {
            let q = try LogQuery.parse(text, now: 1_800_000_000_000)
            _ = q.matches(line, labels: ["env": "prod"])
            _ = q.highlights(in: line.message)
            return .accepted
        } catch {
            return .refused(error.description)
        }
    }
}

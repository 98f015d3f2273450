import Foundation
import VigilAgentCore
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
    /// What a PostgreSQL server sends the agent's database probe: frames, authentication requests (SCRAM's
    /// server-first message), rows.
    case pgwire

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
        case .pgwire: Self.pgwire(Array(bytes))
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

    /// The bytes as a server's stream, in two reads: every message decoded, a SASL continue fed to a SCRAM client, a
    /// result assembled as `PostgresConnection` does and parsed as the probe's reading.
    private static func pgwire(_ bytes: [UInt8]) -> Outcome {
        var reader = PostgresFrameReader()
        reader.append(bytes.prefix(bytes.count / 2))
        var results: [PostgresResult] = []
        var current: PostgresResult?
        var scram = SCRAMClient(password: "pencil", clientNonce: "fuzz")
        do {
            var second = false
            while true {
                guard let m = try reader.next() else {
                    if second { break }
                    reader.append(bytes.dropFirst(bytes.count / 2))
                    second = true
                    continue
                }
                switch m {
                case .authentication(11, let data):
                    // PBKDF2's cost is the server's to choose (≤ 100,000 rounds); the fuzzer keeps it cheap.
                    let text = String(decoding: data, as: UTF8.self)
                    let rounds = text.split(separator: ",").first { $0.hasPrefix("i=") }.flatMap { Int($0.dropFirst(2)) } ?? 0
                    if rounds <= 16 { _ = try? scram.finalMessage(serverFirst: text) }
                case .authentication(12, let data): try? scram.verify(serverFinal: String(decoding: data, as: UTF8.self))
                case .rowDescription(let columns): current = PostgresResult(columns: columns)
                case .dataRow(let values): current?.rows.append(values)
                case .commandComplete:
                    results.append(current ?? PostgresResult())
                    current = nil
                default: continue
                }
            }
            if let reading = try? PostgresReading.parse(results, monotonicNs: 2) {
                _ = reading.samples(previous: reading, name: "fuzz", nowMs: 1, longQueryMs: 1000)
                _ = reading.longQueries(name: "fuzz", longQueryMs: 0, nowMs: 1)
            }
            if let first = results.first { _ = PostgresStatements.parse(first).slow(since: PostgresStatements(), name: "f", slowMs: 0, nowMs: 1) }
            return .accepted
        } catch {
            return .refused(error.message)
        }
    }
}


/// Vigil's own metrics, exposed at `GET /metrics` in the Prometheus text format (version 0.0.4).
///
/// A handful of counters, one histogram and a few gauges: small enough to keep by hand, which keeps
/// swift-prometheus out of the build (see docs/ARCHITECTURE.md).
public final class ListenerMetrics: Sendable {
    private let table = Locked<ConnectionTable?>(nil)
    /// The listener's connection table, for the open and refused connection counts.
    var connections: ConnectionTable? {
        get { table.withLock { $0 } }
        set { table.withLock { $0 = newValue } }
    }

    private let headFeeder = Locked<HeadFeeder?>(nil)
    /// The rule evaluator's head, for its size.
    var head: HeadFeeder? {
        get { headFeeder.withLock { $0 } }
        set { headFeeder.withLock { $0 = newValue } }
    }

    private let anomalyService = Locked<AnomalyScanService?>(nil)
    /// The anomaly scanner, for its size and cost.
    var anomaly: AnomalyScanService? {
        get { anomalyService.withLock { $0 } }
        set { anomalyService.withLock { $0 = newValue } }
    }

    struct State {
        var samples = 0
        var logs = 0
        var checks = 0
        var batches = 0
        var rejected: [String: Int] = [:]
        var latencyBuckets = [Int](repeating: 0, count: ListenerMetrics.bounds.count)
        var latencyCount = 0
        var latencySum = 0.0
        var storeBytes: Int64 = 0
        var hosts = 0
        var series = 0
    }

    static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
    private let state = Locked(State())

    public init() {}

    public func accepted(samples: Int, logs: Int, checks: Int, seconds: Double) {
        state.withLock { s in
            s.samples += samples
            s.logs += logs
            s.checks += checks
            s.batches += 1
            s.latencyCount += 1
            s.latencySum += seconds
            for (i, b) in ListenerMetrics.bounds.enumerated() where seconds <= b { s.latencyBuckets[i] += 1 }
        }
    }

    /// Counts a refused request under `reason` (`malformed_json`, `unauthorized`, `too_large`, ...).
    public func rejected(_ reason: String) {
        state.withLock { $0.rejected[reason, default: 0] += 1 }
    }

    public func storeStats(_ stats: StoreStats) {
        state.withLock { s in
            s.storeBytes = stats.bytes
            s.hosts = stats.hosts
            s.series = stats.series
        }
    }

    public var acceptedSamples: Int { state.withLock { $0.samples } }
    public func rejectedCount(_ reason: String) -> Int { state.withLock { $0.rejected[reason] ?? 0 } }

    /// The exposition text.
    public func render() -> String {
        let s = state.withLock { $0 }
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        /// A metric of one unlabelled value.
        func single(_ name: String, _ type: String, _ help: String, _ value: some CustomStringConvertible) {
            metric(name, type, help)
            out += "\(name) \(value)\n"
        }
        single("vigil_ingested_samples_total", "counter", "Samples accepted and committed.", s.samples)
        single("vigil_ingested_logs_total", "counter", "Log lines accepted and committed.", s.logs)
        single("vigil_ingested_checks_total", "counter", "Check results accepted and committed.", s.checks)
        single("vigil_ingest_batches_total", "counter", "Ingest requests accepted.", s.batches)
        metric("vigil_ingest_rejected_total", "counter", "Ingest requests refused, by reason.")
        for (reason, n) in s.rejected.sorted(by: { $0.key < $1.key }) {
            out += "vigil_ingest_rejected_total{reason=\"\(reason)\"} \(n)\n"
        }
        metric("vigil_ingest_duration_seconds", "histogram", "Time from request body received to durable commit.")
        for (i, b) in ListenerMetrics.bounds.enumerated() {
            out += "vigil_ingest_duration_seconds_bucket{le=\"\(b)\"} \(s.latencyBuckets[i])\n"
        }
        out += "vigil_ingest_duration_seconds_bucket{le=\"+Inf\"} \(s.latencyCount)\n"
        out += "vigil_ingest_duration_seconds_sum \(s.latencySum)\n"
        out += "vigil_ingest_duration_seconds_count \(s.latencyCount)\n"
        if let c = connections {
            single("vigil_listener_connections", "gauge", "Connections open now.", c.open)
            single("vigil_listener_connections_refused_total", "counter", "Connections closed at once for being over a cap (in total or per address).", c.refused.load(ordering: .relaxed))
        }
        if let h = head?.stats {
            single("vigil_head_series", "gauge", "Series in the rule evaluator's in-memory head.", h.series)
            single("vigil_head_bytes", "gauge", "Bytes of samples in the head (sealed chunks and raw tails).", h.bytes)
            single("vigil_head_rebuilds_total", "counter", "Times the head was rebuilt from the store (start, lease regained, window grown, segments folded unread).", h.rebuilds)
            single("vigil_head_out_of_order_total", "counter", "Samples older than their series' head tail: kept by the store, not by the head.", h.outOfOrder)
        }
        if let a = anomaly?.stats {
            single("vigil_anomaly_series", "gauge", "Series the anomaly scanner scans (core metrics and those anomaly rules name).", a.series)
            single("vigil_anomaly_series_refused", "gauge", "Series left unscanned by the scanner's caps (per host and in all).", a.refused)
            single("vigil_anomaly_state_bytes", "gauge", "Bytes the scanner's detectors hold.", a.stateBytes)
            single("vigil_anomaly_scans_total", "counter", "Anomaly scans run.", a.scans)
            single("vigil_anomaly_samples_scored_total", "counter", "Samples scored by scans of series already followed (restores not counted).", a.scored)
            single("vigil_anomaly_last_scan_seconds", "gauge", "How long the latest scan took (reads, scoring, writing the scores).", a.lastScanSeconds)
            single("vigil_anomaly_store_catch_ups_total", "counter", "Times the scanned series were read from the store because the head's feeder skipped segments (a rebuild).", a.catchUps)
        }
        single("vigil_store_bytes", "gauge", "Size of the store on disk (database and WAL).", s.storeBytes)
        single("vigil_store_hosts", "gauge", "Hosts known to the store.", s.hosts)
        single("vigil_store_series", "gauge", "Series known to the store.", s.series)
        return out
    }
}

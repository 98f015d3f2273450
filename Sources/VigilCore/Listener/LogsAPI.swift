import Foundation
import Hummingbird
import VigilWire

/// `GET /api/v1/logs?q=QUERY&limit=N`: stored log lines selected by the log query language (`LogQuery`), newest
/// first. Any user API token may read (viewer and up). A query mistake is `400` naming the character it is at.
enum LogsAPI {
    struct LineJSON: Codable {
        var id: Int64
        var ts: String
        var tsMs: Int64
        var host: String
        var source: String
        var level: String
        var message: String
    }

    struct ResultJSON: Codable {
        var query: String
        var lines: [LineJSON]
        /// Rows read; `complete` is false when the search stopped at its scan limit, `searchedBack` how far back it got.
        var scanned: Int
        var complete: Bool
        var searchedBack: String?
    }

    /// The most lines one call answers.
    static let maxLimit = 5_000

    static func register(on router: Router<ListenerContext>, store: any Store) {
        router.get("/api/v1/logs") { request, _ -> Response in
            await AlertsAPI.respond {
                _ = try await AlertsAPI.user(request, store)
                let params = request.uri.queryParameters
                let text = params["q"].map(String.init) ?? ""
                var limit = 100
                if let l = params["limit"].map(String.init) {
                    guard let n = Int(l), n >= 1 else { throw AlertsAPI.APIError(400, "limit '\(l)' is not a positive whole number", field: "limit") }
                    limit = min(n, maxLimit)
                }
                let query: LogQuery
                do throws(LogQueryError) {
                    query = try LogQuery.parse(text, now: WallClock.nowMs())
                } catch {
                    throw AlertsAPI.APIError(400, "query: \(error.description)", field: "q")
                }
                let found = try await store.searchLogs(query, limit: limit, scanLimit: LogSearch.defaultScanLimit)
                let lines = found.lines.map {
                    LineJSON(id: $0.id, ts: AlertsAPI.iso($0.ts), tsMs: $0.ts, host: $0.host, source: $0.source,
                             level: $0.level.rawValue, message: $0.message)
                }
                return try AlertsAPI.json(ResultJSON(query: text, lines: lines, scanned: found.scanned, complete: found.complete,
                                                     searchedBack: found.searchedBack.map(AlertsAPI.iso)))
            }
        }
    }
}

/// SQL over `check_results` that the dashboard and the rule evaluator run on both backends.
enum CheckQueries {
    /// Every (host, check name) pair, as the CTE `pairs`, by a skip scan of the index (two seeks a pair).
    static let pairs = """
        WITH RECURSIVE pairs(host_id, name) AS (
            SELECT host_id, name FROM (SELECT host_id, name FROM check_results ORDER BY host_id, name LIMIT 1) AS first_pair
            UNION ALL
            SELECT n.host_id, n.name FROM pairs p JOIN check_results n ON n.id = coalesce(
                (SELECT c.id FROM check_results c WHERE c.host_id = p.host_id AND c.name > p.name ORDER BY c.host_id, c.name LIMIT 1),
                (SELECT c.id FROM check_results c WHERE c.host_id > p.host_id ORDER BY c.host_id, c.name LIMIT 1))
        )
        """

    /// The latest result of every (host, check): a skip scan over `check_results_by_host_name` (host_id, name, id),
    /// two index seeks per pair (the next name on the same host, else the first of the next host), then one for the
    /// pair's newest row: 20 ms for 1,015 pairs among 3.2 million results. `SELECT max(id) … GROUP BY host_id, name`
    /// read the whole index instead (0.4 s), and a console polling every 2 s spent 90 % of a core on it.
    static let latestChecks = pairs + """
        SELECT p.host_id, p.name,
               (SELECT c.ok FROM check_results c WHERE c.host_id = p.host_id AND c.name = p.name ORDER BY c.id DESC LIMIT 1) AS ok
        FROM pairs p
        """

    /// The newest `?` results of every (host, check), oldest first (the rule evaluator's check history): 23 ms at
    /// 3.2 million results, where a `row_number()` window over the whole table took 6.7 s per evaluation.
    static let recentChecks = pairs + """
        SELECT c.host_id, c.name, c.kind, c.target, c.ok, c.latency_ms, c.detail, c.ts FROM pairs p JOIN check_results c
        ON c.id IN (SELECT x.id FROM check_results x WHERE x.host_id = p.host_id AND x.name = p.name ORDER BY x.id DESC LIMIT ?)
        ORDER BY c.id
        """

    /// The same for one host (few rows: the grouped scan is cheap).
    static func latestChecks(host: Int64) -> String {
        """
        SELECT c.host_id, c.name, c.ok FROM check_results c
        JOIN (SELECT max(id) AS id FROM check_results WHERE host_id = \(host) GROUP BY host_id, name) latest ON latest.id = c.id
        """
    }
}

/// SQL the dashboard runs on both backends.
enum FleetQueries {
    /// The latest result of every (host, check): a skip scan over `check_results_by_host_name` (host_id, name, id),
    /// two index seeks per pair (the next name on the same host, else the first of the next host), then one for the
    /// pair's newest row: 20 ms for 1,015 pairs among 3.2 million results. `SELECT max(id) … GROUP BY host_id, name`
    /// read the whole index instead (0.4 s), and a console polling every 2 s spent 90 % of a core on it.
    static let latestChecks = """
        WITH RECURSIVE pairs(host_id, name) AS (
            SELECT host_id, name FROM (SELECT host_id, name FROM check_results ORDER BY host_id, name LIMIT 1) AS first_pair
            UNION ALL
            SELECT n.host_id, n.name FROM pairs p JOIN check_results n ON n.id = coalesce(
                (SELECT c.id FROM check_results c WHERE c.host_id = p.host_id AND c.name > p.name ORDER BY c.host_id, c.name LIMIT 1),
                (SELECT c.id FROM check_results c WHERE c.host_id > p.host_id ORDER BY c.host_id, c.name LIMIT 1))
        )
        SELECT p.host_id, p.name,
               (SELECT c.ok FROM check_results c WHERE c.host_id = p.host_id AND c.name = p.name ORDER BY c.id DESC LIMIT 1) AS ok
        FROM pairs p
        """

    /// The same for one host (few rows: the grouped scan is cheap).
    static func latestChecks(host: Int64) -> String {
        """
        SELECT c.host_id, c.name, c.ok FROM check_results c
        JOIN (SELECT max(id) AS id FROM check_results WHERE host_id = \(host) GROUP BY host_id, name) latest ON latest.id = c.id
        """
    }
}

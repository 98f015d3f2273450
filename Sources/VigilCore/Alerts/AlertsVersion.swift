/// A counter in the store's settings that every write to the alerts table raises in its own transaction (the
/// evaluator's results, mutes, operator actions, pushed alerts). A reader that polls the alerts (the console)
/// reads this one row and re-reads the alerts only when it moved: at 10,000 active alerts that read is the
/// difference between an idle console and a busy one.
public enum AlertsVersion {
    public static let key = "version.alerts"

    /// Raises the counter (arguments: `key`, the time in ms), in SQL both backends run.
    static let bump = """
        INSERT INTO settings (key, value, updated_at) VALUES (?, '1', ?)
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT), updated_at = excluded.updated_at
        """
}

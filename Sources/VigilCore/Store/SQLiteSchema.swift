import GRDB

/// Versioned migrations of the SQLite store. Append new migrations; never edit a shipped one.
enum SQLiteSchema {
    static func migrator() -> DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-spine") { db in
            try db.execute(sql: """
                CREATE TABLE hosts (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    labels TEXT NOT NULL DEFAULT '{}',
                    agent_version TEXT, agent_os TEXT, agent_kernel TEXT, agent_arch TEXT,
                    agent_cpus INTEGER, agent_memory INTEGER,
                    first_seen INTEGER NOT NULL,
                    last_seen INTEGER NOT NULL
                );
                CREATE TABLE series (
                    id INTEGER PRIMARY KEY,
                    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    labels TEXT NOT NULL,
                    UNIQUE (host_id, name, labels)
                );
                CREATE INDEX series_by_name ON series(name);
                -- The head: one row per ingested batch, compacted into sample_chunks by the engine.
                CREATE TABLE sample_segments (
                    id INTEGER PRIMARY KEY,
                    received_at INTEGER NOT NULL,
                    min_ts INTEGER NOT NULL,
                    max_ts INTEGER NOT NULL,
                    count INTEGER NOT NULL,
                    data BLOB NOT NULL
                );
                CREATE TABLE sample_chunks (
                    series_id INTEGER NOT NULL,
                    start_ts INTEGER NOT NULL,
                    end_ts INTEGER NOT NULL,
                    count INTEGER NOT NULL,
                    data BLOB NOT NULL,
                    PRIMARY KEY (series_id, start_ts)
                ) WITHOUT ROWID;
                CREATE TABLE logs (
                    id INTEGER PRIMARY KEY,
                    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
                    ts INTEGER NOT NULL,
                    source TEXT NOT NULL,
                    level INTEGER NOT NULL,
                    message TEXT NOT NULL
                );
                CREATE INDEX logs_by_host_ts ON logs(host_id, ts);
                CREATE INDEX logs_by_ts ON logs(ts);
                CREATE VIRTUAL TABLE logs_fts USING fts5(message, content='logs', content_rowid='id');
                CREATE TABLE check_results (
                    id INTEGER PRIMARY KEY,
                    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    target TEXT NOT NULL,
                    ok INTEGER NOT NULL,
                    latency_ms REAL NOT NULL,
                    detail TEXT NOT NULL,
                    ts INTEGER NOT NULL
                );
                CREATE INDEX check_results_by_host_name ON check_results(host_id, name, id);
                CREATE TABLE agent_tokens (
                    id TEXT PRIMARY KEY,
                    hash TEXT NOT NULL UNIQUE,
                    host TEXT,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER,
                    revoked_at INTEGER,
                    last_used_at INTEGER,
                    comment TEXT NOT NULL DEFAULT ''
                );
                CREATE TABLE engine_lease (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    holder TEXT NOT NULL,
                    pid INTEGER NOT NULL,
                    hostname TEXT NOT NULL,
                    listen TEXT NOT NULL,
                    expires_at INTEGER NOT NULL
                );
                """)
        }
        m.registerMigration("v2-users-audit") { db in
            try db.execute(sql: """
                CREATE TABLE users (
                    name TEXT PRIMARY KEY,
                    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
                    created_at INTEGER NOT NULL
                );
                -- Append-only: each row carries the hash of the previous one (AuditChain).
                CREATE TABLE audit_log (
                    id INTEGER PRIMARY KEY,
                    ts INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    target TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                );
                CREATE INDEX audit_by_actor ON audit_log(actor, id);
                CREATE INDEX audit_by_action ON audit_log(action, id);
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                """)
        }
        m.registerMigration("v3-alerts") { db in
            try db.execute(sql: """
                CREATE TABLE alerts (
                    fingerprint TEXT PRIMARY KEY,
                    rule TEXT NOT NULL,
                    severity TEXT NOT NULL,
                    labels TEXT NOT NULL,
                    annotations TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
                    value REAL,
                    active_since INTEGER NOT NULL,
                    fired_at INTEGER,
                    resolved_at INTEGER,
                    last_eval INTEGER NOT NULL,
                    acked_by TEXT,
                    acked_at INTEGER,
                    ack_note TEXT,
                    assignee TEXT,
                    flapping INTEGER NOT NULL DEFAULT 0,
                    source TEXT NOT NULL DEFAULT 'vigil',
                    generator_url TEXT
                );
                CREATE INDEX alerts_by_state ON alerts(state, severity);
                CREATE TABLE alert_events (
                    id INTEGER PRIMARY KEY,
                    fingerprint TEXT NOT NULL,
                    ts INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    detail TEXT NOT NULL
                );
                CREATE INDEX alert_events_by_alert ON alert_events(fingerprint, id);
                CREATE TABLE silences (
                    id TEXT PRIMARY KEY,
                    matchers TEXT NOT NULL,
                    starts_at INTEGER NOT NULL,
                    ends_at INTEGER NOT NULL,
                    created_by TEXT NOT NULL,
                    comment TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    expired_at INTEGER
                );
                """)
        }
        m.registerMigration("v4-user-api-tokens") { db in
            // A token with a user is an API token for scripts and chat bots (acting as that user), not an agent token.
            try db.execute(sql: "ALTER TABLE agent_tokens ADD COLUMN user TEXT")
        }
        m.registerMigration("v5-alert-muting") { db in
            // Why an active alert is muted now: "silence sil_…", "maintenance NAME", "inhibited by ALERT on HOST".
            try db.execute(sql: "ALTER TABLE alerts ADD COLUMN muted_by TEXT")
        }
        m.registerMigration("v6-alert-metric") { db in
            try db.execute(sql: "ALTER TABLE alerts ADD COLUMN metric TEXT")
            try db.execute(sql: "ALTER TABLE alerts ADD COLUMN series_labels TEXT")
        }
        m.registerMigration("v7-remediation") { db in
            try db.execute(sql: """
                CREATE TABLE remediation_runs (
                    id TEXT PRIMARY KEY,
                    runbook TEXT NOT NULL,
                    runbook_hash TEXT NOT NULL,
                    host TEXT NOT NULL,
                    parameters TEXT NOT NULL,
                    alert_fingerprint TEXT,
                    alert_name TEXT,
                    mode TEXT,
                    dry_run INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    message TEXT NOT NULL,
                    requested_by TEXT NOT NULL,
                    approved_by TEXT,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    dispatched_at INTEGER,
                    finished_at INTEGER,
                    job TEXT NOT NULL,
                    cancel_requested INTEGER NOT NULL DEFAULT 0,
                    verdict TEXT,
                    diagnosis TEXT,
                    last_seq INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX remediation_runs_by_host ON remediation_runs(host, state);
                CREATE INDEX remediation_runs_by_time ON remediation_runs(created_at);
                CREATE INDEX remediation_runs_by_alert ON remediation_runs(alert_fingerprint);
                CREATE TABLE remediation_events (
                    run_id TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    json TEXT NOT NULL,
                    PRIMARY KEY (run_id, seq)
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v8-intelligence") { db in
            try db.execute(sql: """
                -- Every AI call: what for, how big, how long, how it ended (nothing of the content).
                CREATE TABLE ai_calls (
                    id INTEGER PRIMARY KEY,
                    ts INTEGER NOT NULL,
                    feature TEXT NOT NULL,
                    model TEXT NOT NULL,
                    prompt_tokens INTEGER,
                    completion_tokens INTEGER,
                    latency_ms INTEGER NOT NULL,
                    outcome TEXT NOT NULL,
                    detail TEXT NOT NULL
                );
                CREATE INDEX ai_calls_by_ts ON ai_calls(ts);
                -- Resolved alerts remembered for "seen before" (full-text ranked).
                CREATE TABLE incidents (
                    id TEXT PRIMARY KEY,
                    fingerprint TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    host TEXT,
                    severity TEXT NOT NULL,
                    labels TEXT NOT NULL,
                    started_at INTEGER NOT NULL,
                    resolved_at INTEGER NOT NULL,
                    diagnosis TEXT NOT NULL,
                    runbook TEXT,
                    outcome TEXT,
                    notes TEXT NOT NULL,
                    patterns TEXT NOT NULL
                );
                CREATE INDEX incidents_by_rule ON incidents(rule, resolved_at);
                CREATE VIRTUAL TABLE incidents_fts USING fts5(rule, host, labels, diagnosis, runbook, notes, patterns,
                                                              content='incidents', content_rowid='rowid');
                -- Log templates mined on ingest (<*> for variable parts); logs point at theirs.
                CREATE TABLE log_templates (
                    id INTEGER PRIMARY KEY,
                    template TEXT NOT NULL UNIQUE,
                    first_seen INTEGER NOT NULL,
                    last_seen INTEGER NOT NULL,
                    count INTEGER NOT NULL DEFAULT 0,
                    max_level INTEGER NOT NULL DEFAULT 0
                );
                ALTER TABLE logs ADD COLUMN template_id INTEGER;
                CREATE INDEX logs_by_template ON logs(template_id, ts);
                """)
        }
        m.registerMigration("v9-chat") { db in
            try db.execute(sql: """
                -- The console's chat conversations, one per incident (an alert fingerprint, host:NAME, or general).
                CREATE TABLE chat_messages (
                    conversation TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    ts INTEGER NOT NULL,
                    role TEXT NOT NULL,
                    content TEXT NOT NULL,
                    meta TEXT NOT NULL DEFAULT '',
                    PRIMARY KEY (conversation, seq)
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v10-reports") { db in
            try db.execute(sql: """
                -- Generated reports (vigil report daily), as text and JSON.
                CREATE TABLE reports (
                    id INTEGER PRIMARY KEY,
                    kind TEXT NOT NULL,
                    from_ts INTEGER NOT NULL,
                    to_ts INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    text TEXT NOT NULL,
                    json TEXT NOT NULL
                );
                CREATE INDEX reports_by_kind ON reports(kind, created_at);
                -- Suggested dependencies between hosts, accepted or rejected by an operator (vigil topology).
                CREATE TABLE topology_edges (
                    id INTEGER PRIMARY KEY,
                    from_host TEXT NOT NULL,
                    from_service TEXT NOT NULL DEFAULT '',
                    to_host TEXT NOT NULL,
                    to_service TEXT NOT NULL DEFAULT '',
                    kind TEXT NOT NULL,
                    evidence TEXT NOT NULL,
                    confidence REAL NOT NULL,
                    source TEXT NOT NULL CHECK (source IN ('heuristic', 'ai')),
                    state TEXT NOT NULL CHECK (state IN ('suggested', 'accepted', 'rejected')),
                    decided_by TEXT,
                    decided_at INTEGER,
                    reason TEXT,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    UNIQUE (from_host, from_service, to_host, to_service, kind)
                );
                -- Reports read alert events by time.
                CREATE INDEX alert_events_by_ts ON alert_events(ts);
                """)
        }
        m.registerMigration("v11-settings") { db in
            try db.execute(sql: """
                -- Small facts about the store itself, e.g. demo.epoch for a store made by vigil demo.
                CREATE TABLE settings (
                    key TEXT PRIMARY KEY,
                    value TEXT NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                """)
        }
        m.registerMigration("v12-batch-ids") { db in
            try db.execute(sql: """
                -- Ids of committed batches (the agent's "batch"), so a replayed batch is acknowledged, not stored twice.
                -- Kept 7 days (the compactor prunes them).
                CREATE TABLE ingest_batches (
                    host TEXT NOT NULL,
                    batch TEXT NOT NULL,
                    received_at INTEGER NOT NULL,
                    samples INTEGER NOT NULL,
                    logs INTEGER NOT NULL,
                    checks INTEGER NOT NULL,
                    PRIMARY KEY (host, batch)
                ) WITHOUT ROWID;
                CREATE INDEX ingest_batches_by_time ON ingest_batches(received_at);
                """)
        }
        m.registerMigration("v13-notifications") { db in
            try db.execute(sql: """
                -- The outbox: written before a notification is sent, delivered only on the receiver's success answer.
                CREATE TABLE notification_outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    channel TEXT NOT NULL,
                    group_key TEXT NOT NULL,
                    status TEXT NOT NULL,
                    fingerprints TEXT NOT NULL,
                    rendered TEXT NOT NULL,
                    state TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    delivered_at INTEGER,
                    last_error TEXT
                );
                CREATE INDEX notification_outbox_due ON notification_outbox(state, next_attempt_at);
                -- Every attempt: when, the answer, how long it took; 'sending' until the answer is in.
                CREATE TABLE notification_attempts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    outbox_id INTEGER NOT NULL REFERENCES notification_outbox(id) ON DELETE CASCADE,
                    started_at INTEGER NOT NULL,
                    outcome TEXT NOT NULL,
                    status INTEGER,
                    latency_ms REAL,
                    error TEXT
                );
                CREATE INDEX notification_attempts_by_outbox ON notification_attempts(outbox_id);
                -- What each notification group last told its receiver (JSON), so a restart neither repeats nor forgets.
                CREATE TABLE notification_groups (
                    key TEXT PRIMARY KEY,
                    state TEXT NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                """)
        }
        m.registerMigration("v14-lease-generation") { db in
            // Rises at each change of holder; the holder's writes are fenced by it (EngineFence).
            try db.execute(sql: "ALTER TABLE engine_lease ADD COLUMN generation INTEGER NOT NULL DEFAULT 1")
        }
        m.registerMigration("v15-rollups") { db in
            try db.execute(sql: """
                -- 5-minute and 1-hour buckets (min, max, sum, count, last) of each series, one block of buckets per
                -- row (RollupCodec): a day of 5-minute buckets, 30 days of 1-hour ones.
                CREATE TABLE sample_rollups (
                    series_id INTEGER NOT NULL,
                    step INTEGER NOT NULL,
                    start_ts INTEGER NOT NULL,
                    end_ts INTEGER NOT NULL,
                    count INTEGER NOT NULL,
                    data BLOB NOT NULL,
                    PRIMARY KEY (series_id, step, start_ts)
                ) WITHOUT ROWID;
                -- Retention deletes check results by age.
                CREATE INDEX check_results_by_ts ON check_results(ts);
                """)
        }
        m.registerMigration("v16-processes") { db in
            try db.execute(sql: """
                -- The top processes each agent reports each cycle (by CPU and by memory).
                CREATE TABLE process_samples (
                    id INTEGER PRIMARY KEY,
                    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
                    ts INTEGER NOT NULL,
                    pid INTEGER NOT NULL,
                    user TEXT NOT NULL,
                    command TEXT NOT NULL,
                    cpu_percent REAL NOT NULL,
                    rss_bytes INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    started_at INTEGER NOT NULL
                );
                CREATE INDEX process_samples_by_host_ts ON process_samples(host_id, ts);
                CREATE INDEX process_samples_by_ts ON process_samples(ts);
                """)
        }
        m.registerMigration("v17-db-queries") { db in
            try db.execute(sql: """
                -- Long-running and slow queries the agents' database probes report.
                CREATE TABLE db_queries (
                    id INTEGER PRIMARY KEY,
                    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
                    ts INTEGER NOT NULL,
                    database TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    datname TEXT NOT NULL,
                    user TEXT NOT NULL,
                    pid INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    wait TEXT NOT NULL,
                    duration_ms REAL NOT NULL,
                    transaction_ms REAL NOT NULL,
                    calls INTEGER NOT NULL,
                    total_ms REAL NOT NULL,
                    query TEXT NOT NULL
                );
                CREATE INDEX db_queries_by_host_ts ON db_queries(host_id, database, ts);
                CREATE INDEX db_queries_by_ts ON db_queries(ts);
                """)
        }
        m.registerMigration("v18-connections") { db in
            try db.execute(sql: """
                -- The agents' established TCP connections, one row per host, direction, process and peer; seen counts the
                -- reports that had it. Repeated ones between monitored hosts become topology links.
                CREATE TABLE connections (
                    id INTEGER PRIMARY KEY,
                    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
                    direction TEXT NOT NULL,
                    process TEXT NOT NULL,
                    local_addr TEXT NOT NULL,
                    local_port INTEGER NOT NULL,
                    remote_addr TEXT NOT NULL,
                    remote_port INTEGER NOT NULL,
                    first_seen INTEGER NOT NULL,
                    last_seen INTEGER NOT NULL,
                    seen INTEGER NOT NULL,
                    count INTEGER NOT NULL,
                    UNIQUE (host_id, direction, process, local_addr, local_port, remote_addr, remote_port)
                );
                CREATE INDEX connections_by_last_seen ON connections(last_seen);
                """)
        }
        m.registerMigration("v19-sla") { db in
            try db.execute(sql: """
                -- Each service's tally of an indicator (availability, latency) per UTC day, rolled up once the day is over;
                -- fingerprint says which hosts, checks and threshold it was made under.
                CREATE TABLE sla_daily (
                    service TEXT NOT NULL,
                    sli TEXT NOT NULL,
                    day INTEGER NOT NULL,
                    fingerprint TEXT NOT NULL,
                    up_ms INTEGER NOT NULL,
                    down_ms INTEGER NOT NULL,
                    unknown_ms INTEGER NOT NULL,
                    PRIMARY KEY (service, sli, day)
                );
                CREATE INDEX sla_daily_by_day ON sla_daily(day);
                -- Stretches in which a service failed an indicator; ended_at NULL while it goes on.
                CREATE TABLE sla_violations (
                    service TEXT NOT NULL,
                    sli TEXT NOT NULL,
                    started_at INTEGER NOT NULL,
                    ended_at INTEGER,
                    bad_ms INTEGER NOT NULL,
                    budget_spent REAL NOT NULL,
                    objective REAL NOT NULL,
                    window_ms INTEGER NOT NULL,
                    PRIMARY KEY (service, sli, started_at)
                );
                CREATE INDEX sla_violations_by_start ON sla_violations(started_at);
                """)
        }
        return m
    }
}

import Logging
import PostgresNIO

/// The journal's tables on PostgreSQL, the same as on SQLite, and the one place that creates them. Every replica
/// runs `migrate` at start; an advisory lock held for the migration's transaction makes a second replica starting
/// at the same moment wait and then find the work done.
enum PostgresSchema {
    /// Any fixed number: the key of the advisory lock every migration takes.
    static let migrationLock: Int64 = 0x636F_616C_6D69_6E65

    /// Each version: statements run in order in one transaction, never edited once released.
    static let versions: [(name: String, statements: [String])] = [
        (
            "v1",
            [
                """
                CREATE TABLE journal (
                    sequence BIGINT PRIMARY KEY,
                    recorded_at BIGINT NOT NULL,
                    rollout TEXT NOT NULL,
                    run BIGINT NOT NULL,
                    kind TEXT NOT NULL,
                    body TEXT NOT NULL,
                    previous_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                )
                """,
                "CREATE INDEX journal_by_rollout_sequence ON journal (rollout, sequence)",
                // The journal is append-only: the database itself refuses edits, deletions and truncation, whoever
                // connects, unless the owner first drops the trigger (which `audit verify` then finds in the chain).
                """
                CREATE FUNCTION coalmine_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
                END $$
                """,
                """
                CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal
                    FOR EACH ROW EXECUTE FUNCTION coalmine_refuse_change()
                """,
                """
                CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON journal
                    FOR EACH STATEMENT EXECUTE FUNCTION coalmine_refuse_change()
                """,
                """
                CREATE TABLE outbox (
                    id BIGSERIAL PRIMARY KEY,
                    rollout TEXT NOT NULL,
                    run BIGINT NOT NULL,
                    lane_kind TEXT NOT NULL,
                    lane_name TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    created_at BIGINT NOT NULL,
                    next_attempt_at BIGINT NOT NULL,
                    last_error TEXT,
                    settled_at BIGINT
                )
                """,
                "CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending'",
                "CREATE INDEX outbox_settled ON outbox (settled_at) WHERE settled_at IS NOT NULL",
                """
                CREATE TABLE alert_delivery (
                    fingerprint TEXT NOT NULL,
                    starts_at TEXT NOT NULL,
                    status TEXT NOT NULL,
                    seen_at BIGINT NOT NULL,
                    PRIMARY KEY (fingerprint, starts_at, status)
                )
                """,
                "CREATE INDEX alert_delivery_seen ON alert_delivery (seen_at)",
                """
                CREATE TABLE action_link_use (
                    nonce TEXT PRIMARY KEY,
                    rollout TEXT NOT NULL,
                    action TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    used_at BIGINT NOT NULL
                )
                """,
                "CREATE TABLE latest_transition (rollout TEXT PRIMARY KEY, sequence BIGINT NOT NULL)",
                """
                CREATE TABLE firing_alert (
                    id BIGSERIAL PRIMARY KEY,
                    rollout TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    starts_at TEXT NOT NULL,
                    alert TEXT NOT NULL,
                    UNIQUE (rollout, fingerprint)
                )
                """,
                // A storm's commit changes hundreds of firing alerts whose order matters (a new episode moves to
                // the end): applied here in one call, in order, instead of one round trip each.
                """
                CREATE FUNCTION coalmine_apply_firing(
                    kinds TEXT[], rollouts TEXT[], fingerprints TEXT[], starts TEXT[], alerts TEXT[]
                ) RETURNS void LANGUAGE plpgsql AS $$
                BEGIN
                    FOR i IN 1 .. coalesce(array_length(kinds, 1), 0) LOOP
                        IF kinds[i] = 'ends' THEN
                            DELETE FROM firing_alert WHERE rollout = rollouts[i] AND fingerprint = fingerprints[i];
                        ELSE
                            IF kinds[i] = 'fires' THEN
                                DELETE FROM firing_alert
                                WHERE rollout = rollouts[i] AND fingerprint = fingerprints[i] AND starts_at <> starts[i];
                            END IF;
                            INSERT INTO firing_alert (rollout, fingerprint, starts_at, alert)
                            VALUES (rollouts[i], fingerprints[i], starts[i], alerts[i])
                            ON CONFLICT (rollout, fingerprint) DO UPDATE SET alert = excluded.alert;
                        END IF;
                    END LOOP;
                END $$
                """,
                "CREATE TABLE audit_keying (keyed_from BIGINT NOT NULL)",
                """
                CREATE TRIGGER audit_keying_fixed BEFORE UPDATE OR DELETE ON audit_keying
                    FOR EACH ROW EXECUTE FUNCTION coalmine_refuse_change()
                """,
            ]
        ),
        (
            "v2-leadership",
            [
                // One row: who leads, in which term (epoch), until when. Times are the database's, so replicas with
                // skewed clocks still agree on when a lease ends.
                """
                CREATE TABLE coalmine_leader (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    replica TEXT NOT NULL,
                    epoch BIGINT NOT NULL,
                    expires_at TIMESTAMPTZ NOT NULL
                )
                """,
                "INSERT INTO coalmine_leader (id, replica, epoch, expires_at) VALUES (1, '', 0, '-infinity')",
                """
                CREATE TABLE coalmine_replica (
                    id TEXT PRIMARY KEY,
                    advertise_url TEXT NOT NULL,
                    started_at TIMESTAMPTZ NOT NULL,
                    heartbeat_at TIMESTAMPTZ NOT NULL
                )
                """,
                // The term under which each effect was last started: a deposed leader cannot start one.
                "ALTER TABLE outbox ADD COLUMN claimed_epoch BIGINT",
            ]
        ),
        (
            "v3-commit-start",
            [
                // A commit's first steps in one round trip, in this order: take the chain's lock, check the fence
                // (share-locking the lease row; no fence when `fence_replica` is empty), read the head, reserve the
                // outbox ids.
                """
                CREATE FUNCTION coalmine_commit_start(
                    chain_lock BIGINT, fence_replica TEXT, fence_epoch BIGINT, effect_count BIGINT
                ) RETURNS TABLE (holds BOOLEAN, head_sequence BIGINT, head_hash TEXT, outbox_ids BIGINT[])
                LANGUAGE plpgsql AS $$
                DECLARE
                    leads BOOLEAN := TRUE;
                BEGIN
                    PERFORM pg_advisory_xact_lock(chain_lock);
                    IF fence_replica <> '' THEN
                        SELECT coalesce(l.replica = fence_replica AND l.epoch = fence_epoch AND l.expires_at > clock_timestamp(), FALSE)
                        INTO leads FROM coalmine_leader l WHERE l.id = 1 FOR SHARE;
                    END IF;
                    RETURN QUERY
                        SELECT leads, j.sequence, j.hash,
                            ARRAY(SELECT nextval('outbox_id_seq') FROM generate_series(1, effect_count))
                        FROM (SELECT 1) AS one
                        LEFT JOIN LATERAL (SELECT sequence, hash FROM journal ORDER BY sequence DESC LIMIT 1) j ON TRUE;
                END $$
                """
            ]
        ),
        (
            "v4-deliveries-in-arrival-order",
            [
                // Alertmanager's fingerprints are hashes: a key on them put every new alert's row on an index page
                // of its own. The engine recognises repeats from memory and the table is read through its `seen_at`
                // index (by age, or one delivery by when the engine first saw it), so the rows need no key.
                "ALTER TABLE alert_delivery DROP CONSTRAINT alert_delivery_pkey"
            ]
        ),
        (
            "v5-shared-key-ids",
            [
                // The id of each key every replica must share (`SharedKey`), recorded on first use. The audit key's
                // is fixed; the link signing key's is replaced by a rotation.
                "CREATE TABLE shared_key (name TEXT PRIMARY KEY, key_id TEXT NOT NULL)",
                """
                CREATE TRIGGER shared_key_no_delete BEFORE DELETE ON shared_key
                    FOR EACH ROW EXECUTE FUNCTION coalmine_refuse_change()
                """,
                """
                CREATE TRIGGER shared_key_audit_fixed BEFORE UPDATE ON shared_key
                    FOR EACH ROW WHEN (OLD.name = 'audit') EXECUTE FUNCTION coalmine_refuse_change()
                """,
            ]
        ),
    ]

    /// The versions the database has; none when no coalmine has migrated it yet.
    static func applied(_ client: PostgresClient, logger: Logger) async throws -> Set<String> {
        try await client.withConnection { connection in
            var applied = Set<String>()
            let exists = try await connection.query("SELECT to_regclass('coalmine_schema') IS NOT NULL", logger: logger)
            for try await found in exists.decode(Bool.self) where !found { return applied }
            for try await version in try await connection.query("SELECT version FROM coalmine_schema", logger: logger)
                .decode(String.self)
            {
                applied.insert(version)
            }
            return applied
        }
    }

    /// Brings the database up to the newest version; returns the names of the versions it applied.
    @discardableResult
    static func migrate(_ client: PostgresClient, logger: Logger) async throws -> [String] {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.run("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            try await connection.run(
                """
                CREATE TABLE IF NOT EXISTS coalmine_schema (
                    version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: logger)
            var applied = Set<String>()
            for try await version in try await connection.query("SELECT version FROM coalmine_schema", logger: logger)
                .decode(String.self)
            {
                applied.insert(version)
            }
            var ran: [String] = []
            for version in versions where !applied.contains(version.name) {
                for statement in version.statements {
                    try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.run("INSERT INTO coalmine_schema (version) VALUES (\(version.name))", logger: logger)
                ran.append(version.name)
            }
            return ran
        }
    }
}

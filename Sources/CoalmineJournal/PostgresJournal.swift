import CoalmineCore
import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Synchronization

/// The journal in PostgreSQL, shared by every replica of one cluster: the same tables, the same hash chain and the
/// same guarantees as `SQLiteJournal`. A commit holds a transaction-scoped advisory lock while it extends the chain,
/// so commits from several processes still form one unbroken chain.
public final class PostgresJournal: JournalStore {
    let client: PostgresClient
    /// The client's connection pool works only while its `run()` does. A journal is opened by `serve`, by the CLI
    /// and by tests alike, so it runs the pool itself for as long as it is open; `close()` ends it.
    private let pool: Task<Void, Never>
    let logger: Logger
    /// Set when replicas share this journal: commits go through only from the leader, in its current term.
    private let fence = Mutex<LeaderFence?>(nil)
    private let auditKey: ChainKey?
    public let keyedFrom: Int64?
    /// `host:port/database`, for messages.
    public let location: String

    /// The key of the advisory lock a commit holds while it extends the chain.
    static let chainLock: Int64 = 0x636F_616C_6A6F_7572

    /// Connects, migrates the schema (safe when several replicas start at once) and records where audit keys begin,
    /// as `SQLiteJournal` does. `readOnly` (for `coalmine audit`): nothing is migrated or recorded, and a schema
    /// other than this build's is refused (`JournalSchemaMismatch`).
    public init(
        settings: PostgresStoreSettings, password: String?, auditKey: String? = nil, readOnly: Bool = false,
        logger: Logger = Logger(label: "coalmine.postgres")
    ) async throws {
        let tlsConfiguration = try Self.tlsConfiguration(for: settings)
        location = "\(settings.host):\(settings.port)/\(settings.database)"
        // One plain connection first: the pool retries a refused login or certificate for a minute and then
        // reports only that it gave up; a start must say at once that the password or the CA is wrong.
        try await Self.probe(settings, password: password, tls: tlsConfiguration, logger: logger, location: location)
        var configuration = PostgresClient.Configuration(
            host: settings.host, port: settings.port, username: settings.user, password: password,
            database: settings.database, tls: tlsConfiguration.map { .require($0) } ?? .disable)
        configuration.options.maximumConnections = settings.pool
        configuration.options.connectTimeout = .seconds(5)
        // The server itself then refuses every write on these connections, whatever a query would do.
        if readOnly { configuration.options.additionalStartupParameters = [("default_transaction_read_only", "on")] }
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        // Started at once, not scheduled: the client warns when a connection is asked for before it runs.
        pool = Task.immediate { await client.run() }
        self.auditKey = auditKey.map(ChainKey.init)
        do {
            if readOnly {
                let mismatch = JournalSchemaMismatch(
                    expected: PostgresSchema.versions.map(\.name), applied: try await PostgresSchema.applied(client, logger: logger))
                guard mismatch.isEmpty else { throw mismatch }
                if let auditKey {
                    let differs = try await client.withConnection { connection in
                        try await Self.checkKeyID(
                            KeyID.of(auditKey), of: .audit, replacing: [], on: connection, recording: false, logger: logger)
                    }
                    if let differs { throw differs }
                }
                keyedFrom = try await client.withConnection { connection in
                    for try await from in try await connection.query("SELECT keyed_from FROM audit_keying", logger: logger)
                        .decode(Int64.self)
                    {
                        return from
                    }
                    return nil
                }
            } else {
                try await PostgresSchema.migrate(client, logger: logger)
                keyedFrom = try await Self.keyedFrom(client, auditKey: auditKey, logger: logger)
            }
        } catch let mismatch as JournalSchemaMismatch {
            pool.cancel()
            await pool.value
            throw mismatch
        } catch let differs as SharedKeyDiffers {
            pool.cancel()
            await pool.value
            throw differs
        } catch {
            pool.cancel()
            await pool.value
            throw PostgresStoreError(doing: "open the journal at \(location)", error)
        }
        if let keyedFrom, auditKey == nil {
            await close()
            throw AuditKeyMissing(keyedFrom: keyedFrom)
        }
    }

    /// Where keyed entries begin: as recorded, or, the first time the journal is opened with a key, the next
    /// sequence, recorded now.
    private static func keyedFrom(_ client: PostgresClient, auditKey: String?, logger: Logger) async throws -> Int64? {
        let (keyedFrom, differs) = try await client.withTransaction(logger: logger) { connection in
            try await connection.run("SELECT pg_advisory_xact_lock(\(Self.chainLock))", logger: logger)
            // Before anything is keyed with it: a key that differs from the journal's must not extend its chain.
            if let auditKey {
                let differs = try await Self.checkKeyID(
                    KeyID.of(auditKey), of: .audit, replacing: [], on: connection, recording: true, logger: logger)
                if let differs { return (Int64?.none, Optional(differs)) }
            }
            return (try await Self.recordKeyedFrom(connection, auditKey: auditKey, logger: logger), nil)
        }
        if let differs { throw differs }
        return keyedFrom
    }

    private static func recordKeyedFrom(_ connection: PostgresConnection, auditKey: String?, logger: Logger) async throws
        -> Int64?
    {
        let recorded = try await connection.query("SELECT keyed_from FROM audit_keying", logger: logger)
        for try await from in recorded.decode(Int64.self) { return from }
        guard auditKey != nil else { return nil }
        let next = try await Self.head(connection, logger: logger).map { $0.sequence + 1 } ?? 1
        try await connection.run("INSERT INTO audit_keying (keyed_from) VALUES (\(next))", logger: logger)
        return next
    }

    public func checkKeyID(_ id: String, of key: SharedKey, replacing previous: Set<String>) async throws {
        let differs = try await transaction("check the \(key.rawValue) key's id") { [logger] connection in
            try await Self.checkKeyID(id, of: key, replacing: previous, on: connection, recording: true, logger: logger)
        }
        if let differs { throw differs }
    }

    /// Records `id` the first time, or in place of one on record that is in `previous`; returns what differs for
    /// any other id. Replicas starting at once agree: the first insert wins and every other one reads it back.
    /// `recording` false (a read-only audit) only compares.
    private static func checkKeyID(
        _ id: String, of key: SharedKey, replacing previous: Set<String>, on connection: PostgresConnection,
        recording: Bool, logger: Logger
    ) async throws -> SharedKeyDiffers? {
        if recording {
            try await connection.run(
                "INSERT INTO shared_key (name, key_id) VALUES (\(key.rawValue), \(id)) ON CONFLICT (name) DO NOTHING",
                logger: logger)
        }
        var recorded: String?
        let rows = try await connection.query(
            "SELECT key_id FROM shared_key WHERE name = \(key.rawValue)", logger: logger)
        for try await found in rows.decode(String.self) { recorded = found }
        guard let recorded, recorded != id else { return nil }
        guard previous.contains(recorded) else { return SharedKeyDiffers(key: key, recorded: recorded, given: id) }
        if recording {
            try await connection.run(
                "UPDATE shared_key SET key_id = \(id) WHERE name = \(key.rawValue) AND key_id = \(recorded)",
                logger: logger)
        }
        return nil
    }

    /// From now on every commit checks, in its own transaction, that `fence.replica` leads in `fence.epoch`, and
    /// fails with `NotLeader` otherwise (at once while `epoch` is nil).
    public func setFence(_ fence: LeaderFence) {
        self.fence.withLock { $0 = fence }
    }

    /// Closes every connection.
    public func close() async {
        pool.cancel()
        await pool.value
    }

    /// The TLS client settings `sslmode` asks for; nil for `disable`.
    private static func tlsConfiguration(for settings: PostgresStoreSettings) throws -> TLSConfiguration? {
        switch settings.sslMode {
        case .disable:
            return nil
        case .require:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            return tls
        case .verifyFull:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .fullVerification
            if let caFile = settings.caFile {
                guard FileManager.default.isReadableFile(atPath: caFile) else {
                    throw PostgresStoreError(description: "store.postgres.caFile: cannot read \(caFile)")
                }
                tls.trustRoots = .file(caFile)
            }
            return tls
        }
    }

    private static func probe(
        _ settings: PostgresStoreSettings, password: String?, tls: TLSConfiguration?, logger: Logger, location: String
    ) async throws {
        do {
            let connectionTLS: PostgresConnection.Configuration.TLS =
                try tls.map { .require(try NIOSSLContext(configuration: $0)) } ?? .disable
            var configuration = PostgresConnection.Configuration(
                host: settings.host, port: settings.port, username: settings.user, password: password,
                database: settings.database, tls: connectionTLS)
            configuration.options.connectTimeout = .seconds(5)
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try await connection.close()
        } catch {
            throw PostgresStoreError(doing: "open the journal at \(location)", error)
        }
    }

    /// How long an operation waits for a pooled connection before it fails (see `ConnectionWait`).
    static let connectionWait: Duration = .seconds(5)

    func transaction<Result: Sendable>(
        _ doing: @autoclosure () -> String, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await ConnectionWait.run(
                on: client, within: Self.connectionWait, inTransaction: true, logger: logger, body)
        } catch {
            throw PostgresStoreError(doing: doing(), error)
        }
    }

    func read<Result: Sendable>(
        _ doing: @autoclosure () -> String, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await ConnectionWait.run(
                on: client, within: Self.connectionWait, inTransaction: false, logger: logger, body)
        } catch {
            throw PostgresStoreError(doing: doing(), error)
        }
    }

    private static func head(_ connection: PostgresConnection, logger: Logger) async throws -> JournalHead? {
        let rows = try await connection.query(
            "SELECT sequence, hash FROM journal ORDER BY sequence DESC LIMIT 1", logger: logger)
        for try await (sequence, hash) in rows.decode((Int64, String).self) {
            return JournalHead(sequence: sequence, hash: hash)
        }
        return nil
    }

    // MARK: commit

    @discardableResult
    public func commit(_ units: [JournalUnit], at time: Timestamp) async throws -> [OutboxItem] {
        let effectCount = units.reduce(0) { $0 + $1.effects.count }
        let fence = self.fence.withLock { $0 }
        if let fence, fence.epoch == nil { throw NotLeader(replica: fence.replica) }
        return try await transaction("commit to the journal at \(location)") { [logger, auditKey] connection in
            // The lock, the fence, the head and the outbox ids in one round trip (see `coalmine_commit_start`).
            let start = try await connection.query(
                """
                SELECT holds, head_sequence, head_hash, outbox_ids FROM coalmine_commit_start(
                    \(Self.chainLock), \(fence?.replica ?? ""), \(fence?.epoch ?? -1), \(effectCount))
                """, logger: logger)
            var began: (holds: Bool, sequence: Int64?, hash: String?, ids: [Int64])?
            for try await row in start.decode((Bool, Int64?, String?, [Int64]).self) { began = (row.0, row.1, row.2, row.3) }
            guard let began, began.holds else { throw NotLeader(replica: fence?.replica ?? "") }
            var rows = PostgresCommitRows(
                time: time, sequence: began.sequence ?? 0, previous: began.hash ?? HashChain.genesis, key: auditKey)
            let created = rows.add(units, outboxIDs: began.ids.sorted())
            try await rows.write(connection, logger: logger)
            return created
        }
    }

    /// Fails unless `fence` still holds the lead. The row stays share-locked until the commit ends, so a takeover
    /// (which updates it) waits for this commit, and the new leader's first read of the journal sees it.
    static func check(_ fence: LeaderFence, _ connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query(
            """
            SELECT replica = \(fence.replica) AND epoch = \(fence.epoch ?? -1) AND expires_at > clock_timestamp()
            FROM coalmine_leader WHERE id = 1 FOR SHARE
            """, logger: logger)
        for try await holds in rows.decode(Bool.self) where holds { return }
        throw NotLeader(replica: fence.replica)
    }

    // MARK: reads

    public func latestTransitions() async throws -> [String: String] {
        try await read("read the latest transitions") { [logger] connection in
            let rows = try await connection.query(
                "SELECT l.rollout, j.body FROM latest_transition l JOIN journal j ON j.sequence = l.sequence",
                logger: logger)
            var bodies: [String: String] = [:]
            for try await (rollout, body) in rows.decode((String, String).self) { bodies[rollout] = body }
            return bodies
        }
    }

    public func firingAlerts() async throws -> [String: [FiringAlert]] {
        try await read("read the firing alerts") { [logger] connection in
            let rows = try await connection.query("SELECT rollout, alert FROM firing_alert ORDER BY id", logger: logger)
            let decoder = JSONDecoder()
            var firing: [String: [FiringAlert]] = [:]
            for try await (rollout, alert) in rows.decode((String, String).self) {
                firing[rollout, default: []].append(try decoder.decode(FiringAlert.self, from: Data(alert.utf8)))
            }
            return firing
        }
    }

    public func deliveries(seenSince since: Timestamp) async throws -> [AlertDeliveryKey: Timestamp] {
        try await read("read the alert deliveries") { [logger] connection in
            let rows = try await connection.query(
                """
                SELECT fingerprint, starts_at, status, seen_at FROM alert_delivery
                WHERE seen_at >= \(since.millisecondsSinceEpoch) ORDER BY seen_at
                """,
                logger: logger)
            var deliveries: [AlertDeliveryKey: Timestamp] = [:]
            for try await (fingerprint, startsAt, status, seenAt) in rows.decode((String, String, String, Int64).self) {
                guard let status = AlertObservation.Status(rawValue: status) else { continue }
                deliveries[AlertDeliveryKey(fingerprint: fingerprint, startsAt: startsAt, status: status)] =
                    Timestamp(millisecondsSinceEpoch: seenAt)
            }
            return deliveries
        }
    }

    public func pruneDeliveries(seenBefore cutoff: Timestamp) async throws -> Int {
        try await deleteInBatches(table: "alert_delivery", column: "seen_at", before: cutoff)
    }

    public func pruneOutbox(settledBefore cutoff: Timestamp) async throws -> Int {
        try await deleteInBatches(table: "outbox", column: "settled_at", before: cutoff)
    }

    /// Deletes rows older than `cutoff` a batch per transaction, so a prune after a storm never holds back the
    /// commits webhooks wait on; returns how many went.
    private func deleteInBatches(table: String, column: String, before cutoff: Timestamp, batch: Int = 2000) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await read("prune \(table)") { [logger] connection in
                var query = PostgresQuery(unsafeSQL: """
                    WITH gone AS (
                        DELETE FROM \(table) WHERE ctid IN (SELECT ctid FROM \(table) WHERE \(column) < $1 LIMIT $2)
                        RETURNING 1)
                    SELECT count(*) FROM gone
                    """)
                try query.binds.append(cutoff.millisecondsSinceEpoch, context: .default)
                try query.binds.append(batch, context: .default)
                for try await count in try await connection.query(query, logger: logger).decode(Int.self) { return count }
                return 0
            }
            total += deleted
            if deleted < batch { return total }
        }
    }

    public func linkUses() async throws -> [ActionLinkUse] {
        try await read("read the used links") { [logger] connection in
            let rows = try await connection.query(
                "SELECT nonce, rollout, action, actor, used_at FROM action_link_use", logger: logger)
            var uses: [ActionLinkUse] = []
            for try await (nonce, rollout, action, actor, usedAt) in rows.decode((String, String, String, String, Int64).self) {
                guard let action = HumanAction(rawValue: action) else { continue }
                uses.append(
                    ActionLinkUse(
                        nonce: nonce, rollout: rollout, action: action, actor: actor,
                        usedAt: Timestamp(millisecondsSinceEpoch: usedAt)))
            }
            return uses
        }
    }

    public func pendingEffects() async throws -> [OutboxItem] {
        try await read("read the pending effects") { [logger] connection in
            let rows = try await connection.query(
                """
                SELECT id, rollout, run, lane_kind, lane_name, payload, attempts, created_at, next_attempt_at, last_error
                FROM outbox WHERE status = 'pending' ORDER BY id
                """, logger: logger)
            var items: [OutboxItem] = []
            let decoder = JSONDecoder()
            for try await (id, rollout, run, laneKind, laneName, payload, attempts, createdAt, nextAttemptAt, lastError)
                in rows.decode((Int64, String, Int, String, String, String, Int32, Int64, Int64, String?).self)
            {
                guard let lane = EffectLane(kind: laneKind, name: laneName) else {
                    throw PostgresStoreError(description: "outbox row \(id) has an unknown lane kind '\(laneKind)'")
                }
                items.append(
                    OutboxItem(
                        id: id, rollout: rollout, run: run, lane: lane,
                        effect: try decoder.decode(RolloutEffect.self, from: Data(payload.utf8)), attempts: Int(attempts),
                        createdAt: Timestamp(millisecondsSinceEpoch: createdAt),
                        nextAttemptAt: Timestamp(millisecondsSinceEpoch: nextAttemptAt), lastError: lastError))
            }
            return items
        }
    }

    private static let entryColumns = "sequence, recorded_at, rollout, run, kind, body, previous_hash, hash"

    private static func entries(_ rows: PostgresRowSequence) async throws -> [JournalEntry] {
        var entries: [JournalEntry] = []
        for try await row in rows.decode((Int64, Int64, String, Int, String, String, String, String).self) {
            guard let kind = JournalKind(rawValue: row.4) else { continue }
            entries.append(
                JournalEntry(
                    sequence: row.0, recordedAt: Timestamp(millisecondsSinceEpoch: row.1), rollout: row.2, run: row.3,
                    kind: kind, body: row.5, previousHash: row.6, hash: row.7))
        }
        return entries
    }

    public func history(of rollout: String) async throws -> [JournalEntry] {
        try await read("read the history of \(rollout)") { [logger] connection in
            var query = PostgresQuery(
                unsafeSQL: "SELECT \(Self.entryColumns) FROM journal WHERE rollout = $1 ORDER BY sequence")
            try query.binds.append(rollout, context: .default)
            return try await Self.entries(try await connection.query(query, logger: logger))
        }
    }

    public func history(of rollout: String, before: Int64?, limit: Int) async throws -> HistoryPage {
        try await read("read the history of \(rollout)") { [logger] connection in
            // One more than asked: whether it exists says if there is an older page.
            var query = PostgresQuery(
                unsafeSQL: """
                    SELECT \(Self.entryColumns) FROM journal WHERE rollout = $1 AND sequence < $2
                    ORDER BY sequence DESC LIMIT $3
                    """)
            try query.binds.append(rollout, context: .default)
            try query.binds.append(before ?? Int64.max, context: .default)
            try query.binds.append(limit + 1, context: .default)
            let newestFirst = try await Self.entries(try await connection.query(query, logger: logger))
            let page = Array(newestFirst.prefix(limit).reversed())
            return HistoryPage(entries: page, next: newestFirst.count > limit ? page.first?.sequence : nil)
        }
    }

    public func ping() async throws {
        try await read("reach \(location)") { [logger] connection in
            try await connection.run("SELECT 1", logger: logger)
            return ()
        }
    }

    public func head() async throws -> JournalHead? {
        try await read("read the journal's head") { [logger] connection in try await Self.head(connection, logger: logger) }
    }

    public func verifyChain(expecting anchor: JournalHead?, resumingAt known: JournalHead?) async throws -> ChainVerification {
        try await read("walk the hash chain") { [logger, auditKey, keyedFrom] connection in
            var walk = ChainWalk(key: auditKey, keyedFrom: keyedFrom, anchor: anchor, resumingAt: known)
            var query = PostgresQuery(unsafeSQL: "SELECT \(Self.entryColumns) FROM journal WHERE sequence >= $1 ORDER BY sequence")
            try query.binds.append(walk.firstSequence, context: .default)
            let rows = try await connection.query(query, logger: logger)
            for try await row in rows.decode((Int64, Int64, String, Int, String, String, String, String).self) {
                if let broken = walk.step(
                    sequence: row.0, recordedAt: row.1, rollout: row.2, run: row.3, kind: row.4, body: row.5, link: row.6,
                    stored: row.7)
                {
                    return broken
                }
            }
            return walk.finish()
        }
    }
}

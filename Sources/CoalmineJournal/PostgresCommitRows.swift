import CoalmineCore
import Logging
import PostgresNIO

/// One commit's rows, gathered column by column so each table takes one statement (`unnest` of arrays) whatever the
/// size of the batch: a storm's group commit writes hundreds of rows, and a round trip per row would be most of
/// its time. The order within the batch is kept where it matters: the chain, the outbox ids, the firing alerts.
struct PostgresCommitRows {
    private let time: Timestamp
    private let key: ChainKey?
    private var sequence: Int64
    private var previous: String

    private var journal = (
        sequence: [Int64](), rollout: [String](), run: [Int](), kind: [String](), body: [String](), previous: [String](),
        hash: [String]()
    )
    private var outbox = (id: [Int64](), rollout: [String](), run: [Int](), laneKind: [String](), laneName: [String](), payload: [String]())
    /// By outbox id, the last settlement in the batch.
    private var settlements: [Int64: EffectSettlement] = [:]
    private var latestTransition: [String: Int64] = [:]
    private var linkUses: [ActionLinkUse] = []
    /// Deliveries to insert (unless already known) and to forget, netted in order: forgetting a key removes the row,
    /// a later delivery of it in the same batch writes it again.
    private var remembered: [RememberedDelivery] = []
    private var forgotten: Set<RememberedDelivery> = []
    private var firing = (kind: [String](), rollout: [String](), fingerprint: [String](), startsAt: [String](), alert: [String]())

    init(time: Timestamp, sequence: Int64, previous: String, key: ChainKey?) {
        self.time = time
        self.key = key
        self.sequence = sequence
        self.previous = previous
    }

    /// Takes the units in order; returns the outbox items they create, with the ids given.
    mutating func add(_ units: [JournalUnit], outboxIDs: [Int64]) -> [OutboxItem] {
        var ids = outboxIDs.makeIterator()
        var created: [OutboxItem] = []
        for unit in units {
            for entry in unit.entries { append(entry) }
            for effect in unit.effects {
                guard let id = ids.next() else { preconditionFailure("an outbox id was reserved for every effect") }
                outbox.id.append(id)
                outbox.rollout.append(effect.rollout)
                outbox.run.append(effect.run)
                outbox.laneKind.append(effect.lane.kind)
                outbox.laneName.append(effect.lane.name)
                outbox.payload.append(JournalJSON.encode(effect.effect))
                created.append(
                    OutboxItem(
                        id: id, rollout: effect.rollout, run: effect.run, lane: effect.lane, effect: effect.effect,
                        createdAt: time, nextAttemptAt: time))
                append(
                    NewJournalEntry(
                        rollout: effect.rollout, run: effect.run, kind: .effectRequested,
                        body: JournalJSON.encode(EffectBodies.Requested(id: id, effect))))
            }
            for settlement in unit.settlements {
                settlements[settlement.effect.id] = settlement
                append(
                    NewJournalEntry(
                        rollout: settlement.effect.rollout, run: settlement.effect.run, kind: .effectResult,
                        body: JournalJSON.encode(EffectBodies.Result(settlement))))
            }
            linkUses += unit.linkUses
            remembered += unit.deliveries
            for delivery in unit.forgottenDeliveries {
                forgotten.insert(delivery)
                remembered.removeAll { $0.key == delivery.key }
            }
            for change in unit.firingChanges {
                switch change {
                case .starts(let rollout, let alert, _), .fires(let rollout, let alert, _):
                    if case .fires = change { firing.kind.append("fires") } else { firing.kind.append("starts") }
                    firing.rollout.append(rollout)
                    firing.fingerprint.append(alert.fingerprint)
                    firing.startsAt.append(alert.startsAt)
                    firing.alert.append(alert.canonicalJSON)
                case .ends(let rollout, let alert):
                    firing.kind.append("ends")
                    firing.rollout.append(rollout)
                    firing.fingerprint.append(alert.fingerprint)
                    firing.startsAt.append("")
                    firing.alert.append("")
                }
            }
        }
        return created
    }

    private mutating func append(_ entry: NewJournalEntry) {
        sequence += 1
        let hash = HashChain.hash(
            previous: previous, sequence: sequence, recordedAt: time.millisecondsSinceEpoch, rollout: entry.rollout,
            run: entry.run, kind: entry.kind.rawValue, body: entry.body, key: key)
        journal.sequence.append(sequence)
        journal.rollout.append(entry.rollout)
        journal.run.append(entry.run)
        journal.kind.append(entry.kind.rawValue)
        journal.body.append(entry.body)
        journal.previous.append(previous)
        journal.hash.append(hash)
        previous = hash
        if entry.kind == .transition { latestTransition[entry.rollout] = sequence }
    }

    /// Writes every row in the caller's transaction: the rows every storm commit has (journal, latest transitions,
    /// deliveries, new effects, firing alerts) in one statement of data-modifying `WITH` parts, the rarer ones
    /// (settlements, link uses, forgotten deliveries) in statements of their own before it.
    func write(_ connection: PostgresConnection, logger: Logger) async throws {
        let now = time.millisecondsSinceEpoch
        if !settlements.isEmpty {
            let rows = Array(settlements.values)
            let errors = rows.map { $0.outcome.error ?? $0.effect.lastError }
            try await connection.run(
                """
                UPDATE outbox SET status = s.status, attempts = s.attempts, next_attempt_at = s.next_at,
                    last_error = CASE WHEN s.has_error THEN s.error END,
                    settled_at = CASE WHEN s.status <> 'pending' THEN \(now) END
                FROM unnest(\(rows.map(\.effect.id))::bigint[], \(rows.map(\.outcome.rowStatus))::text[],
                    \(rows.map(\.attempts))::bigint[], \(rows.map(Self.nextAttempt(now: now)))::bigint[],
                    \(errors.map { $0 ?? "" })::text[], \(errors.map { $0 != nil })::bool[])
                    AS s(id, status, attempts, next_at, error, has_error)
                WHERE outbox.id = s.id
                """, logger: logger)
        }
        for use in linkUses {
            // A plain INSERT: a second use of one nonce must fail the transaction, not pass silently.
            try await connection.run(
                """
                INSERT INTO action_link_use (nonce, rollout, action, actor, used_at)
                VALUES (\(use.nonce), \(use.rollout), \(use.action.rawValue), \(use.actor), \(use.usedAt.millisecondsSinceEpoch))
                """, logger: logger)
        }
        if !forgotten.isEmpty {
            // Before the deliveries are inserted: a key forgotten and seen again in one batch is written anew.
            let deliveries = Array(forgotten)
            try await connection.run(
                """
                DELETE FROM alert_delivery d
                USING unnest(\(deliveries.map(\.seenAt.millisecondsSinceEpoch))::bigint[],
                    \(deliveries.map(\.key.fingerprint))::text[], \(deliveries.map(\.key.startsAt))::text[],
                    \(deliveries.map(\.key.status.rawValue))::text[]) AS f(seen_at, fingerprint, starts_at, status)
                WHERE d.seen_at = f.seen_at AND d.fingerprint = f.fingerprint AND d.starts_at = f.starts_at
                    AND d.status = f.status
                """, logger: logger)
        }
        var statement = CombinedStatement()
        if !journal.sequence.isEmpty {
            statement.add(
                """
                INSERT INTO journal (sequence, recorded_at, rollout, run, kind, body, previous_hash, hash)
                SELECT s, \(statement.bind(now)), r, n, k, b, p, h
                FROM unnest(\(statement.bind(journal.sequence))::bigint[], \(statement.bind(journal.rollout))::text[],
                    \(statement.bind(journal.run))::bigint[], \(statement.bind(journal.kind))::text[],
                    \(statement.bind(journal.body))::text[], \(statement.bind(journal.previous))::text[],
                    \(statement.bind(journal.hash))::text[]) AS t(s, r, n, k, b, p, h)
                """)
        }
        if !latestTransition.isEmpty {
            statement.add(
                """
                INSERT INTO latest_transition (rollout, sequence)
                SELECT * FROM unnest(\(statement.bind(Array(latestTransition.keys)))::text[],
                    \(statement.bind(Array(latestTransition.values)))::bigint[])
                ON CONFLICT (rollout) DO UPDATE SET sequence = excluded.sequence
                """)
        }
        if !outbox.id.isEmpty {
            statement.add(
                """
                INSERT INTO outbox (id, rollout, run, lane_kind, lane_name, payload, status, created_at, next_attempt_at)
                SELECT i, r, n, k, l, p, 'pending', \(statement.bind(now)), \(statement.bind(now))
                FROM unnest(\(statement.bind(outbox.id))::bigint[], \(statement.bind(outbox.rollout))::text[],
                    \(statement.bind(outbox.run))::bigint[], \(statement.bind(outbox.laneKind))::text[],
                    \(statement.bind(outbox.laneName))::text[], \(statement.bind(outbox.payload))::text[]) AS t(i, r, n, k, l, p)
                """)
        }
        if !remembered.isEmpty {
            statement.add(
                """
                INSERT INTO alert_delivery (fingerprint, starts_at, status, seen_at)
                SELECT * FROM unnest(\(statement.bind(remembered.map(\.key.fingerprint)))::text[],
                    \(statement.bind(remembered.map(\.key.startsAt)))::text[],
                    \(statement.bind(remembered.map(\.key.status.rawValue)))::text[],
                    \(statement.bind(remembered.map(\.seenAt.millisecondsSinceEpoch)))::bigint[])
                """)
        }
        if !firing.kind.isEmpty {
            statement.finish(
                """
                SELECT coalmine_apply_firing(\(statement.bind(firing.kind))::text[], \(statement.bind(firing.rollout))::text[],
                    \(statement.bind(firing.fingerprint))::text[], \(statement.bind(firing.startsAt))::text[],
                    \(statement.bind(firing.alert))::text[])
                """)
        }
        if let query = try statement.query() { try await connection.run(query, logger: logger) }
    }

    private static func nextAttempt(now: Int64) -> (EffectSettlement) -> Int64 {
        { settlement in
            if case .retrying(_, let at) = settlement.outcome { return at.millisecondsSinceEpoch }
            return now
        }
    }
}

/// Several data-modifying statements sent as one (`WITH a AS (...), b AS (...) SELECT ...`): one round trip where
/// each would take its own. The parts must touch different tables; they all see the same snapshot.
private struct CombinedStatement {
    private var parts: [String] = []
    private var last = "SELECT 1"
    private var values: [any PostgresEncodable & Sendable] = []

    /// The placeholder of `value`, bound in order.
    mutating func bind(_ value: some PostgresEncodable & Sendable) -> String {
        values.append(value)
        return "$\(values.count)"
    }

    mutating func add(_ sql: String) { parts.append(sql) }

    /// The statement's final `SELECT`.
    mutating func finish(_ sql: String) { last = sql }

    /// Nil when there is nothing to write.
    func query() throws -> PostgresQuery? {
        guard !parts.isEmpty || last != "SELECT 1" else { return nil }
        let with = parts.enumerated().map { "part\($0.offset) AS (\($0.element))" }.joined(separator: ",\n")
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { try bindings.append(value, context: .default) }
        return PostgresQuery(unsafeSQL: (parts.isEmpty ? "" : "WITH " + with + "\n") + last, binds: bindings)
    }
}

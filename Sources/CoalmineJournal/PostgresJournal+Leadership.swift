import CoalmineCore
import Foundation
import Logging
import PostgresNIO

/// Leadership among the replicas sharing this journal: a lease in one row, renewed by its holder, taken over by
/// another replica only once it has expired by the database's clock. Each takeover starts a new term (epoch);
/// commits check the term (see `setFence`), so a leader that was paused past its lease writes nothing when it
/// wakes.
extension PostgresJournal {
    /// A replica whose heartbeat is older than this many leases is no longer listed.
    static let replicaForgottenAfterLeases = 20.0

    /// Takes the lead if nobody holds an unexpired lease, or renews it if this replica holds it; records this
    /// replica's heartbeat either way. A holder whose own lease had expired starts a new term too: whatever it
    /// began in the old one is fenced off.
    public func claimLease(replica: String, advertiseURL: String, lease: Duration) async throws -> LeaseOutcome {
        let seconds = Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18
        return try await transaction("renew the leader lease") { [logger] connection in
            try await connection.run(
                """
                INSERT INTO coalmine_replica (id, advertise_url, started_at, heartbeat_at)
                VALUES (\(replica), \(advertiseURL), clock_timestamp(), clock_timestamp())
                ON CONFLICT (id) DO UPDATE SET advertise_url = excluded.advertise_url, heartbeat_at = excluded.heartbeat_at
                """, logger: logger)
            let claimed = try await connection.query(
                """
                UPDATE coalmine_leader SET
                    epoch = CASE WHEN replica = \(replica) AND expires_at > clock_timestamp() THEN epoch ELSE epoch + 1 END,
                    replica = \(replica),
                    expires_at = clock_timestamp() + make_interval(secs => \(seconds))
                WHERE id = 1 AND (replica = \(replica) OR expires_at <= clock_timestamp())
                RETURNING epoch
                """, logger: logger)
            for try await epoch in claimed.decode(Int64.self) {
                // Pods come and go under new names: the leader forgets replicas silent for twenty leases, so the
                // list stays the replicas that exist.
                try await connection.run(
                    """
                    DELETE FROM coalmine_replica
                    WHERE heartbeat_at < clock_timestamp() - make_interval(secs => \(seconds * Self.replicaForgottenAfterLeases))
                    """, logger: logger)
                return LeaseOutcome(epoch: epoch, leader: replica, leaderURL: advertiseURL)
            }
            let holder = try await connection.query(
                """
                SELECT l.replica, r.advertise_url FROM coalmine_leader l JOIN coalmine_replica r ON r.id = l.replica
                WHERE l.id = 1 AND l.expires_at > clock_timestamp()
                """, logger: logger)
            for try await (leader, url) in holder.decode((String, String).self) {
                return LeaseOutcome(epoch: nil, leader: leader, leaderURL: url)
            }
            return LeaseOutcome(epoch: nil, leader: nil, leaderURL: nil)
        }
    }

    /// Gives the lead up at once (on a graceful stop), so another replica need not wait for the lease to run out.
    public func resign(replica: String, epoch: Int64) async throws {
        try await transaction("resign the lead") { [logger] connection in
            try await connection.run(
                """
                UPDATE coalmine_leader SET expires_at = clock_timestamp()
                WHERE id = 1 AND replica = \(replica) AND epoch = \(epoch)
                """, logger: logger)
            return ()
        }
    }

    /// Marks `effect` as started in `fence`'s term; false when this replica no longer leads in it, and the effect
    /// must not run.
    public func claimEffect(_ effect: Int64, under fence: LeaderFence) async throws -> Bool {
        guard fence.epoch != nil else { return false }
        do {
            return try await transaction("claim effect \(effect)") { [logger] connection in
                try await Self.check(fence, connection, logger: logger)
                try await connection.run(
                    "UPDATE outbox SET claimed_epoch = \(fence.epoch ?? -1) WHERE id = \(effect)", logger: logger)
                return true
            }
        } catch let error as PostgresStoreError where error.isNotLeader {
            return false
        }
    }

    /// Every replica that has sent a heartbeat, and who leads.
    public func cluster() async throws -> ClusterView {
        try await read("read the cluster") { [logger] connection in
            var replicas: [ClusterView.Replica] = []
            let rows = try await connection.query(
                """
                SELECT id, advertise_url, (extract(epoch FROM started_at) * 1000)::bigint,
                    (extract(epoch FROM heartbeat_at) * 1000)::bigint
                FROM coalmine_replica ORDER BY id
                """, logger: logger)
            for try await (id, url, started, heartbeat) in rows.decode((String, String, Int64, Int64).self) {
                replicas.append(
                    ClusterView.Replica(
                        id: id, advertiseURL: url, startedAt: Timestamp(millisecondsSinceEpoch: started),
                        lastHeartbeat: Timestamp(millisecondsSinceEpoch: heartbeat)))
            }
            let leaderRows = try await connection.query(
                """
                SELECT replica, epoch, expires_at > clock_timestamp(),
                    CASE WHEN expires_at = '-infinity' THEN 0 ELSE (extract(epoch FROM expires_at) * 1000)::bigint END
                FROM coalmine_leader WHERE id = 1
                """, logger: logger)
            for try await (replica, epoch, current, expires) in leaderRows.decode((String, Int64, Bool, Int64).self) {
                return ClusterView(
                    replicas: replicas, leader: current ? replica : nil, epoch: epoch,
                    leaseExpiresAt: current ? Timestamp(millisecondsSinceEpoch: expires) : nil)
            }
            return ClusterView(replicas: replicas, leader: nil, epoch: 0, leaseExpiresAt: nil)
        }
    }
}

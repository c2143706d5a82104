import CoalmineCore
import CoalmineJournal
import Logging
import Metrics
import ServiceLifecycle

/// Leadership among replicas sharing a PostgreSQL journal. Every replica runs this loop: every third of the lease
/// it renews its heartbeat and takes or keeps the lead. The leader alone runs `leaderWork` (the rollout clock,
/// the effects, drift and pruning), after reading the journal again; when it loses the lead, or cannot renew it
/// before it lapses, that work is cancelled and its commits are refused by the fence in the database.
public final class ReplicaLeadership: Service, Sendable {
    public let standing: ReplicaStanding
    let engine: RolloutEngine
    let lease: Duration
    let leaderWork: @Sendable () async -> Void
    let factory: any MetricsFactory
    let logger: Logger

    var replica: String { standing.replica }
    var journal: PostgresJournal { standing.journal }

    public init(
        standing: ReplicaStanding, engine: RolloutEngine, lease: Duration,
        metricsFactory: any MetricsFactory = MetricsSystem.factory, logger: Logger = Logger(label: "coalmine.leadership"),
        leaderWork: @escaping @Sendable () async -> Void
    ) {
        self.standing = standing
        self.engine = engine
        self.lease = lease
        self.factory = metricsFactory
        self.logger = logger
        self.leaderWork = leaderWork
        standing.journal.setFence(LeaderFence(replica: standing.replica, epoch: nil))
    }

    public func run() async throws {
        var work: Task<Void, Never>?
        var leadingEpoch: Int64?
        let gauge = Gauge(label: "coalmine_leader", dimensions: [("replica", replica)], factory: factory)
        gauge.record(0)
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let sent = ContinuousClock.now
            var outcome: LeaseOutcome?
            do {
                outcome = try await journal.claimLease(replica: replica, advertiseURL: standing.advertiseURL, lease: lease)
            } catch {
                logger.warning("cannot renew the leader lease", metadata: ["error": "\(error)"])
            }
            if let epoch = outcome?.epoch {
                let held = ReplicaStanding.Standing(
                    epoch: epoch, leader: replica, leaderURL: standing.advertiseURL, validUntil: sent + lease)
                journal.setFence(LeaderFence(replica: replica, epoch: epoch))
                if leadingEpoch == epoch {
                    standing.set(held)
                } else {
                    await stop(&work)
                    do {
                        // Requests are served here only once the engine knows what the last leader committed.
                        try await engine.resumeFromJournal()
                        standing.set(held)
                        leadingEpoch = epoch
                        logger.notice("leading", metadata: ["replica": "\(replica)", "epoch": "\(epoch)"])
                        // Unstructured so that it alone can be cancelled when the lead is lost; it inherits this
                        // task's graceful-shutdown signal as a child task would.
                        work = Task { await leaderWork() }
                        gauge.record(1)
                    } catch {
                        logger.error("cannot read the journal to take the lead; will try again", metadata: ["error": "\(error)"])
                    }
                }
            } else if outcome != nil || !standing.isWithinLease {
                // Another replica leads, or the lease lapsed while the database could not be reached.
                standing.set(.init(epoch: nil, leader: outcome?.leader, leaderURL: outcome?.leaderURL, validUntil: nil))
                journal.setFence(LeaderFence(replica: replica, epoch: nil))
                if leadingEpoch != nil {
                    logger.warning("no longer leading", metadata: ["replica": "\(replica)", "leader": "\(outcome?.leader ?? "none")"])
                    leadingEpoch = nil
                    gauge.record(0)
                }
                await stop(&work)
            }
            if outcome != nil { standing.markChecked() }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.lease / 3) }
        }
        await stop(&work)
        gauge.record(0)
        if let epoch = leadingEpoch {
            journal.setFence(LeaderFence(replica: replica, epoch: nil))
            // Handing over now instead of when the lease runs out; a failure only costs the wait.
            try? await journal.resign(replica: replica, epoch: epoch)
        }
    }

    private func stop(_ work: inout Task<Void, Never>?) async {
        guard let running = work else { return }
        running.cancel()
        await running.value
        work = nil
    }
}

import CoalmineEngine
import CoalmineJournal
import Hummingbird
import Prometheus

/// `/healthz` (the process answers), `/readyz` (the journal answers and takes commits), `/metrics` (Prometheus
/// text).
struct HealthRoutes {
    let engine: RolloutEngine
    let store: any JournalStore
    let registry: PrometheusCollectorRegistry
    /// With replicas: this one's standing.
    let replica: ReplicaStanding?

    func register(on router: Router<CoalmineRequestContext>) {
        router.get("/healthz") { _, _ in APIResponse.text("ok\n") }
        router.get("/readyz") { _, _ in
            // A journal that answers reads but refuses writes must not look ready: webhooks would get 503s.
            if let failure = engine.journalHealth.commitFailure {
                return APIResponse.error(.serviceUnavailable, "the journal cannot commit: \(failure)")
            }
            // A replica just started knows neither whether it leads nor where the leader is: it could only answer 503.
            // Later, a failover under way leaves it ready: it answers 503 with Retry-After until a leader is known.
            if let replica, !replica.hasCheckedLease {
                return APIResponse.error(.serviceUnavailable, "replica \(replica.replica) does not yet know which replica leads")
            }
            do {
                try await store.ping()
                return APIResponse.text("ready\n")
            } catch {
                return APIResponse.error(.serviceUnavailable, "the journal does not answer: \(error)")
            }
        }
        router.get("/metrics") { _, _ in
            // Rollout series come from the leader alone: a follower's engine holds the state as of when it last led
            // (or started), and two replicas must not report two different weights for one rollout.
            let rollouts = replica?.current.isLeader == false ? "" : RolloutGauges.render(engine.gaugeReadings())
            return APIResponse.text(
                registry.emitToString() + rollouts, contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }
}

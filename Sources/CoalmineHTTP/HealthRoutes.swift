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

    func register(on router: Router<CoalmineRequestContext>) {
        router.get("/healthz") { _, _ in APIResponse.text("ok\n") }
        router.get("/readyz") { _, _ in
            // A journal that answers reads but refuses writes must not look ready: webhooks would get 503s.
            if let failure = engine.journalHealth.commitFailure {
                return APIResponse.error(.serviceUnavailable, "the journal cannot commit: \(failure)")
            }
            do {
                try await store.ping()
                return APIResponse.text("ready\n")
            } catch {
                return APIResponse.error(.serviceUnavailable, "the journal does not answer: \(error)")
            }
        }
        router.get("/metrics") { _, _ in
            APIResponse.text(
                registry.emitToString() + RolloutGauges.render(engine.gaugeReadings()),
                contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }
}

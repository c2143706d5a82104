import CoalmineCore
import CoalmineEngine
import CoalmineJournal
import CoalmineTestSupport
import Logging
import Metrics

@testable import CoalmineEngine

/// An engine over a real SQLite journal in a temp folder, a manual clock, the dry-run router and a recording
/// notifier; `reopen()` plays a process restart on the same journal file.
struct EngineFixture {
    let workspace: TestWorkspace
    let config: CoalmineConfig
    let clock = ManualClock()
    let router = DryRunRouter(logger: Logger(label: "test.router"))
    let notifier = RecordingNotifier(name: "console")
    let journal: FaultyJournal
    var engine: RolloutEngine
    let links = ActionLinks(
        publicURL: "http://127.0.0.1:9095", signer: ActionSigner(currentKey: "test-signing-key", linkTTL: .seconds(12 * 3600)))

    init(rolloutExtra: String = "", notifiers: String? = nil) async throws {
        let workspace = try TestWorkspace()
        self.workspace = workspace
        config = try notifiers.map { try workspace.config(rolloutExtra: rolloutExtra, notifiers: $0) }
            ?? workspace.config(rolloutExtra: rolloutExtra)
        journal = FaultyJournal(try SQLiteJournal(path: workspace.journalPath))
        engine = try await RolloutEngine(config: config, store: journal, clock: clock.reading)
    }

    /// A new engine on the same journal file, as after a crash and restart; with `config`, as after a restart with
    /// a changed config.
    mutating func reopen(
        config changed: CoalmineConfig? = nil, metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) async throws {
        engine = try await RolloutEngine(
            config: changed ?? config, store: try SQLiteJournal(path: workspace.journalPath), clock: clock.reading,
            metricsFactory: metricsFactory)
    }

    var runner: EffectRunner { runner() }

    /// A runner on this engine's outbox; by default through the dry-run router and the recording notifier.
    func runner(router: (any TrafficRouter)? = nil, notifiers: [any Notifier]? = nil) -> EffectRunner {
        EffectRunner(
            engine: engine, router: router ?? self.router, notifiers: notifiers ?? [notifier], links: links,
            clock: clock.reading, logger: Logger(label: "test.effects"))
    }

    /// The hourly pruner of this engine's store, with the config's retentions and the manual clock.
    var pruner: StorePruner {
        StorePruner(engine: engine, store: journal, retention: config.store, clock: clock.reading)
    }

    /// Starts a delivery of `alert` and returns it once its unit is being written: with commits held, the write
    /// then waits until they are released.
    func deliveryBeingWritten(_ alert: AlertObservation) async -> Task<AlertIntake, any Error> {
        let engine = self.engine
        let delivery = Task { try await engine.receive([alert], source: "alertmanager") }
        while engine.commits.counts.beingWritten < 1 { await Task.yield() }
        return delivery
    }

    func view() async throws -> RolloutView {
        try await engine.view(of: "tf-model-service")
    }

    @discardableResult
    func command(_ action: HumanAction, actor: String = "alice") async throws -> RolloutView {
        try await engine.perform(HumanCommand(action, actor: actor), on: "tf-model-service")
    }
}

extension AlertObservation {
    static func tfAlert(
        _ name: String, role: AlertRole? = nil, status: Status = .firing, startsAt: String = "2027-01-15T08:00:00.5Z"
    ) -> AlertObservation {
        var labels = ["alertname": name, "service": "tf-model-service"]
        if let role { labels["coalmine_role"] = role.rawValue }
        return AlertObservation(status: status, fingerprint: "fp-\(name)", startsAt: startsAt, labels: labels)
    }

    var resolved: AlertObservation {
        var copy = self
        copy.status = .resolved
        return copy
    }
}

import CoalmineCore
import CoalmineEngine
import CoalmineJournal
import CoalmineTestSupport
import Foundation
import GRDB
import Testing

/// What Alertmanager really sends — large groups, storms, months of repeats — must cost storage in proportion to
/// what happened, and a restart must find everything exactly where it was.
@Suite struct BoundedStorageTests {
    static func gates(_ count: Int, episode: String = "2027-01-15T08:00:00Z") -> [AlertObservation] {
        (0..<count).map { .tfAlert("Gate\($0)", startsAt: episode) }
    }

    /// The entries one delivery of `count` new firing alerts adds to the journal.
    func journaled(byADeliveryOf count: Int) async throws -> [JournalEntry] {
        let fixture = try await EngineFixture()
        try await fixture.command(.start)
        let before = try await fixture.engine.history(of: "tf-model-service").count
        let intake = try await fixture.engine.receive(Self.gates(count), source: "alertmanager")
        #expect(intake.received == count && intake.matched == count && intake.transitions == 1)
        #expect(try await fixture.view().firingAlerts.count == count)
        return Array(try await fixture.engine.history(of: "tf-model-service").dropFirst(before))
    }

    @Test func aDeliveryWritesOneTransitionAndBytesInProportionToItsAlerts() async throws {
        var bytesPerAlert: [Int: Double] = [:]
        for count in [1, 100, 800] {
            let entries = try await journaled(byADeliveryOf: count)
            #expect(entries.filter { $0.kind == .alertReceived }.count == count)
            let transitions = entries.filter { $0.kind == .transition }
            #expect(transitions.count == 1, "one transition for the whole delivery of \(count)")
            #expect(transitions[0].body.utf8.count < 40_000, "a transition shows at most 50 alerts, however many fire")
            if count > 50 { #expect(transitions[0].body.contains("\"firingAlertsNotShown\":\(count - 50)")) }
            let bytes = entries.map(\.body.utf8.count).reduce(0, +)
            bytesPerAlert[count] = Double(bytes) / Double(count)
            if count == 800 { #expect(bytes <= 2_000_000, "800 alerts write \(bytes) bytes") }
        }
        let perAlert100 = try #require(bytesPerAlert[100])
        let perAlert800 = try #require(bytesPerAlert[800])
        #expect(perAlert800 <= perAlert100 * 1.2, "linear: \(perAlert100) bytes an alert at 100, \(perAlert800) at 800")
    }

    /// In a storm a paused rollout keeps getting new alerts that do not move it: each is journaled as received,
    /// but the rollout's state is not written again for every delivery, and a restart still finds every alert.
    @Test func deliveriesThatOnlyAddFiringAlertsWriteNoTransition() async throws {
        var fixture = try await EngineFixture()
        try await fixture.command(.start)
        _ = try await fixture.engine.receive(Array(Self.gates(30).prefix(10)), source: "alertmanager")
        #expect(try await fixture.view().state == .paused)
        let before = try await fixture.engine.history(of: "tf-model-service").count
        for batch in [10..<20, 20..<30] {
            let intake = try await fixture.engine.receive(Array(Self.gates(30)[batch]), source: "alertmanager")
            #expect(intake.transitions == 0)
        }
        let added = Array(try await fixture.engine.history(of: "tf-model-service").dropFirst(before))
        #expect(added.map(\.kind) == Array(repeating: .alertReceived, count: 20))
        #expect(try await fixture.view().firingAlerts.count == 30, "readers see the alerts once they are durable")
        try await fixture.reopen()
        let view = try await fixture.view()
        #expect(view.firingAlerts.map(\.fingerprint) == Self.gates(30).map(\.fingerprint), "all 30, in firing order")
        #expect(view.state == .paused)
    }

    @Test func fiveHundredAlertsResolvedInRandomOrderReleaseTheRolloutOnlyWithTheLast() async throws {
        var fixture = try await EngineFixture()
        try await fixture.command(.start)
        let firing = Self.gates(500)
        _ = try await fixture.engine.receive(firing, source: "alertmanager")
        #expect(try await fixture.view().state == .paused)
        var generator = SystemRandomNumberGenerator()
        let order = firing.shuffled(using: &generator)
        // Seven deliveries of resolutions; a restart in the middle must find the exact 500 − n still firing,
        // although no transition holds more than 50 of them.
        let batches = stride(from: 0, to: 500, by: 72).map { Array(order[$0..<min($0 + 72, 500)]) }
        for (index, batch) in batches.enumerated() {
            _ = try await fixture.engine.receive(batch.map(\.resolved), source: "alertmanager")
            if index == 3 { try await fixture.reopen() }
            let view = try await fixture.view()
            let resolvedSoFar = batches.prefix(index + 1).map(\.count).reduce(0, +)
            #expect(view.firingAlerts.count == 500 - resolvedSoFar)
            #expect(view.state == (resolvedSoFar == 500 ? .observing : .paused), "after \(resolvedSoFar) resolutions")
        }
    }

    @Test func deliveriesAreForgottenAfterTheirRetentionExceptAStillFiringAlerts() async throws {
        var fixture = try await EngineFixture()
        try await fixture.command(.start)
        let stillFiring = AlertObservation.tfAlert("CanaryGPUMemoryHigh")
        let over = AlertObservation.tfAlert("CanaryLatencyHigh")
        _ = try await fixture.engine.receive([stillFiring, over], source: "alertmanager")
        _ = try await fixture.engine.receive([over.resolved], source: "alertmanager")
        let pruner = fixture.pruner

        fixture.clock.advance(by: .seconds(6 * 24 * 3600))
        #expect(await pruner.pruneOnce().deliveries == 0, "younger than 7 days")
        fixture.clock.advance(by: .seconds(2 * 24 * 3600))
        // The store forgets the one delivery it wrote: the resolution, which also recognises a late firing of its
        // episode. Each firing was remembered by its firing alert (never written as a delivery), and the engine
        // remembers a still-firing alert's firing from the rollout's state, now and after a restart.
        #expect(await pruner.pruneOnce().deliveries == 1, "the resolution of the alert that resolved")

        for restarted in [false, true] {
            if restarted { try await fixture.reopen() }
            let entries = try await fixture.engine.history(of: "tf-model-service").count
            _ = try await fixture.engine.receive([stillFiring], source: "alertmanager")
            #expect(
                try await fixture.engine.history(of: "tf-model-service").count == entries,
                "a repeat of the still-firing alert is recognised\(restarted ? " after a restart" : "")")
        }
        // The price of forgetting, after 8 days: the same firing of the alert that resolved counts as new.
        let entries = try await fixture.engine.history(of: "tf-model-service").count
        _ = try await fixture.engine.receive([over], source: "alertmanager")
        #expect(try await fixture.engine.history(of: "tf-model-service").count > entries, "not loaded at the restart")
    }

    @Test func aFiringIsRecognisedAfterARestartHoweverItsAlertStoppedFiring() async throws {
        var fixture = try await EngineFixture()
        try await fixture.command(.start)
        let first = AlertObservation.tfAlert("CanaryLatencyHigh", startsAt: "2027-01-15T08:00:00Z")
        let second = AlertObservation.tfAlert("CanaryLatencyHigh", startsAt: "2027-01-15T09:00:00Z")
        let other = AlertObservation.tfAlert("CanaryGPUMemoryHigh")
        // A storm's new firings write no delivery rows: each is remembered by its firing alert.
        _ = try await fixture.engine.receive([first, other], source: "alertmanager")
        #expect(try await fixture.journal.deliveries(seenSince: Timestamp(secondsSinceEpoch: 0)).isEmpty)
        // A new episode of the same fingerprint ends the first one without a resolution; the other resolves.
        _ = try await fixture.engine.receive([second, other.resolved], source: "alertmanager")
        try await fixture.reopen()
        let entries = try await fixture.engine.history(of: "tf-model-service").count
        for late in [first, other] {
            let intake = try await fixture.engine.receive([late], source: "alertmanager")
            #expect(intake.transitions == 0, "a late \(late.startsAt) firing of \(late.name) changes nothing")
        }
        #expect(try await fixture.engine.history(of: "tf-model-service").count == entries, "nor journals anything")
        #expect(try await fixture.view().firingAlerts.map(\.startsAt) == [second.startsAt])
    }

    @Test func firingAlertsNameTheirEntryInsteadOfACopyAndComeBackWholeAfterARestart() async throws {
        var fixture = try await EngineFixture()
        try await fixture.command(.start)
        let described = AlertObservation(
            status: .firing, fingerprint: "fp-described", startsAt: "2027-01-15T08:00:00Z",
            labels: ["alertname": "CanaryErrorRatioHigh", "service": "tf-model-service", "coalmine_role": "breaker"],
            annotations: ["description": "5xx ratio 2.1% on v2", "value": "0.021"])
        let unnamed = AlertObservation(
            status: .firing, fingerprint: "fp-unnamed", startsAt: "2027-01-15T08:00:01Z", labels: ["service": "tf-model-service"],
            annotations: ["summary": "no alertname label"])
        _ = try await fixture.engine.receive([described, unnamed, .tfAlert("CanaryLatencyHigh")], source: "alertmanager")
        let rows = try DatabaseQueue(path: fixture.workspace.journalPath)
        let copies = "SELECT count(*) FROM firing_alert WHERE alert IS NOT NULL"
        #expect(try await rows.read { try Int.fetchOne($0, sql: copies) } == 0, "three references to their entries")
        let before = try await fixture.view().firingAlerts
        try await fixture.reopen()
        #expect(try await fixture.view().firingAlerts.map(\.alert) == before.map(\.alert), "role, summary, value, order")
        #expect(before.map(\.name) == ["CanaryErrorRatioHigh", "(unnamed alert)", "CanaryLatencyHigh"])
        #expect(before.first?.summary == "5xx ratio 2.1% on v2")

        // A human's resume acknowledges them: the changed alerts are kept as copies, which outlive a restart.
        try await fixture.command(.resume)
        #expect(try await rows.read { try Int.fetchOne($0, sql: copies) } == 3)
        try await fixture.reopen()
        #expect(try await fixture.view().firingAlerts.allSatisfy(\.acknowledged))
    }

    @Test func aRestartOnAHundredThousandEntriesFindsStatesDeadlinesAndEffectsAsTheyWere() async throws {
        var fixture = try await EngineFixture()
        try await fixture.command(.start)
        _ = try await fixture.engine.receive(Self.gates(120), source: "alertmanager")
        _ = try await fixture.engine.receive(Array(Self.gates(120).prefix(20)).map(\.resolved), source: "alertmanager")
        // Months of other rollouts' history after it.
        let filler = try SQLiteJournal(path: fixture.workspace.journalPath)
        for _ in 0..<20 {
            var unit = JournalUnit()
            unit.entries = (0..<5000).map { index in
                NewJournalEntry(rollout: "ranker-\(index % 7)", run: 1, kind: .alertReceived, body: #"{"status":"firing"}"#)
            }
            try await filler.commit([unit], at: fixture.clock.now())
        }
        let before = try await fixture.view()
        let pendingBefore = try await fixture.journal.pendingEffects()
        try await fixture.reopen()
        #expect(try await fixture.view() == before)
        #expect(try await fixture.view().firingAlerts.count == 100, "the exact set, not the 50 a transition shows")
        #expect(try await fixture.journal.pendingEffects() == pendingBefore)
        #expect(try await fixture.journal.verifyChain() == .intact(entries: 100_000 + (try await fixture.engine.history(of: "tf-model-service").count)))
    }
}

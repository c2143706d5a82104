import CoalmineCore
import CoalmineJournal
import Logging
import ServiceLifecycle

/// Runs the effects of the outbox: weight changes through the router and notices through the notifiers.
///
/// One long-lived task per lane (each rollout's router, each notifier) waits on its lane's queue, which the engine
/// fills after each commit. Lanes never wait on each other: a chat API that hangs, or backs off for ten minutes,
/// delays only its own lane, and a rollback reaches the router as soon as it is committed. Within a lane effects
/// run in order, one at a time. Whatever happens is settled through the engine, which journals it; an effect
/// interrupted by a crash is still pending and runs again, so every effect is idempotent.
public struct EffectRunner: Service {
    let engine: RolloutEngine
    let router: any TrafficRouter
    let notifiers: [String: any Notifier]
    let giveUpAfter: [String: Duration]
    let links: ActionLinks
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    /// Asked before each effect starts; nil when one process owns the journal.
    let gate: (any EffectGate)?

    public init(
        engine: RolloutEngine, router: any TrafficRouter, notifiers: [any Notifier], links: ActionLinks,
        clock: @escaping @Sendable () -> Timestamp = Timestamp.now, logger: Logger = Logger(label: "coalmine.effects"),
        gate: (any EffectGate)? = nil
    ) {
        self.gate = gate
        self.engine = engine
        self.router = router
        self.notifiers = Dictionary(uniqueKeysWithValues: notifiers.map { ($0.name, $0) })
        self.giveUpAfter = Dictionary(uniqueKeysWithValues: engine.config.notifiers.map { ($0.name, $0.giveUpAfter) })
        self.links = links
        self.clock = clock
        self.logger = logger
    }

    /// Runs effects until a graceful shutdown: a task for each lane while it has work, started when work arrives.
    public func run() async throws {
        let lanes = engine.effectLanes
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                for lane in lanes.activations.take() {
                    guard let queue = lanes[lane] else { continue }
                    // Weight changes are what stops a bad canary: in a storm their lanes run ahead of the busy work.
                    let priority: TaskPriority? = if case .router = lane { .high } else { nil }
                    group.addTask(priority: priority) { await drain(queue) }
                }
                await cancelWhenGracefulShutdown { await lanes.activations.arrivals.wait(upTo: nil) }
            }
        }
    }

    /// One pass over every lane, side by side: each runs its due effects in order and stops at the first that
    /// must wait. Returns when they have all settled. `run()` repeats this per lane as work arrives; tests call it
    /// to step through time with a manual clock.
    public func runDueEffects() async {
        await withDiscardingTaskGroup { group in
            for queue in engine.effectLanes.queues.values {
                group.addTask { _ = await runDue(queue) }
            }
        }
    }

    /// Runs a lane until nothing in it is due or waiting, then lets its task end.
    private func drain(_ queue: EffectLaneQueue) async {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let wakeAt = await runDue(queue)
            if wakeAt == nil, queue.finishIfIdle() { return }
            // Only the wait is cut short by a shutdown, never an effect or its settlement half way.
            await cancelWhenGracefulShutdown {
                await queue.waitForWork(upTo: wakeAt.map { max($0.since(clock()), .zero) })
            }
        }
    }

    /// Runs the lane's due effects in order. Returns when the next one falls due, or nil when none waits.
    private func runDue(_ queue: EffectLaneQueue) async -> Timestamp? {
        if let held = queue.held {
            // The journal refused these settlements: nothing runs again until it takes them.
            guard clock() >= held.retryAt else { return held.retryAt }
            guard await journal(held.settlements, in: queue, failures: held.failures) else { return queue.held?.retryAt }
        }
        var items = queue.items
        // Only the newest weight change of a rollout matters: older ones still queued would move traffic
        // somewhere the rollout has already left.
        if case .router = queue.lane, items.count > 1 {
            let stale = items.dropLast().map { EffectSettlement($0, .superseded, tried: false) }
            guard await journal(stale, in: queue) else { return queue.held?.retryAt }
            items = [items[items.count - 1]]
        }
        for item in items {
            guard item.nextAttemptAt <= clock() else { return item.nextAttemptAt }
            // A replica that no longer leads starts nothing; the new leader runs the effect.
            if let gate, await !gate.mayStart(item) { return clock() + .seconds(1) }
            let settlement = await execute(item)
            guard await journal([settlement], in: queue) else { return queue.held?.retryAt }
            if case .retrying(_, let at) = settlement.outcome { return at }
        }
        return nil
    }

    /// Tries `item` once and says what became of it.
    private func execute(_ item: OutboxItem) async -> EffectSettlement {
        guard let spec = engine.config.rollout(named: item.rollout) else {
            return EffectSettlement(item, .failed(error: "rollout \(item.rollout) is no longer configured"), tried: false)
        }
        switch item.effect {
        case .setWeights(let split):
            do {
                return EffectSettlement(item, .applied(try await router.apply(split, to: spec)), tried: true)
            } catch {
                logger.warning(
                    "router failed", metadata: ["rollout": "\(spec.name)", "run": "\(split.run)", "error": "\(error)"])
                // A weight change is never given up: a rollback that cannot be applied keeps being tried and
                // announced as stuck.
                return EffectSettlement(item, .retrying(error: "\(error)", at: retryTime(after: item.attempts)), tried: true)
            }
        case .notify(let notice):
            guard case .notifier(let name) = item.lane else {
                return EffectSettlement(item, .failed(error: "a notice cannot go through \(item.lane)"), tried: false)
            }
            guard let notifier = notifiers[name] else {
                return EffectSettlement(item, .failed(error: "notifier \(name) is not configured"), tried: false)
            }
            // Links are made at sending time, so a retried or re-sent message carries links that have not expired.
            let now = clock()
            let message = NoticeMessage(
                notice: notice, rollout: spec, links: links.links(for: notice, rollout: spec.name, notifier: name, at: now),
                statusURL: links.statusURL(of: spec.name), sentAt: now)
            do {
                try await notifier.deliver(message)
                return EffectSettlement(item, .delivered, tried: true)
            } catch let failure as DeliveryFailure where failure.isPermanent {
                return EffectSettlement(item, .failed(error: failure.description), tried: true)
            } catch {
                // Every notifier lane is one the config names, so its limit is known.
                if let limit = giveUpAfter[name], clock() >= item.createdAt + limit {
                    let reason = "not delivered within \(DurationText.format(limit)); last error: \(error)"
                    return EffectSettlement(item, .failed(error: reason), tried: true)
                }
                let asked = (error as? DeliveryFailure)?.retryAfter
                return EffectSettlement(
                    item, .retrying(error: "\(error)", at: retryTime(after: item.attempts, atLeast: asked)), tried: true)
            }
        }
    }

    /// Journals `settlements` through the engine. When the journal refuses them, the lane holds them and tries
    /// the journal again with backoff, without running the effects again: a notice delivered once is not
    /// delivered again just because its delivery could not be written down.
    private func journal(_ settlements: [EffectSettlement], in queue: EffectLaneQueue, failures: Int = 0) async -> Bool {
        guard !settlements.isEmpty else { return true }
        do {
            try await engine.settle(settlements)
            return true
        } catch {
            let retryAt = retryTime(after: failures, cap: .seconds(30))
            logger.error(
                "cannot journal effect results; holding them, nothing runs again until the journal takes them",
                metadata: ["lane": "\(queue.lane)", "retryAt": "\(retryAt.rfc3339)", "error": "\(error)"])
            queue.hold(.init(settlements: settlements, failures: failures + 1, retryAt: retryAt))
            return false
        }
    }

    /// Exponential backoff from 1 s, capped (5 minutes by default), with ±20 % jitter so retries do not march in
    /// step; never sooner than a provider asked (`atLeast`).
    func retryTime(after attempts: Int, atLeast asked: Duration? = nil, cap: Duration = .seconds(300)) -> Timestamp {
        let base = min(1000 * (1 << min(attempts, 9)), Int(cap.wholeMilliseconds))
        let jitter = Int.random(in: -(base / 5)...(base / 5))
        let backoff = Int64(base + jitter)
        return clock() + .milliseconds(max(backoff, asked?.wholeMilliseconds ?? 0))
    }
}

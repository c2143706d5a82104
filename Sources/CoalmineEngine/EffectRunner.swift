import CoalmineCore
import CoalmineJournal
import Foundation
import Logging
import ServiceLifecycle

/// Runs the effects in the outbox: weight changes through the router and notices through the notifiers.
///
/// Effects of one lane (one notifier, or one rollout's router) run in order, one at a time; lanes run side by
/// side, so a notifier that hangs delays nobody else. Whatever happens is settled through the engine, which
/// journals it. An effect interrupted by a crash is still pending and runs again: every effect is idempotent.
public struct EffectRunner: Service {
    let engine: RolloutEngine
    let store: any JournalStore
    let router: any TrafficRouter
    let notifiers: [String: any Notifier]
    let links: ActionLinks
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    /// How often the outbox is read even when nothing rang: retries fall due on their own.
    var scanInterval: Duration = .seconds(1)
    var pollInterval: Duration = .milliseconds(50)

    public init(
        engine: RolloutEngine, store: any JournalStore, router: any TrafficRouter, notifiers: [any Notifier],
        links: ActionLinks, clock: @escaping @Sendable () -> Timestamp = Timestamp.now,
        logger: Logger = Logger(label: "coalmine.effects")
    ) {
        self.engine = engine
        self.store = store
        self.router = router
        self.notifiers = Dictionary(uniqueKeysWithValues: notifiers.map { ($0.name, $0) })
        self.links = links
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        var nextScan = ContinuousClock.now
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            if engine.effectDoorbell.take() || ContinuousClock.now >= nextScan {
                nextScan = ContinuousClock.now + scanInterval
                await runDueEffects()
            }
            // Only the sleep is cancelled on shutdown, never an effect or commit half way.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pollInterval) }
        }
    }

    /// Runs every lane's due effects, in order within a lane. Returns when they have all settled.
    public func runDueEffects() async {
        let pending: [OutboxItem]
        do {
            pending = try await store.pendingEffects()
        } catch {
            logger.error("cannot read the outbox", metadata: ["error": "\(error)"])
            return
        }
        var lanes: [String: [OutboxItem]] = [:]
        var laneOrder: [String] = []
        for item in pending {
            if lanes[item.lane] == nil { laneOrder.append(item.lane) }
            lanes[item.lane, default: []].append(item)
        }
        let now = clock()
        await withTaskGroup(of: Void.self) { group in
            for lane in laneOrder {
                let items = lanes[lane]!
                group.addTask { await runLane(items, now: now) }
            }
        }
    }

    private func runLane(_ items: [OutboxItem], now: Timestamp) async {
        var items = items
        // Only the newest weight change of a rollout matters: older ones still queued would move traffic
        // somewhere the rollout has already left.
        if EffectLane.isRouter(items[0].lane), items.count > 1 {
            for stale in items.dropLast() { await settle(stale, as: .superseded) }
            items = [items[items.count - 1]]
        }
        // In order: an effect waiting for its retry holds back the ones behind it.
        for item in items {
            guard item.nextAttemptAt <= now, await run(item) else { return }
        }
    }

    /// Runs one effect and settles it. Returns false when it will be retried, so the lane stops there.
    private func run(_ item: OutboxItem) async -> Bool {
        let payload: OutboxEffect
        do {
            payload = try JSONDecoder().decode(OutboxEffect.self, from: Data(item.payload.utf8))
        } catch {
            return await settle(item, as: .failed(error: "unreadable effect: \(error)", kind: .notifier))
        }
        guard let spec = engine.config.rollout(named: item.rollout) else {
            return await settle(item, as: .failed(error: "rollout \(item.rollout) is no longer configured", kind: .router))
        }
        switch payload.effect {
        case .setWeights(let split):
            do {
                let readBack = try await router.apply(split, to: spec)
                return await settle(item, as: .applied(readBack))
            } catch {
                logger.warning(
                    "router failed", metadata: ["rollout": "\(spec.name)", "run": "\(split.run)", "error": "\(error)"])
                return await settle(item, as: .retry(error: "\(error)", at: retryTime(after: item.attempts), kind: .router))
            }
        case .notify(let notice):
            guard let name = payload.notifier, let notifier = notifiers[name] else {
                return await settle(
                    item, as: .failed(error: "notifier \(payload.notifier ?? "?") is not configured", kind: .notifier))
            }
            // Links are made at sending time, so a retried or re-sent message carries links that have not expired.
            let now = clock()
            let message = NoticeMessage(
                notice: notice, rollout: spec, links: links.links(for: notice, rollout: spec.name, notifier: name, at: now),
                statusURL: links.statusURL(of: spec.name), sentAt: now)
            do {
                try await notifier.deliver(message)
                return await settle(item, as: .delivered)
            } catch let failure as DeliveryFailure where failure.isPermanent {
                return await settle(item, as: .failed(error: failure.description, kind: .notifier))
            } catch {
                let asked = (error as? DeliveryFailure)?.retryAfter
                return await settle(
                    item, as: .retry(error: "\(error)", at: retryTime(after: item.attempts, atLeast: asked), kind: .notifier))
            }
        }
    }

    /// Journals the settlement. Returns whether the lane may go on to its next effect.
    @discardableResult
    private func settle(_ item: OutboxItem, as settlement: EffectSettlement) async -> Bool {
        do {
            try await engine.settle(item, as: settlement)
        } catch {
            // The effect stays pending and runs again: effects are idempotent.
            logger.error("cannot journal an effect's result", metadata: ["effect": "\(item.id)", "error": "\(error)"])
            return false
        }
        if case .retry = settlement { return false }
        return true
    }

    /// Exponential backoff from 1 s, capped at 5 minutes, with ±20 % jitter so retries do not march in step;
    /// never sooner than a provider asked (`atLeast`).
    func retryTime(after attempts: Int, atLeast asked: Duration? = nil) -> Timestamp {
        let base = min(1000 * (1 << min(attempts, 9)), 300_000)
        let jitter = Int.random(in: -(base / 5)...(base / 5))
        let backoff = Int64(base + jitter)
        return clock() + .milliseconds(max(backoff, asked?.wholeMilliseconds ?? 0))
    }
}

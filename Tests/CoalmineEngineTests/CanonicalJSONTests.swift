import CoalmineCore
import Foundation
import Testing

@testable import CoalmineEngine
@testable import CoalmineJournal

/// The journal writes its busiest bodies without `JSONEncoder`; they must be the very bytes `JSONEncoder` would
/// write (the chain hashes them, readers decode them). Values are drawn at random, with strings full of what JSON
/// must escape.
@Suite struct CanonicalJSONTests {
    struct Draw {
        var seed: UInt64

        mutating func next(_ bound: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(bound))
        }

        mutating func text() -> String {
            let pieces = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{08}", "\u{0C}", "\u{01}", "\u{1F}",
                "é", "日本", "😀", "\u{7F}", "<b>", "&", "'", "\u{2028}", "alertname", ""]
            return (0..<next(6)).map { _ in pieces[next(pieces.count)] }.joined()
        }

        mutating func maybe<Value>(_ make: (inout Draw) -> Value) -> Value? {
            next(3) == 0 ? nil : make(&self)
        }

        mutating func labels() -> [String: String] {
            Dictionary((0..<next(5)).map { _ in (text(), text()) }, uniquingKeysWith: { first, _ in first })
        }

        mutating func timestamp() -> Timestamp {
            Timestamp(millisecondsSinceEpoch: Int64(next(2_000_000_000)) * 1000 + Int64(next(1000)))
        }

        mutating func firingAlert() -> FiringAlert {
            var alert = FiringAlert(
                observation: AlertObservation(
                    status: .firing, fingerprint: text(), startsAt: text(), labels: ["alertname": text()],
                    annotations: next(2) == 0 ? [:] : ["summary": text(), "value": text()]),
                role: AlertRole.allCases[next(AlertRole.allCases.count)], receivedAt: timestamp())
            alert.acknowledged = next(2) == 0
            return alert
        }

        mutating func state() -> RolloutState {
            var state = RolloutState(since: timestamp())
            state.phase = RolloutPhase.allCases[next(RolloutPhase.allCases.count)]
            state.reason = maybe { $0.next(2) == 0 ? PhaseReason.allCases[$0.next(PhaseReason.allCases.count)] : nil } ?? nil
            state.run = next(5)
            state.step = next(6) - 1
            state.canaryWeight = next(101)
            state.nextStepAt = maybe { $0.timestamp() }
            state.nextReminderAt = maybe { $0.timestamp() }
            state.autoRollbackAt = maybe { $0.timestamp() }
            state.firingAlerts = FiringAlerts((0..<next(4)).map { _ in firingAlert() })
            state.canaryVersion = maybe { $0.text() }
            state.stableVersion = maybe { $0.text() }
            state.version = next(1000)
            state.rollbackFailures = next(3)
            state.headerRoute = maybe {
                HeaderMatch(header: $0.text(), kind: HeaderMatch.Kind.allCases[$0.next(2)], value: $0.text())
            }
            return state
        }

        mutating func headerMatch() -> HeaderMatch {
            HeaderMatch(header: text(), kind: HeaderMatch.Kind.allCases[next(2)], value: text())
        }

        mutating func split() -> WeightSplit {
            WeightSplit(run: next(5), canary: next(101), headerRoute: maybe { $0.headerMatch() })
        }

        mutating func effect() -> RolloutEffect {
            guard next(2) == 0 else { return .setWeights(split()) }
            return .notify(
                RolloutNotice(
                    kind: RolloutNotice.Kind.allCases[next(RolloutNotice.Kind.allCases.count)], run: next(5),
                    phase: RolloutPhase.allCases[next(RolloutPhase.allCases.count)],
                    reason: maybe { $0.next(2) == 0 ? PhaseReason.allCases[$0.next(PhaseReason.allCases.count)] : nil } ?? nil,
                    stateVersion: next(1000), canaryWeightBefore: next(101), canaryWeightAfter: next(101), actor: text(),
                    alert: maybe { $0.firingAlert() },
                    allowedActions: HumanAction.allCases.filter { _ in next(2) == 0 }, since: timestamp(),
                    autoRollbackAt: maybe { $0.timestamp() }, canaryVersion: maybe { $0.text() },
                    stableVersion: maybe { $0.text() }, detail: maybe { $0.text() }, headerRoute: maybe { $0.headerMatch() }))
        }

        mutating func lane() -> EffectLane {
            next(2) == 0 ? .router(rollout: text()) : .notifier(text())
        }

        mutating func outcome() -> EffectOutcome {
            switch next(5) {
            case 0: .applied(split())
            case 1: .delivered
            case 2: .superseded
            case 3: .retrying(error: text(), at: timestamp())
            default: .failed(error: text())
            }
        }
    }

    func encoderJSON(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func firingAlertsAndStatesAreWrittenAsJSONEncoderWritesThem() throws {
        var draw = Draw(seed: 1)
        for _ in 0..<150 {
            let alert = draw.firingAlert()
            #expect(alert.canonicalJSON == (try encoderJSON(alert)))
            let state = draw.state()
            #expect(state.canonicalJSON == (try encoderJSON(state)))
        }
    }

    @Test func alertReceivedAndTransitionBodiesAreWrittenAsJSONEncoderWritesThem() throws {
        var draw = Draw(seed: 2)
        for _ in 0..<150 {
            let received = AlertReceivedBody(
                source: draw.text(), status: draw.next(2) == 0 ? .firing : .resolved, alertname: draw.text(),
                role: AlertRole.allCases[draw.next(AlertRole.allCases.count)], fingerprint: draw.text(),
                startsAt: draw.text(), labels: draw.labels(), annotations: draw.labels(),
                labelsNotKept: draw.maybe { $0.next(100) })
            #expect(received.canonicalJSON == (try encoderJSON(received)))
            let transition = JournalBody.Transition(
                from: RolloutPhase.allCases[draw.next(RolloutPhase.allCases.count)], fromReason: draw.maybe { _ in .alert },
                to: RolloutPhase.allCases[draw.next(RolloutPhase.allCases.count)], toReason: draw.maybe { _ in .human },
                actor: draw.text(), canaryWeight: draw.next(101), stableWeight: draw.next(101), state: draw.state(),
                firingAlertsNotShown: draw.maybe { $0.next(10_000) })
            #expect(transition.canonicalJSON == (try encoderJSON(transition)))
        }
    }

    @Test func effectsAndTheirRequestAndResultBodiesAreWrittenAsJSONEncoderWritesThem() throws {
        var draw = Draw(seed: 4)
        var notices = 0
        for _ in 0..<300 {
            let effect = draw.effect()
            if case .notify = effect { notices += 1 }
            #expect(effect.canonicalJSON == (try encoderJSON(effect)))
            #expect(try JSONDecoder().decode(RolloutEffect.self, from: Data(effect.canonicalJSON.utf8)) == effect)
            let requested = EffectBodies.Requested(
                id: Int64(draw.next(1_000_000)),
                NewEffect(rollout: draw.text(), run: draw.next(5), lane: draw.lane(), effect: effect))
            #expect(requested.canonicalJSON == (try encoderJSON(requested)))
            let item = OutboxItem(
                id: Int64(draw.next(1_000_000)), rollout: draw.text(), run: draw.next(5), lane: draw.lane(), effect: effect,
                attempts: draw.next(4), createdAt: draw.timestamp(), nextAttemptAt: draw.timestamp(),
                lastError: draw.maybe { $0.text() })
            let result = EffectBodies.Result(EffectSettlement(item, draw.outcome(), tried: draw.next(2) == 0))
            #expect(result.canonicalJSON == (try encoderJSON(result)))
        }
        #expect(notices > 100)
    }

    @Test func aBodyWrittenDirectlyDecodesToTheSameValue() throws {
        var draw = Draw(seed: 3)
        for _ in 0..<100 {
            let state = draw.state()
            #expect(try JSONDecoder().decode(RolloutState.self, from: Data(state.canonicalJSON.utf8)) == state)
        }
    }
}

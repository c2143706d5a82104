import CoalmineCore
import CoalmineJournal
import Testing

@testable import CoalmineEngine

/// The order the writer takes queued units in: a rollback goes ahead of a storm on other rollouts, never ahead of
/// work on its own rollout, and batches stay short.
@Suite struct CommitQueueTests {
    /// A unit of `entries` alert entries for `rollout`; urgent ones stand for a rollback.
    private func waiting(_ rollout: String, entries: Int = 10, urgent: Bool = false) -> CommitQueue.Waiting {
        var unit = JournalUnit()
        unit.entries = (0..<entries).map { _ in
            NewJournalEntry(rollout: rollout, run: 1, kind: .alertReceived, body: "{}")
        }
        return CommitQueue.Waiting(unit: unit, states: [], ticket: CommitTicket(), isUrgent: urgent)
    }

    private func rollouts(_ batch: [CommitQueue.Waiting]?) -> [String] {
        (batch ?? []).map { $0.unit.entries[0].rollout }
    }

    @Test func aRollbackIsWrittenAloneAheadOfAStormOnOtherRollouts() {
        let queue = CommitQueue()
        #expect(queue.add(waiting("storm-1")), "the first unit starts the writer")
        #expect(!queue.add(waiting("storm-2")))
        #expect(!queue.add(waiting("storm-3")))
        #expect(!queue.add(waiting("tf-model-service", urgent: true)))

        #expect(rollouts(queue.nextBatch()) == ["tf-model-service"])
        #expect(rollouts(queue.nextBatch()) == ["storm-1", "storm-2", "storm-3"])
        #expect(queue.nextBatch() == nil)
        #expect(queue.add(waiting("storm-4")), "a stopped writer must be started again")
    }

    @Test func aRollbackNeverOvertakesWorkOnItsOwnRollout() {
        let queue = CommitQueue()
        _ = queue.add(waiting("storm-1"))
        _ = queue.add(waiting("tf-model-service"))
        _ = queue.add(waiting("storm-2"))
        _ = queue.add(waiting("tf-model-service", urgent: true))
        _ = queue.add(waiting("other-service", urgent: true))

        // The rollback of tf-model-service was computed on top of the alert before it: it waits its turn.
        #expect(rollouts(queue.nextBatch()) == ["other-service"])
        #expect(rollouts(queue.nextBatch()) == ["storm-1", "tf-model-service", "storm-2", "tf-model-service"])
    }

    @Test func aUnitTouchingSeveralRolloutsHoldsBackRollbacksOfAnyOfThem() {
        let queue = CommitQueue()
        var shared = waiting("storm-1")
        shared.unit.firingChanges = [.ends(rollout: "tf-model-service", JournalStoreTests.firing("f1"))]
        _ = queue.add(shared)
        _ = queue.add(waiting("tf-model-service", urgent: true))
        #expect(rollouts(queue.nextBatch()) == ["storm-1", "tf-model-service"])
    }

    @Test func batchesStayWithinTheirRowsAndAnOversizedUnitGoesAlone() {
        let queue = CommitQueue()
        let perUnit = CommitQueue.rowsPerBatch / 3
        for index in 1...7 { _ = queue.add(waiting("storm-\(index)", entries: perUnit)) }
        _ = queue.add(waiting("huge", entries: CommitQueue.rowsPerBatch * 2))
        _ = queue.add(waiting("after"))

        var sizes: [Int] = []
        var order: [String] = []
        while let batch = queue.nextBatch() {
            sizes.append(batch.count)
            order += rollouts(batch)
            #expect(batch.count == 1 || batch.reduce(0) { $0 + $1.unit.rowCount } <= CommitQueue.rowsPerBatch)
        }
        #expect(sizes == [3, 3, 1, 1, 1])
        #expect(order == (1...7).map { "storm-\($0)" } + ["huge", "after"], "nothing is reordered without a rollback")
    }

    @Test func aBacklogIsWrittenInEighthsNotInSmallBatches() {
        let queue = CommitQueue()
        for index in 1...1000 { _ = queue.add(waiting("rollout-\(index)", entries: 8)) }
        var sizes: [Int] = []
        while let batch = queue.nextBatch() { sizes.append(batch.count) }
        #expect(sizes.reduce(0, +) == 1000)
        #expect(sizes.first == 125, "an eighth of 8,000 rows")
        #expect(sizes.count < 20, "\(sizes)")
    }
}

import CoalmineCore
import Foundation
import GRDB

/// An effect waiting in the outbox: a row of the `outbox` table.
public struct OutboxItem: Sendable, Equatable {
    public var id: Int64
    public var rollout: String
    public var run: Int
    public var lane: EffectLane
    public var effect: RolloutEffect
    public var attempts: Int
    public var createdAt: Timestamp
    public var nextAttemptAt: Timestamp
    public var lastError: String?

    public init(
        id: Int64, rollout: String, run: Int, lane: EffectLane, effect: RolloutEffect, attempts: Int = 0,
        createdAt: Timestamp, nextAttemptAt: Timestamp, lastError: String? = nil
    ) {
        self.id = id
        self.rollout = rollout
        self.run = run
        self.lane = lane
        self.effect = effect
        self.attempts = attempts
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
    }
}

extension OutboxItem: FetchableRecord {
    public init(row: Row) throws {
        let kind: String = row["lane_kind"]
        let name: String = row["lane_name"]
        guard let lane = EffectLane(kind: kind, name: name) else {
            throw DatabaseError(message: "outbox row \(row["id"] as Int64) has an unknown lane kind '\(kind)'")
        }
        self.init(
            id: row["id"], rollout: row["rollout"], run: row["run"], lane: lane,
            effect: try JSONDecoder().decode(RolloutEffect.self, from: Data((row["payload"] as String).utf8)),
            attempts: row["attempts"], createdAt: Timestamp(millisecondsSinceEpoch: row["created_at"]),
            nextAttemptAt: Timestamp(millisecondsSinceEpoch: row["next_attempt_at"]), lastError: row["last_error"])
    }
}

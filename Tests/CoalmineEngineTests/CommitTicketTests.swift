import Testing

@testable import CoalmineEngine

@Suite struct CommitTicketTests {
    private struct WriteFailed: Error {}

    @Test func aWaiterHearsTheOutcomeWhetherItCameBeforeOrAfterIt() async throws {
        let early = CommitTicket()
        early.settle(.success(()))
        try await early.wait()

        let late = CommitTicket()
        async let waited: Void = late.wait()
        try await Task.sleep(for: .milliseconds(20))
        late.settle(.success(()))
        try await waited
    }

    @Test func aFailedWriteReachesItsWaiter() async {
        let ticket = CommitTicket()
        let waiter = Task { try await ticket.wait() }
        ticket.settle(.failure(WriteFailed()))
        await #expect(throws: WriteFailed.self) { try await waiter.value }
    }
}

import GRDB
import Synchronization

/// Copies the write-ahead log back into the database on a connection of its own, beside the writer, so that the
/// writer's own checkpoints (which restart the log, keeping it small) find most pages copied already and take a
/// moment instead of holding every waiting webhook for the copy of thousands of pages.
final class WALCopier: Sendable {
    private let connection: DatabaseQueue
    private let isCopying = Mutex(false)

    init(path: String) throws {
        connection = try DatabaseQueue(path: path)
    }

    /// Starts a copy unless one runs. A failed copy loses nothing: the log keeps the pages for the next.
    func copy() {
        guard isCopying.withLock({ copying in defer { copying = true }; return !copying }) else { return }
        Task {
            _ = try? await connection.writeWithoutTransaction { try $0.checkpoint(.passive) }
            isCopying.withLock { $0 = false }
        }
    }
}

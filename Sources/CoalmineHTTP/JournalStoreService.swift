import CoalmineJournal
import ServiceLifecycle

/// Closes the journal's connections when the application stops.
struct JournalStoreService: Service {
    let store: any JournalStore

    func run() async throws {
        try? await gracefulShutdown()
        await store.close()
    }
}

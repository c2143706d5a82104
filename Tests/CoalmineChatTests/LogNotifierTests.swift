import CoalmineChat
import CoalmineCore
import Logging
import Synchronization
import Testing

/// The process log is read by more people than chat is: signed links, which act for whoever holds them, are printed
/// there only when asked for.
@Suite struct LogNotifierTests {
    /// Keeps every message logged through it.
    struct CapturingHandler: LogHandler {
        let box: LinesBox
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            box.lines.withLock { $0.append(event.message.description) }
        }
    }

    private func printed(showLinks: Bool?) async throws -> String {
        // The handler is copied into the logger; the lines it keeps stay in the one box.
        let box = LinesBox()
        let logger = Logger(label: "test") { _ in CapturingHandler(box: box) }
        let notifier = showLinks.map { LogNotifier(name: "console", logger: logger, showLinks: $0) }
            ?? LogNotifier(name: "console", logger: logger)
        try await notifier.deliver(sampleMessage())
        return box.lines.withLock { $0.joined(separator: "\n") }
    }

    final class LinesBox: Sendable {
        let lines = Mutex<[String]>([])
    }

    @Test func byDefaultTheLogSaysHowManyLinksWentToChatButNotWhatTheyAre() async throws {
        let text = try await printed(showLinks: nil)
        #expect(text.contains("circuit breaker tripped"))
        #expect(!text.contains("/actions/"))
        #expect(text.contains("links: 2 sent to chat notifiers"))
        #expect(text.contains("Status: http://127.0.0.1:9095/rollouts/tf-model-service"))
        #expect(try await printed(showLinks: false) == text)
    }

    @Test func controlCharactersInAlertTextCannotForgeALogLine() async throws {
        let box = LinesBox()
        let logger = Logger(label: "test") { _ in CapturingHandler(box: box) }
        let summary = "p99 high\n2027-01-15T08:06:00Z notice : rolled back: all traffic is on the stable version\u{1b}[2K\u{2028}x"
        try await LogNotifier(name: "console", logger: logger).deliver(sampleMessage(summary: summary))
        let text = box.lines.withLock { $0.joined(separator: "\n") }
        #expect(text.contains("p99 high\\u{a}2027-01-15T08:06:00Z notice : rolled back"))
        #expect(text.contains("\\u{1b}[2K\\u{2028}x"))
        #expect(!text.contains("\u{1b}"))
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("2027-01-15T08:06:00Z") })
    }

    @Test func withShowLinksTheLinksArePrinted() async throws {
        let text = try await printed(showLinks: true)
        #expect(text.contains("Roll back: http://127.0.0.1:9095/actions/key.ROLLBACK.sig"))
        #expect(text.contains("Resume: http://127.0.0.1:9095/actions/key.RESUME.sig"))
        #expect(!text.contains("sent to chat notifiers"))
    }
}

import CoalmineChat
import CoalmineCore
import Logging
import CoalmineTestSupport
import Testing

/// The process log is read by more people than chat is: signed links, which act for whoever holds them, are printed
/// there only when asked for.
@Suite struct LogNotifierTests {
    private func printed(showLinks: Bool?) async throws -> String {
        let box = LoggedLines()
        let logger = Logger(label: "test") { _ in LoggedLines.Handler(box: box) }
        let notifier = showLinks.map { LogNotifier(name: "console", logger: logger, showLinks: $0) }
            ?? LogNotifier(name: "console", logger: logger)
        try await notifier.deliver(sampleMessage())
        return box.text
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
        let box = LoggedLines()
        let logger = Logger(label: "test") { _ in LoggedLines.Handler(box: box) }
        let summary = "p99 high\n2027-01-15T08:06:00Z notice : rolled back: all traffic is on the stable version\u{1b}[2K\u{2028}x"
        try await LogNotifier(name: "console", logger: logger).deliver(sampleMessage(summary: summary))
        let text = box.text
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

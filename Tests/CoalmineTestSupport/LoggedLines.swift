import Logging
import Synchronization

/// Every message logged through loggers made with `Handler(box:)`, in order: for tests of what reaches the log.
public final class LoggedLines: Sendable {
    public let lines = Mutex<[String]>([])

    public init() {}

    public var text: String { lines.withLock { $0.joined(separator: "\n") } }

    /// Copied into each logger; the lines stay in the one box.
    public struct Handler: LogHandler {
        let box: LoggedLines
        public var metadata: Logger.Metadata = [:]
        public var logLevel: Logger.Level = .trace

        public init(box: LoggedLines) {
            self.box = box
        }

        public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        public func log(event: LogEvent) {
            box.lines.withLock { $0.append(event.message.description) }
        }
    }
}

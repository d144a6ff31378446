import Logging
import Synchronization

/// Keeps what a component logs, to check that a refusal was recorded and said why (level, message, metadata).
package final class LogRecorder: Sendable {
    package struct Entry: Sendable {
        package var level: Logger.Level
        package var message: String
        package var metadata: [String: String]
        /// The message and its metadata as one line, to search.
        package var line: String { ([message] + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " ") }
    }

    private let entries = Mutex<[Entry]>([])
    package init() {}

    package var logged: [Entry] { entries.withLock { $0 } }
    package var logger: Logger { Logger(label: "test") { _ in Handler(recorder: self) } }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            let all = metadata.merging(explicit ?? [:]) { $1 }.mapValues { "\($0)" }
            recorder.entries.withLock { $0.append(Entry(level: level, message: "\(message)", metadata: all)) }
        }
    }
}

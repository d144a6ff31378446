import Foundation
import Postgres
import Store
import Synchronization

/// Tells this replica when any replica queued outbox messages: a `LISTEN soc2bot_outbox` session of its own (every
/// enqueue notifies that channel, delivered when its transaction commits), waited on by a thread of its own — libpq's
/// wait is a blocking `poll(2)`, which must not hold one of the few threads of Swift's concurrency pool — and handed
/// to Swift concurrency through the stream's continuation, the only thing the thread and the consumer share.
package struct PostgresOutboxChanges: StoreChanges {
    /// The channel every enqueue notifies.
    package static let channel = "soc2bot_outbox"

    let url: String
    let settings: [String: String]
    /// How long the thread waits in one `poll(2)` before it looks whether the stream was dropped: the longest a
    /// dropped stream keeps its session open.
    let checkEvery: Duration

    package init(url: String, settings: [String: String], checkEvery: Duration = .seconds(1)) {
        self.url = url; self.settings = settings; self.checkEvery = checkEvery
    }

    package func outboxChanges() -> AsyncThrowingStream<StoreChange, any Error> {
        let (stream, continuation) = AsyncThrowingStream<StoreChange, any Error>.makeStream(bufferingPolicy: .bufferingNewest(8))
        let stop = StopFlag()
        continuation.onTermination = { _ in stop.set() }
        let (url, settings, checkEvery) = (self.url, self.settings, self.checkEvery)
        let thread = Thread {
            do {
                let listener = try PostgresListener(url: url, settings: settings)
                try listener.listen(Self.channel)
                continuation.yield(.listening)
                while !stop.isSet {
                    guard try listener.next(timeout: checkEvery) != nil else { continue }
                    while try listener.next(timeout: .zero) != nil {}     // one wake-up for a burst
                    continuation.yield(.outbox)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.name = "soc2bot-outbox-listener"
        thread.stackSize = 1 << 20
        thread.start()
        return stream
    }
}

/// Set once, by the stream's end; read by the listening thread between its waits.
private final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .releasing) }
    var isSet: Bool { flag.load(ordering: .acquiring) }
}

/// Described by the server's address with any password replaced by `***` and without the connection settings: the
/// service group logs its services' descriptions (at debug level), and a password must never reach a log.
extension PostgresOutboxChanges: CustomStringConvertible, CustomDebugStringConvertible {
    package var description: String { "PostgresOutboxChanges(\(PostgresURL.redacted(url)))" }
    package var debugDescription: String { description }
}

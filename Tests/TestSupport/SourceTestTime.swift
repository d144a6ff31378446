import Foundation
import Synchronization

/// A clock a source test moves by hand (starts 2026-03-02T08:00:00Z).
package final class SourceClock: Sendable {
    private let date = Mutex(Date(timeIntervalSince1970: 1_772_438_400))
    package init() {}
    package var now: @Sendable () -> Date { { self.date.withLock { $0 } } }
    package func advance(_ seconds: TimeInterval) { date.withLock { $0 += seconds } }
}

/// Records the waits a source asks for (throttling, Retry-After) instead of sleeping.
package final class SourceWaits: Sendable {
    private let waits = Mutex<[TimeInterval]>([])
    package init() {}
    package var recorded: [TimeInterval] { waits.withLock { $0 } }
    package var sleep: @Sendable (TimeInterval) async throws -> Void { { seconds in self.waits.withLock { $0.append(seconds) } } }
}

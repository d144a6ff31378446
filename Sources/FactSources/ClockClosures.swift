import Core
import Foundation

extension BotClock {
    /// This clock's `now()` as the closure the API clients take.
    var nowFunction: @Sendable () -> Date { { self.now() } }
    /// This clock's `sleep(for:)` (seconds) as the closure the API clients take.
    var sleepFunction: @Sendable (TimeInterval) async throws -> Void { { try await self.sleep(for: $0) } }
}

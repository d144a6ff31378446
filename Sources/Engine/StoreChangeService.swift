import Core
import Foundation
import Logging
import ServiceLifecycle
import Store
import Synchronization

/// Rings this replica's doorbell (`outbox`) when any replica sharing the database queued messages
/// (`StoreChanges.outboxChanges`, PostgreSQL's `NOTIFY soc2bot_outbox`), so its dispatchers deliver them at once; they
/// still poll every `idlePoll` as a safety net. It rings once more each time it starts listening, since what was
/// queued while it was not is told to nobody. A lost listening session is reopened after a capped backoff (1 s
/// doubling to 60 s, no jitter: one session per replica). Only built for a database other processes write to.
package struct StoreChangeService: Service {
    package let changes: any StoreChanges
    package let doorbell: Doorbell
    package let clock: any BotClock
    package let logger: Logger
    /// Called with each event after the doorbell rang for it (tests wait on it).
    package let observe: @Sendable (StoreChange) -> Void

    package init(changes: any StoreChanges, doorbell: Doorbell, clock: any BotClock, logger: Logger,
                 observe: @escaping @Sendable (StoreChange) -> Void = { _ in }) {
        self.changes = changes; self.doorbell = doorbell; self.clock = clock; self.logger = logger; self.observe = observe
    }

    package func run() async throws {
        let failures = Mutex(0)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown {
                    for try await change in changes.outboxChanges() {
                        if change == .listening { failures.withLock { $0 = 0 } }
                        doorbell.ring(.outbox)
                        observe(change)
                    }
                }
                return
            } catch is CancellationError {
                return
            } catch {
                let wait = Backoff.delay(attempt: failures.withLock { $0 += 1; return $0 }, base: 1, cap: 60)
                logger.warning("outbox notifications lost; listening again", metadata: ["error": "\(error)", "retry.seconds": "\(wait)"])
                do { try await cancelWhenGracefulShutdown { try await clock.sleep(for: wait) } } catch { return }
            }
        }
    }
}

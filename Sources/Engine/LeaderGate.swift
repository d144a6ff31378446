import Core
import Foundation
import Logging
import ServiceLifecycle
import Store
import Synchronization

/// This replica's side of the leadership (`Leadership`): whether it leads now and under which epoch, what the
/// leader-only services wait on, and what they call when a fenced write found the epoch stale. `attempt()` is one try
/// (what `LeadershipService` does every `retryInterval`); a change rings every bell the gate gave out, so a waiting
/// follower wakes as soon as it wins.
package final class LeaderGate: Sendable {
    package let leadership: any Leadership
    let logger: Logger
    private struct State {
        var epoch: Int64?
        var bells: [Bell] = []
    }
    private let state = Mutex(State())

    package init(leadership: any Leadership, logger: Logger) {
        self.leadership = leadership
        self.logger = logger
    }

    /// The epoch this replica leads under now, as last learnt (nil: a follower).
    package var epoch: Int64? { state.withLock { $0.epoch } }

    /// A bell rung whenever this replica starts or stops leading.
    package func bell() -> Bell {
        let bell = Bell()
        state.withLock { $0.bells.append(bell) }
        return bell
    }

    /// Tries to lead, or checks that it still does: the epoch it leads under, or nil. A database it cannot reach makes
    /// it a follower (said at warning level); the next attempt tries again.
    @discardableResult
    package func attempt() -> Int64? {
        let now: Int64?
        do { now = try leadership.acquire() } catch {
            logger.warning("could not reach the database to lead; following until it answers", metadata: ["error": "\(error)"])
            now = nil
        }
        set(now)
        return now
    }

    /// A fenced write found `epoch` stale (`NotLeaderError`): this replica stops leading, releases its lock, and
    /// follows until it wins again.
    package func lost(_ epoch: Int64, because error: NotLeaderError, in service: String) {
        logger.notice("no longer the leader: a write that must happen once was refused and rolled back; following", metadata: [
            "service": "\(service)", "leader.epoch": "\(epoch)", "leader.current": "\(error.current.map(String.init) ?? "none")",
        ])
        guard state.withLock({ $0.epoch == epoch }) else { return }
        leadership.resign()
        set(nil)
    }

    /// Gives leadership up on shutdown, so another replica takes over without waiting for this session to end.
    package func resign() {
        leadership.resign()
        set(nil)
    }

    /// Waits until this replica leads and returns its epoch; nil when the task is cancelled first.
    package func waitToLead(on bell: Bell) async -> Int64? {
        while !Task.isCancelled {
            if let epoch { return epoch }
            await bell.wait()
        }
        return nil
    }

    private func set(_ epoch: Int64?) {
        let (was, bells) = state.withLock { s -> (Int64?, [Bell]) in
            defer { s.epoch = epoch }
            return (s.epoch, s.bells)
        }
        guard was != epoch else { return }
        if let epoch {
            logger.notice("leading: this replica runs the scheduler, escalator, reminders, digest and ledger anchors",
                          metadata: ["leader.epoch": "\(epoch)"])
        } else if let was {
            logger.notice("no longer leading; another replica may take over", metadata: ["leader.epoch": "\(was)"])
        }
        for bell in bells { bell.ring() }
    }
}

/// Keeps this replica's leadership current: tries to lead every `retryInterval` seconds while following, and checks
/// that it still leads as often while leading (a lost lock session makes it a follower at once). Only replicas on a
/// shared database have one (`Leadership.isSole` is false); it resigns on graceful shutdown.
package struct LeadershipService: Service {
    package let gate: LeaderGate
    package let clock: any BotClock

    package init(gate: LeaderGate, clock: any BotClock) { self.gate = gate; self.clock = clock }

    package func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            gate.attempt()
            let deadline = clock.now().addingTimeInterval(gate.leadership.retryInterval)
            do { try await cancelWhenGracefulShutdown { try await clock.sleep(until: deadline) } }
            catch is CancellationError { break }
        }
        gate.resign()
    }
}

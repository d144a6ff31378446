import Core
import Foundation
import Synchronization

/// The tests' clock: time moves only when the test says. `sleep(until:)` records the wait it was asked for, then
/// (by default) suspends until `advance` moves the time to its deadline or the sleeping task is cancelled — so a
/// test steps through a retry instead of sleeping for real.
package final class TestClock: BotClock {
    /// What a sleep does once its wait is recorded.
    package enum Sleeping: Sendable {
        /// Suspends until `advance` reaches the deadline.
        case untilAdvanced
        /// A wait of at most `limit` passes at once and moves the time to its deadline (as `VirtualClock` does);
        /// a longer one (a timeout the test means to trigger, or never) suspends until advanced.
        case jumps(upTo: TimeInterval)
        /// Returns at once and the time stays: the test reads only the waits asked for.
        case returnsAtOnce
    }

    /// 2026-03-02T08:00:00Z, where most tests start.
    package static let start = Date(timeIntervalSince1970: 1_772_438_400)

    private struct Sleeper {
        let deadline: Date
        let continuation: CheckedContinuation<Void, any Error>
    }
    private struct State {
        var now: Date
        var waits: [TimeInterval] = []
        var sleepers: [UUID: Sleeper] = [:]
        var watchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

        /// The sleepers whose deadline has come, removed.
        mutating func due() -> [CheckedContinuation<Void, any Error>] {
            let due = sleepers.filter { $0.value.deadline <= now }
            for id in due.keys { sleepers.removeValue(forKey: id) }
            return due.values.map(\.continuation)
        }

        /// The watchers now satisfied, removed.
        mutating func satisfiedWatchers() -> [CheckedContinuation<Void, Never>] {
            let count = sleepers.count
            let ready = watchers.filter { $0.count <= count }.map(\.continuation)
            watchers.removeAll { $0.count <= count }
            return ready
        }
    }

    private let state: Mutex<State>
    package let sleeping: Sleeping

    package init(start: Date = TestClock.start, sleeping: Sleeping = .untilAdvanced) {
        state = Mutex(State(now: start)); self.sleeping = sleeping
    }

    package func now() -> Date { state.withLock { $0.now } }

    /// `now()` as a closure, for the fakes that take one.
    package var nowClosure: @Sendable () -> Date { { self.now() } }

    /// Every wait asked for, in seconds from the time it was asked, in order.
    package var waits: [TimeInterval] { state.withLock { $0.waits } }

    /// How many tasks are sleeping now.
    package var sleepingCount: Int { state.withLock { $0.sleepers.count } }

    package func advance(by seconds: TimeInterval) {
        advance(to: now().addingTimeInterval(seconds))
    }

    /// Moves the time to `date` (never back) and wakes the sleepers whose deadline has come.
    package func advance(to date: Date) {
        let woken = state.withLock { s in
            s.now = max(s.now, date)
            return s.due()
        }
        for continuation in woken { continuation.resume() }
    }

    package func sleep(until deadline: Date) async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (result, woken, watchers): (Result<Void, any Error>?, [CheckedContinuation<Void, any Error>], [CheckedContinuation<Void, Never>])
                    = state.withLock { s in
                    let wait = deadline.timeIntervalSince(s.now)
                    s.waits.append(wait)
                    if Task.isCancelled { return (.failure(CancellationError()), [], []) }
                    switch sleeping {
                    case .returnsAtOnce: return (.success(()), [], [])
                    case .jumps(let limit) where wait <= limit:
                        s.now = max(s.now, deadline)
                        return (.success(()), s.due(), [])
                    case .jumps, .untilAdvanced:
                        if wait <= 0 { return (.success(()), [], []) }
                        s.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                        return (nil, [], s.satisfiedWatchers())
                    }
                }
                for sleeper in woken { sleeper.resume() }
                for watcher in watchers { watcher.resume() }
                if let result { continuation.resume(with: result) }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
        // A wait that passed at once still lets other tasks run, as a real one would: a retry loop on this clock
        // must not hold a thread of the cooperative pool.
        await Task.yield()
    }

    /// Returns once at least `count` tasks are sleeping on this clock (an event, not a poll): the point where a test
    /// advances the time.
    package func sleepers(_ count: Int = 1) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s in
                if s.sleepers.count >= count { return true }
                s.watchers.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

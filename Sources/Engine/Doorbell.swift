import Synchronization

/// What changed in the store that a service may be waiting for. A service listens for the events that can make its
/// work due earlier than it planned; whoever makes the change rings them.
package struct BotEvents: OptionSet, Sendable, Hashable {
    package let rawValue: Int
    package init(rawValue: Int) { self.rawValue = rawValue }
    /// Messages were queued in the outbox (or became due): the dispatchers deliver them.
    package static let outbox = BotEvents(rawValue: 1 << 0)
    /// An alert changed in a way that sets or moves its timers (opened, acknowledged, snoozed): the escalator.
    package static let timers = BotEvents(rawValue: 1 << 1)
    /// A control run was asked for (a webhook, a certification from chat): the scheduler.
    package static let runs = BotEvents(rawValue: 1 << 2)
    /// Anything: what an inbound chat action rings, since it can queue messages, move timers and request runs.
    package static let all: BotEvents = [.outbox, .timers, .runs]
}

/// Wakes the bot's services early: an action taken from chat queues messages in the outbox, and the dispatchers
/// should deliver them now rather than at their next timer; a webhook asks the scheduler for a run. Each service
/// waits on its own `Bell`, subscribed to the events it cares for; a ring reaches every bell subscribed to one of
/// its events. A ring while a bell's owner is not waiting is remembered (once), so a ring between two waits is
/// never lost.
package final class Doorbell: Sendable {
    private let bells = Mutex<[(events: BotEvents, bell: Bell)]>([])
    /// The bell `wait()` waits on: every event (a single listener's use, such as a benchmark's delivery loop).
    private let anyEvent = Bell()

    package init() { bells.withLock { $0.append((.all, anyEvent)) } }

    /// Rings every bell subscribed to one of `events` (all of them by default).
    package func ring(_ events: BotEvents = .all) {
        for (subscribed, bell) in bells.withLock({ $0 }) where !subscribed.isDisjoint(with: events) { bell.ring() }
    }

    /// A new bell that rings on `events`; rings before this call are not on it.
    package func bell(for events: BotEvents) -> Bell {
        let bell = Bell()
        bells.withLock { $0.append((events, bell)) }
        return bell
    }

    /// Returns at the next ring of any event (at once if one came since the last wait), or when the task is
    /// cancelled. One waiter at a time: a second concurrent waiter would replace the first (use `bell(for:)`).
    package func wait() async { await anyEvent.wait() }
}

/// One listener's side of the doorbell: rung, remembered until waited for, waited on by one task at a time.
package final class Bell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    package init() {}

    package func ring() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let waiter = s.waiter else { s.rung = true; return nil }
            s.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// True when it was rung since the last wait or take (and forgets that ring); never waits.
    package func take() -> Bool {
        state.withLock { s in defer { s.rung = false }; return s.rung }
    }

    /// Returns at the next ring (at once if one came since the last wait), or when the task is cancelled.
    package func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.rung || Task.isCancelled { s.rung = false; return true }
                    s.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume()
        }
    }
}

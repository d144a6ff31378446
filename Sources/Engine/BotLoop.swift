import Core
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Something the bot does at moments in time: running due controls, firing alert timers, a scenario's events.
package protocol TimedWork: Sendable {
    /// The earliest moment this work is due, or nil when nothing is pending.
    func nextDue() async throws -> Date?
    /// Does everything due at `now`.
    func run(at now: Date) async throws
}

/// The bot's one clock-driven loop: sleeps until the earliest due work, does it (in the listed order when several
/// are due at once), then drains the outbox. Returns on graceful shutdown, or when `until` is reached.
package struct BotLoop: Service {
    package let works: [any TimedWork]
    package let dispatcher: Dispatcher
    package let clock: any BotClock
    package let logger: Logger
    /// Stop once the clock passes this moment (the demo's `--until`); nil runs until shutdown.
    package let until: Date?
    /// Longest sleep between checks for new outbox messages (commands typed meanwhile).
    package let idlePoll: TimeInterval
    /// Called after each step (the demo persists its clock here).
    package let afterStep: @Sendable (Date) async throws -> Void
    /// Rung by inbound chat actions so their messages go out now, not at the next timer.
    package let doorbell: Doorbell
    /// Delivers what a ring asks for while the step's works run, instead of after them: in production a step may
    /// spend minutes reading slow sources, and a clicked Ack should edit the alert message at once. (The demo keeps
    /// it off, so its transcript stays in one order.)
    package let deliverDuringWork: Bool

    package init(works: [any TimedWork], dispatcher: Dispatcher, clock: any BotClock, logger: Logger, until: Date? = nil,
                 idlePoll: TimeInterval = 60, doorbell: Doorbell = Doorbell(), deliverDuringWork: Bool = false,
                 afterStep: @escaping @Sendable (Date) async throws -> Void = { _ in }) {
        self.works = works; self.dispatcher = dispatcher; self.clock = clock; self.logger = logger
        self.until = until; self.idlePoll = idlePoll; self.doorbell = doorbell; self.deliverDuringWork = deliverDuringWork
        self.afterStep = afterStep
    }

    package func run() async throws {
        // Said here, inside the service group, so it is only said once signals are handled gracefully.
        logger.notice("soc2bot running", metadata: ["works": "\(works.count)"])
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try await step()
            let now = clock.now()
            if let until, now >= until { return }
            var wake = now.addingTimeInterval(idlePoll)
            for work in works { if let due = try await work.nextDue() { wake = min(wake, due) } }
            if let retry = try await dispatcher.nextAttempt() { wake = min(wake, max(retry, now)) }
            if let until { wake = min(wake, until) }
            if wake > now {
                let deadline = wake
                do { try await cancelWhenGracefulShutdown { try await sleep(until: deadline) } }
                catch is CancellationError { return }
            }
        }
    }

    /// Sleeps until `deadline` or the doorbell, whichever comes first.
    private func sleep(until deadline: Date) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await clock.sleep(until: deadline) }
            group.addTask { await doorbell.wait() }
            defer { group.cancelAll() }
            _ = try await group.next()
        }
    }

    /// Does all work due now, then delivers what it queued.
    package func step() async throws {
        let now = clock.now()
        if deliverDuringWork {
            let worksDone = DoneFlag()
            try await withThrowingTaskGroup(of: Void.self) { group in
                // The loop's doorbell waiter while the works run (the loop itself waits on it only when asleep). It is
                // stopped by a flag and a ring, never cancelled: cancelling a delivery in flight would fail it (and a
                // Slack post Slack already had would be posted again on the retry).
                group.addTask { [doorbell, dispatcher] in
                    while true {
                        await doorbell.wait()
                        if worksDone.isSet || Task.isCancelled { return }
                        try await dispatcher.drain()
                    }
                }
                var failure: (any Error)?
                do {
                    for work in works {
                        if let due = try await work.nextDue(), due <= now { try await work.run(at: now) }
                    }
                } catch {
                    failure = error
                }
                worksDone.set()
                doorbell.ring()
                try await group.waitForAll()
                if let failure { throw failure }
            }
        } else {
            for work in works {
                if let due = try await work.nextDue(), due <= now { try await work.run(at: now) }
            }
        }
        try await dispatcher.drain()
        try await afterStep(now)
    }
}

/// Set once, read from another task: the step's works are done.
private final class DoneFlag: Sendable {
    private let done = Mutex(false)
    var isSet: Bool { done.withLock { $0 } }
    func set() { done.withLock { $0 = true } }
}

/// Runs due controls.
package struct SchedulerWork: TimedWork {
    package let scheduler: ControlScheduler
    package init(scheduler: ControlScheduler) { self.scheduler = scheduler }
    package func nextDue() async throws -> Date? { try scheduler.nextDue() }
    package func run(at now: Date) async throws { try await scheduler.runDue(at: now) }
}

/// Fires alert timers: acknowledgement timeouts, SLA breaches, snooze and risk-acceptance expiries.
package struct EscalatorWork: TimedWork {
    package let engine: AlertEngine
    package init(engine: AlertEngine) { self.engine = engine }
    package func nextDue() async throws -> Date? { try engine.nextTimer() }
    package func run(at now: Date) async throws { try engine.fireTimers(at: now) }
}

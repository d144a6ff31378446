import Foundation
import Synchronization

/// The only way the bot learns the time or waits. The composition root makes one — `SystemClock` for `run` and the
/// CLI commands, an accelerated or virtual clock for the demo — and passes it to everything that reads the time or
/// waits: the engine, the sources and their retries and rate limits, the chat surfaces, Socket Mode, Matrix sync, the
/// dashboard and the reports. Tests pass `TestClock` (TestSupport), which they advance by hand. Outside this file
/// only Sockets (real loopback, no Core) and the benchmarks read the wall clock or sleep; ArchitectureTests checks it.
package protocol BotClock: Sendable {
    func now() -> Date
    /// Returns at (or after) `deadline` in this clock's time; throws `CancellationError` when cancelled.
    func sleep(until deadline: Date) async throws
    /// True when `sleep(until:)` returns at once, the clock moved to the deadline (`VirtualClock`): a waiter has
    /// nothing to race it against.
    var sleepsInstantly: Bool { get }
}

extension BotClock {
    package var sleepsInstantly: Bool { false }

    /// Waits `seconds` of this clock's time (none when zero or negative).
    package func sleep(for seconds: TimeInterval) async throws {
        try await sleep(until: now().addingTimeInterval(max(0, seconds)))
    }

    /// Waits `duration` of this clock's time.
    package func sleep(for duration: Duration) async throws {
        let parts = duration.components
        try await sleep(for: Double(parts.seconds) + Double(parts.attoseconds) / 1e18)
    }
}

/// Wall-clock time.
package struct SystemClock: BotClock {
    package init() {}
    package func now() -> Date { Date() }
    package func sleep(until deadline: Date) async throws {
        while case let seconds = deadline.timeIntervalSinceNow, seconds > 0 {
            try await Task.sleep(for: .milliseconds(sleepMilliseconds(seconds)))
        }
    }
}

/// Whole milliseconds for a real wait of `seconds`, rounded up and capped at one day, so any deadline (a far
/// one, or one divided by a tiny demo speed) is a valid `Duration`; the clocks loop until their deadline.
func sleepMilliseconds(_ seconds: Double) -> Int64 {
    guard seconds > 0 else { return 0 }
    return Int64(min((seconds * 1000).rounded(.up), 86_400_000))
}

/// Simulated time running `speed` times faster than real time from `start` (the interactive demo:
/// 3600 = one simulated hour per real second).
package struct AcceleratedClock: BotClock {
    let start: Date
    let speed: Double
    let origin = ContinuousClock.now
    package init(start: Date, speed: Double) { self.start = start; self.speed = speed }

    package func now() -> Date {
        let elapsed = ContinuousClock.now - origin
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return start.addingTimeInterval(seconds * speed)
    }
    package func sleep(until deadline: Date) async throws {
        var simulated = deadline.timeIntervalSince(now())
        guard simulated > 0 else { return try Task.checkCancellation() }
        while simulated > 0 {
            try await Task.sleep(for: .milliseconds(sleepMilliseconds(simulated / speed)))
            simulated = deadline.timeIntervalSince(now())
        }
    }
}

/// Simulated time that jumps straight to each deadline: the unattended demo and scenario drills run as fast as
/// the machine allows, and the same scenario always yields the same history.
package final class VirtualClock: BotClock {
    private let current: Mutex<Date>
    package init(start: Date) { current = Mutex(start) }
    package var sleepsInstantly: Bool { true }
    package func now() -> Date { current.withLock { $0 } }
    /// Sleeps since the last one that gave other tasks a turn.
    private let sleeps = Atomic<Int>(0)

    /// Jumps to `deadline`. Every 32nd sleep gives the other tasks a turn (a command typed at the demo's prompt: a few
    /// milliseconds of a loop at full speed): a turn every sleep woke a thread each step, a few percent of a simulated
    /// year (`soc2bot-bench --only year`).
    package func sleep(until deadline: Date) async throws {
        try Task.checkCancellation()
        current.withLock { $0 = max($0, deadline) }
        if sleeps.add(1, ordering: .relaxed).newValue % 32 == 0 { await Task.yield() }
    }
    /// Moves time forward by hand (tests).
    package func advance(to date: Date) { current.withLock { $0 = max($0, date) } }
    package func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

import Foundation

/// Collects everything an `AsyncStream` yields so tests can wait, with a timeout, for an event that matches.
final class EventRecorder<Element: Sendable>: @unchecked Sendable {
    private struct Waiter {
        var predicate: @Sendable (Element) -> Bool
        var continuation: CheckedContinuation<Element?, Never>
    }

    private let lock = NSLock()
    private var events: [Element] = []
    private var finished = false
    private var waiters: [UUID: Waiter] = [:]

    /// - Parameter onEvent: called for each event as it arrives, before it is recorded (to answer it, say).
    init(_ stream: AsyncStream<Element>, onEvent: @escaping @Sendable (Element) -> Void = { _ in }) {
        Task { [self] in
            for await event in stream {
                onEvent(event)
                record(event)
            }
            finish()
        }
    }

    /// Everything recorded so far.
    var all: [Element] {
        lock.lock()
        defer { lock.unlock() }
        return events
    }

    /// True once the stream ended.
    var isFinished: Bool {
        lock.lock()
        defer { lock.unlock() }
        return finished
    }

    /// The first recorded event (past or future) matching `predicate`, or nil if the stream ends or `seconds`
    /// pass without one.
    func first(within seconds: Double = 15, where predicate: @escaping @Sendable (Element) -> Bool) async -> Element? {
        let id = UUID()
        return await withCheckedContinuation { continuation in
            lock.lock()
            if let match = events.first(where: predicate) {
                lock.unlock()
                continuation.resume(returning: match)
                return
            }
            if finished {
                lock.unlock()
                continuation.resume(returning: nil)
                return
            }
            waiters[id] = Waiter(predicate: predicate, continuation: continuation)
            lock.unlock()
            Task { [self] in
                try? await Task.sleep(for: .seconds(seconds))
                expire(id)
            }
        }
    }

    /// Waits until the stream has ended, for at most `seconds`; returns whether it did.
    func waitUntilFinished(within seconds: Double = 15) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if isFinished { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return isFinished
    }

    private func record(_ event: Element) {
        lock.lock()
        events.append(event)
        let matched = waiters.filter { $0.value.predicate(event) }
        for id in matched.keys { waiters[id] = nil }
        lock.unlock()
        for waiter in matched.values { waiter.continuation.resume(returning: event) }
    }

    private func finish() {
        lock.lock()
        finished = true
        let pending = waiters
        waiters = [:]
        lock.unlock()
        for waiter in pending.values { waiter.continuation.resume(returning: nil) }
    }

    private func expire(_ id: UUID) {
        lock.lock()
        let waiter = waiters.removeValue(forKey: id)
        lock.unlock()
        waiter?.continuation.resume(returning: nil)
    }
}

import Core
import ServiceLifecycle
import Synchronization

/// The work inbound handlers start and do not wait for — a Slack click answered to its `response_url` after the
/// request returned, a slash command's late answer — run as child tasks of this service's task group, not as
/// unstructured tasks. Graceful shutdown drains it: what was submitted before finishes (its answer is sent) before
/// `run()` returns, and the service group stops it after the inbound servers, so no new work comes meanwhile.
/// Work submitted once it has stopped runs in the caller's task: nothing is dropped.
package final class InboundTasks: Service, Sendable {
    package typealias Job = @Sendable () async -> Void

    private struct State {
        var queue: [Job] = []
        var waiter: CheckedContinuation<Job?, Never>?
        var closed = false
        /// Jobs submitted and not yet finished.
        var inFlight = 0
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    package init() {}

    /// Runs `job` in this service's task group; at once in the caller's task when the service has stopped.
    package func submit(_ job: @escaping Job) async {
        let (accepted, waiter) = state.withLock { s -> (Bool, CheckedContinuation<Job?, Never>?) in
            guard !s.closed else { return (false, nil) }
            s.inFlight += 1
            if let waiter = s.waiter { s.waiter = nil; return (true, waiter) }
            s.queue.append(job)
            return (true, nil)
        }
        if !accepted { return await job() }
        waiter?.resume(returning: job)
    }

    package func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                while let job = await next() {
                    group.addTask { [self] in
                        await job()
                        finished()
                    }
                }
            }   // waits for every job started
        } onGracefulShutdown: { [self] in close() }
    }

    /// Returns once every job submitted so far has finished (tests wait on this instead of polling what it sends).
    package func idle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.inFlight == 0 { return true }
                s.idleWaiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// The next job, or nil once closed and nothing is queued (or cancelled).
    private func next() async -> Job? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Job?, Never>) in
                let ready = state.withLock { s -> (Job?, Bool) in
                    if !s.queue.isEmpty { return (s.queue.removeFirst(), true) }
                    if s.closed || Task.isCancelled { return (nil, true) }
                    s.waiter = continuation
                    return (nil, false)
                }
                if ready.1 { continuation.resume(returning: ready.0) }
            }
        } onCancel: { [self] in close() }
    }

    private func close() {
        let waiter = state.withLock { s -> CheckedContinuation<Job?, Never>? in
            s.closed = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: nil)
    }

    private func finished() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.inFlight -= 1
            guard s.inFlight == 0 else { return [] }
            defer { s.idleWaiters = [] }
            return s.idleWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Runs `work` in `tasks`; returns its result if it finishes within `budget` of `clock`'s time, else nil at the deadline — and then
/// hands the result, when it comes, to `late` (still in `tasks`, so graceful shutdown waits for it). Nothing is lost
/// either way.
package func firstWithin<T: Sendable>(_ budget: Duration, on clock: any BotClock, tasks: InboundTasks, work: @escaping @Sendable () async -> T,
                                      late: @escaping @Sendable (T) async -> Void) async -> T? {
    let race = Race<T>()
    await tasks.submit {
        let value = await work()
        if !race.offer(value) { await late(value) }
    }
    return await withTaskGroup(of: Void.self) { group in
        // Cancelled means the work finished first: the deadline must not then answer nil in its place.
        group.addTask { if (try? await clock.sleep(for: budget)) != nil { race.expire() } }
        let value = await race.wait()
        group.cancelAll()
        return value
    }
}

/// The answer to one request, taken by whichever comes first: the work's value, or the deadline.
private final class Race<T: Sendable>: Sendable {
    private enum State {
        case open(CheckedContinuation<T?, Never>?)
        case answered(T)
        case expired
        case taken
    }
    private let state = Mutex<State>(.open(nil))

    /// Hands the value to the waiter; false when the deadline came first (the value is then late).
    func offer(_ value: T) -> Bool {
        let (taken, waiter) = state.withLock { s -> (Bool, CheckedContinuation<T?, Never>?) in
            guard case .open(let waiter) = s else { return (false, nil) }
            s = waiter == nil ? .answered(value) : .taken
            return (true, waiter)
        }
        waiter?.resume(returning: value)
        return taken
    }

    /// The deadline: the waiter gets nil unless the value came first.
    func expire() {
        let waiter = state.withLock { s -> CheckedContinuation<T?, Never>? in
            guard case .open(let waiter) = s else { return nil }
            s = waiter == nil ? .expired : .taken
            return waiter
        }
        waiter?.resume(returning: nil)
    }

    func wait() async -> T? {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { s -> (T?, Bool) in
                switch s {
                case .open: s = .open(continuation); return (nil, false)
                case .answered(let value): s = .taken; return (value, true)
                case .expired, .taken: s = .taken; return (nil, true)
                }
            }
            if ready.1 { continuation.resume(returning: ready.0) }
        }
    }
}

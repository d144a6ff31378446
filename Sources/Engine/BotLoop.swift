import Core
import Foundation
import Logging
import ServiceLifecycle
import Store
import Synchronization

/// Something the bot does at moments in time: running due controls, firing alert timers, a scenario's events.
/// The same `nextDue`/`run(at:)` pair is called by the production services (`TimedService`, each on its own) and by
/// the deterministic driver (`BotLoop`, all of them in one order), so the logic is written once.
package protocol TimedWork: Sendable {
    /// The earliest moment this work is due, or nil when nothing is pending.
    func nextDue() async throws -> Date?
    /// Does everything due at `now`.
    func run(at now: Date) async throws
}

/// A timed work whose due time is read from the bot's database alone. The deterministic driver (`BotLoop`) asks every
/// such work of a step in one read transaction of that database instead of one each (a read is a transaction
/// begun and ended, which costs more than the indexed seeks in it); a service asks `nextDue()`, its own read.
package protocol StoredTimedWork: TimedWork {
    /// The earliest moment this work is due as `snapshot`, a read of the bot's database, says (nil: nothing pending).
    func nextDue(in snapshot: StoreTransaction) throws -> Date?
    /// The database `nextDue(in:)` reads.
    var database: BotDatabase { get }
    /// The part of `nextDue(in:)` that is not in the database (a webhook's trigger held in memory; nil: none): the
    /// driver asks it again when it uses a read of the database taken earlier (`KeptRead`).
    func dueOutsideTheDatabase() -> Date?
}

extension StoredTimedWork {
    package func nextDue() async throws -> Date? { try database.read { try nextDue(in: $0) } }
    package func dueOutsideTheDatabase() -> Date? { nil }
}

extension TimedWork {
    /// Runs this work when it is due at `now`; true when it ran.
    package func runDue(at now: Date) async throws -> Bool {
        guard let due = try await nextDue(), due <= now else { return false }
        try await run(at: now)
        return true
    }
}

/// One part of the running bot as a service of its own (the scheduler, the escalator, the digest, the ledger
/// anchors): it sleeps on the bot's clock until its works' next due time, or until the doorbell rings one of the
/// events it listens for, runs what is due (in the listed order), and rings the events its work may have caused
/// (messages queued: the dispatchers). A slow step of one service holds no other: a source read that takes minutes
/// delays neither an escalation nor a delivery. On graceful shutdown the step in progress finishes, then it returns.
package struct TimedService: Service {
    package let name: String
    package let works: [any TimedWork]
    package let clock: any BotClock
    package let doorbell: Doorbell
    /// What wakes it early.
    package let bell: Bell
    /// What its work may cause, rung after each step that ran something.
    package let causes: BotEvents
    /// Longest sleep between checks (a safety net: everything that changes its due times rings).
    package let idlePoll: TimeInterval
    package let logger: Logger

    /// Replicas on a shared database: the service works only while this replica leads, each step fenced by the
    /// epoch it started under (nil: one process, always the leader, nothing checked).
    package let leader: LeaderGate?
    /// Rung when this replica starts or stops leading.
    private let leading: Bell?

    package init(name: String, works: [any TimedWork], clock: any BotClock, doorbell: Doorbell, listensFor: BotEvents, causes: BotEvents,
                 idlePoll: TimeInterval = 60, leader: LeaderGate? = nil, logger: Logger) {
        self.name = name; self.works = works; self.clock = clock; self.doorbell = doorbell
        self.bell = doorbell.bell(for: listensFor); self.causes = causes; self.idlePoll = idlePoll; self.logger = logger
        self.leader = leader; self.leading = leader?.bell()
    }

    /// Its reads run on the database's writer connection (`BotDatabase.readingAfterOwnWrites`): they follow its writes.
    package func run() async throws {
        try await BotDatabase.readingAfterOwnWrites { try await loop() }
    }

    private func loop() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if let leader, let leading {
                // A follower waits here until it wins (the leadership service rings), then starts with what is due.
                let epoch: Int64? = (try? await cancelWhenGracefulShutdown { await leader.waitToLead(on: leading) }) ?? nil
                guard epoch != nil, !Task.isShuttingDownGracefully else { return }
            }
            try await runDueLeading(at: clock.now())
            let now = clock.now()
            var wake = now.addingTimeInterval(idlePoll)
            for work in works { if let due = try await work.nextDue() { wake = min(wake, due) } }
            guard wake > now else { continue }
            let deadline = wake
            do { try await cancelWhenGracefulShutdown { try await sleep(until: deadline, clock: clock, bell: bell) } }
            catch is CancellationError { return }
        }
    }

    /// Does the works due at `now` as the leader: without a gate (one process) `runDue(at:)`; with one, fenced by the
    /// epoch this replica leads under now (`LeaderFence`), and nothing when it follows. A write refused by the fence
    /// (`NotLeaderError`: another replica won since the step began) rolls back alone, is logged at notice, and this
    /// replica follows. True when it led the step.
    @discardableResult
    package func runDueLeading(at now: Date) async throws -> Bool {
        guard let leader else {
            try await runDue(at: now)
            return true
        }
        guard let epoch = leader.epoch else { return false }
        do {
            try await LeaderFence.$epoch.withValue(epoch) { try await runDue(at: now) }
        } catch let error as NotLeaderError {
            leader.lost(epoch, because: error, in: name)
            return false
        }
        return true
    }

    /// Does the works due at `now`, in order, and rings what they may have caused.
    package func runDue(at now: Date) async throws {
        var ran = false
        for work in works { if try await work.runDue(at: now) { ran = true } }
        if ran { doorbell.ring(causes) }
    }
}

/// One chat platform's dispatcher as a service: it delivers what is due, then sleeps until the next retry or an
/// `outbox` ring. Each platform delivers on its own, so a slow or rate-limited platform holds no other. On graceful
/// shutdown it delivers once more what the other services queued while stopping (it is stopped after them), then
/// returns; what it could not deliver stays in the outbox for the next start.
package struct DeliveryService: Service {
    package let dispatcher: Dispatcher
    package let clock: any BotClock
    package let bell: Bell
    package let idlePoll: TimeInterval

    package init(dispatcher: Dispatcher, clock: any BotClock, doorbell: Doorbell, idlePoll: TimeInterval = 60) {
        self.dispatcher = dispatcher; self.clock = clock; self.bell = doorbell.bell(for: .outbox); self.idlePoll = idlePoll
    }

    /// Its reads run on the database's writer connection (`BotDatabase.readingAfterOwnWrites`): they follow its writes.
    package func run() async throws {
        try await BotDatabase.readingAfterOwnWrites { try await loop() }
    }

    private func loop() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try await dispatcher.drain()
            let now = clock.now()
            var wake = now.addingTimeInterval(idlePoll)
            if let retry = try await dispatcher.nextAttempt() { wake = min(wake, max(retry, now)) }
            guard wake > now else { continue }
            let deadline = wake
            do { try await cancelWhenGracefulShutdown { try await sleep(until: deadline, clock: clock, bell: bell) } }
            catch is CancellationError { return }
        }
        if !Task.isCancelled { try await dispatcher.drain() }
    }
}

/// Sleeps until `deadline` on `clock` or until `bell` rings, whichever comes first. A clock that jumps to the deadline
/// (`BotClock.sleepsInstantly`: the virtual clock) is moved there directly: nothing can ring before it returns, and
/// the two tasks racing would only cost a thread hand-off each.
func sleep(until deadline: Date, clock: any BotClock, bell: Bell) async throws {
    if clock.sleepsInstantly { return try await clock.sleep(until: deadline) }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await clock.sleep(until: deadline) }
        group.addTask { await bell.wait() }
        defer { group.cancelAll() }
        _ = try await group.next()
    }
}

/// The deterministic driver: the same works and dispatchers as the services, stepped as one discrete-event loop.
/// It advances the clock to the earliest due time among them, runs every work due then in a fixed order (a
/// scenario's events, the scheduler, triggered runs, the escalator, the digest, the ledger anchors), then delivers
/// (platform by platform, in a fixed order). Under a `VirtualClock` nothing runs concurrently, so the same scenario
/// gives the same transcript in the same order at equal simulated times; the demo and the tests use it. Returns on
/// graceful shutdown, or when `until` is reached.
package struct BotLoop: Service {
    package let works: [any TimedWork]
    package let dispatchers: [Dispatcher]
    package let clock: any BotClock
    package let logger: Logger
    /// Stop once the clock passes this moment (the demo's `--until`); nil runs until shutdown.
    package let until: Date?
    /// Longest sleep between checks for new outbox messages (commands typed meanwhile).
    package let idlePoll: TimeInterval
    /// Called after each step (the demo persists its clock here).
    package let afterStep: @Sendable (Date) async throws -> Void
    /// Rung by inbound chat actions (commands typed at the demo's prompt) so their messages go out now.
    package let doorbell: Doorbell
    /// On a shared database: the works run only while this process leads, fenced by its epoch (nil: always).
    package let leader: LeaderGate?
    /// Rung when a dispatcher queued a notice for another platform: deliver again in the same step.
    private let outbox: Bell
    /// Wakes the loop's sleep: any event (a command typed at the prompt).
    private let awake: Bell
    /// The database the `StoredTimedWork`s among `works` and the dispatchers read their due times from: the loop reads
    /// them together, in one read transaction (nil: each asks on its own).
    package let database: BotDatabase?
    /// The last read of the works' due times and the dispatchers' pending messages, used again while nothing is written.
    private let keptRead = KeptRead()

    package init(works: [any TimedWork], dispatchers: [Dispatcher], clock: any BotClock, logger: Logger, until: Date? = nil,
                 idlePoll: TimeInterval = 60, doorbell: Doorbell = Doorbell(), leader: LeaderGate? = nil, database: BotDatabase? = nil,
                 afterStep: @escaping @Sendable (Date) async throws -> Void = { _ in }) {
        self.works = works; self.dispatchers = dispatchers; self.clock = clock; self.logger = logger; self.leader = leader
        self.until = until; self.idlePoll = idlePoll; self.doorbell = doorbell; self.outbox = doorbell.bell(for: .outbox)
        self.awake = doorbell.bell(for: .all)
        self.database = database
        self.afterStep = afterStep
    }

    /// Its reads run on the database's writer connection (`BotDatabase.readingAfterOwnWrites`): they follow its writes.
    package func run() async throws {
        // Said here, inside the service group, so it is only said once signals are handled gracefully.
        logger.notice("soc2bot running", metadata: ["works": "\(works.count)"])
        try await BotDatabase.readingAfterOwnWrites { try await loop() }
    }

    private func loop() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try await step()
            let now = clock.now()
            if let until, now >= until { return }
            var wake = try await wakeTime(now: now, latest: now.addingTimeInterval(idlePoll))
            if let until { wake = min(wake, until) }
            if wake > now {
                let deadline = wake
                do {
                    // A clock that jumps to the deadline returns at once: the shutdown is seen at the top of the loop.
                    if clock.sleepsInstantly { try await clock.sleep(until: deadline) }
                    else { try await cancelWhenGracefulShutdown { try await sleep(until: deadline, clock: clock, bell: awake) } }
                } catch is CancellationError { return }
            }
            keptRead.slept()
            // The last step reads afresh: nothing reads after it.
            if let until, clock.now() >= until { keptRead.forget() }
        }
    }

    /// Does all work due now (in order), then delivers what it queued.
    package func step() async throws {
        let now = clock.now()
        if let leader {
            // Replicas on a shared database: the works only while leading (one attempt a step), fenced by the epoch.
            if let epoch = leader.attempt() {
                do {
                    try await LeaderFence.$epoch.withValue(epoch) { try await runWorks(at: now) }
                } catch let error as NotLeaderError {
                    leader.lost(epoch, because: error, in: "loop")
                }
            }
        } else {
            try await runWorks(at: now)
        }
        try await deliver()
        try await afterStep(now)
    }

    /// Runs every work due at `now`, in order.
    private func runWorks(at now: Date) async throws {
        // The due times of the stored works, read together in one transaction (`DueTimesRead`) — the last one, when
        // nothing was written since; read again once a work ran, since what it wrote may change the later works' (a
        // command asking for a run, a run resolving an alert whose timer was due).
        var read: DueTimesRead?
        for (index, work) in works.enumerated() {
            let due: Date?
            if let database, let stored = work as? any StoredTimedWork {
                if read == nil { read = try dueTimes(in: database) }
                due = earliest(read?.dues[index] ?? nil, stored.dueOutsideTheDatabase())
            } else {
                due = try await work.nextDue()
            }
            guard let due, due <= now else { continue }
            // What the work writes is followed by the due times read at the end of its last write, in it (one read
            // transaction less a step); none when another process may write too.
            let reader = database.flatMap { $0.changes == nil ? EndOfWriteDueTimes(loop: self, database: $0) : nil }
            try await ReadPlacement.$endOfWrite.withValue(reader) { try await work.run(at: now) }
            read = nil
            if let database, let reader, let (writes, after) = reader.last, writes == database.writeCount {
                keptRead.keep(after, writes: writes)
            }
        }
    }

    /// The due times of every `StoredTimedWork` and the dispatchers' pending messages as `tx` finds them.
    fileprivate func dueTimesRead(in tx: StoreTransaction) throws -> DueTimesRead {
        var dues: [Int: Date?] = [:]
        for (index, work) in works.enumerated() {
            if let work = work as? any StoredTimedWork { dues[index] = try work.nextDue(in: tx) }
        }
        return DueTimesRead(dues: dues, deliveries: try dispatchers.map { try $0.pendingState(in: tx, now: clock.now()) })
    }

    /// The due times of every `StoredTimedWork` and the dispatchers' pending messages as one read transaction of
    /// `database` finds them: the read kept from before, when nothing was written since; else a new read, kept.
    private func dueTimes(in database: BotDatabase, sleptSince: Int = 1) throws -> DueTimesRead {
        if let kept = keptRead.current(unlessWrittenSince: database, sleptSince: sleptSince) { return kept }
        let writes = database.writeCount
        let read = try database.read { tx in try dueTimesRead(in: tx) }
        keptRead.keep(read, writes: writes)
        return read
    }

    /// The earliest moment any work is due or any dispatcher retries (a retry due already counts as `now`), capped at
    /// `latest`. With `database`, the stored works and the dispatchers are asked in one read of it (or none, when the
    /// step wrote nothing since its last read).
    private func wakeTime(now: Date, latest: Date) async throws -> Date {
        var wake = latest
        var asked = Set<Int>()
        if let database {
            // A read of this step, taken after its last write (a step that ran something reads again after it), else
            // a read of its own: another process's write (a command run against the file) is seen here as before,
            // however long nothing is written by this one; the next step starts from it.
            let read = try dueTimes(in: database, sleptSince: 0)
            for (index, due) in read.dues {
                let outside = (works[index] as? any StoredTimedWork)?.dueOutsideTheDatabase()
                if let due = earliest(due, outside) { wake = min(wake, due) }
                asked.insert(index)
            }
            for pending in read.deliveries { if let retry = pending.next { wake = min(wake, max(retry, now)) } }
        } else {
            for dispatcher in dispatchers { if let retry = try await dispatcher.nextAttempt() { wake = min(wake, max(retry, now)) } }
        }
        for (index, work) in works.enumerated() where !asked.contains(index) {
            if let due = try await work.nextDue() { wake = min(wake, due) }
        }
        return wake
    }

    /// Delivers what is due, platform by platform in order; again while a platform raised a notice on another. A
    /// dispatcher whose pending messages, as the last read found them with nothing written since, have none it could
    /// claim now is not asked: its own read would find the same (most steps queue nothing).
    package func deliver() async throws {
        var known = database.flatMap { keptRead.current(unlessWrittenSince: $0, sleptSince: 1) }?.deliveries
        let now = clock.now()
        repeat {
            for (index, dispatcher) in dispatchers.enumerated() {
                if let known, index < known.count, !known[index].mayClaim(at: now) { continue }
                try await dispatcher.drain()
            }
            known = nil
        } while dispatchers.count > 1 && outbox.take()
    }
}

/// The earlier of two optional moments (nil: none).
private func earliest(_ a: Date?, _ b: Date?) -> Date? {
    guard let a else { return b }
    guard let b else { return a }
    return min(a, b)
}

/// The loop's due times read at the end of each write of a work, in it (`WriteEndReading`): the last one committed,
/// with the write count after it.
private final class EndOfWriteDueTimes: WriteEndReading {
    private let loop: BotLoop
    private let database: BotDatabase
    private let kept = Mutex<(writes: Int, read: DueTimesRead)?>(nil)
    init(loop: BotLoop, database: BotDatabase) { self.loop = loop; self.database = database }
    func reads(_ database: BotDatabase) -> Bool { database.isSame(as: self.database) }
    func read(_ transaction: StoreTransaction) throws -> any Sendable { try loop.dueTimesRead(in: transaction) }
    func committed(_ read: any Sendable, writesAfter: Int) {
        guard let read = read as? DueTimesRead else { return }
        kept.withLock { $0 = (writesAfter, read) }
    }
    var last: (writes: Int, read: DueTimesRead)? { kept.withLock { $0 } }
}

/// The stored works' due times (by the work's index) and each dispatcher's pending messages, as one read found them.
struct DueTimesRead: Sendable {
    var dues: [Int: Date?]
    var deliveries: [Dispatcher.PendingState]
}

/// The loop's last `DueTimesRead`, with the database's write count (`BotDatabase.writeCount`) taken before it and the
/// loop's sleeps since: used again instead of a new read while the count has not moved (nothing this process wrote
/// since could have changed it), no other process writes to the database (`BotDatabase.changes` is nil), and it was
/// taken in this step or just before the sleep before it. On SQLite another process's write — a command run against
/// the file — is not counted; the wake-up reads unless the step itself read after its last write (a step that ran
/// something reads again after it), so it is seen at the same simulated moment as when every step read (at the latest
/// by the wake-up after the next step, which then finds the work due at once; the last step reads afresh). What it holds are moments, compared with the clock when used, so a clock that moves on meanwhile finds a
/// retry due all the same.
private final class KeptRead: Sendable {
    private let state = Mutex<(writes: Int, sleeps: Int, read: DueTimesRead)?>(nil)
    func keep(_ read: DueTimesRead, writes: Int) { state.withLock { $0 = (writes, 0, read) } }
    /// The loop slept (or was woken) since.
    func slept() { state.withLock { $0?.sleeps += 1 } }
    func forget() { state.withLock { $0 = nil } }
    func current(unlessWrittenSince database: BotDatabase, sleptSince: Int) -> DueTimesRead? {
        state.withLock { kept in
            guard let kept, kept.sleeps <= sleptSince, database.changes == nil, kept.writes == database.writeCount else { return nil }
            return kept.read
        }
    }
}

/// Runs due controls.
package struct SchedulerWork: StoredTimedWork {
    package let scheduler: ControlScheduler
    package init(scheduler: ControlScheduler) { self.scheduler = scheduler }
    package var database: BotDatabase { scheduler.engine.database }
    package func nextDue(in snapshot: StoreTransaction) throws -> Date? { try scheduler.nextDue(in: snapshot) }
    /// Run right after `nextDue` said it is due (the driver and the services ask first): the due controls as that read
    /// found them.
    package func run(at now: Date) async throws { try await scheduler.runDueAsLastRead(at: now) }
}

/// Fires alert timers: acknowledgement timeouts, SLA breaches, snooze and risk-acceptance expiries.
package struct EscalatorWork: StoredTimedWork {
    package let engine: AlertEngine
    package init(engine: AlertEngine) { self.engine = engine }
    package var database: BotDatabase { engine.database }
    package func nextDue(in snapshot: StoreTransaction) throws -> Date? { try snapshot.nextTimerAt() }
    package func run(at now: Date) async throws { try engine.fireTimers(at: now) }
}

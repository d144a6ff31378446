import Chat
import Core
import Engine
import FactSources
import Foundation
import Logging
import Store
import Synchronization
import Testing
import TestSupport

/// The deterministic driver asks its works when they are next due in one read of the database, not one each: a read
/// transaction costs more than the indexed seeks in it, and the driver asks every step (a simulated year is 105,120).
@Suite("Driver reads")
struct LoopReadsTests {
    @Test
    func theWorksDueTimesAreReadTogetherEachStep() async throws {
        // Given a bot whose database counts its read transactions, driven for six hours of hourly controls
        let counting = CountingReads(base: try SQLiteBackend.inMemory())
        let steps = Mutex(0)
        let bot = drivenBot(database: BotDatabase(backend: counting), encryption: .none, hours: 6) { _ in steps.withLock { $0 += 1 } }

        // When the loop runs to its end
        try await bot.loop.run()

        // Then a step read the database at most six times: the works' due times before it, the scheduler's last runs,
        // the due times of the works after the scheduler once it ran, the escalator's due alerts and the due times after
        // it when it fired, and the due times for the sleep (before: one read per work before it ran and one per work
        // for the sleep, at least nine a step)
        let taken = steps.withLock { $0 }
        #expect(taken >= 6)
        #expect(counting.reads <= 6 * taken, "\(counting.reads) reads in \(taken) steps")
    }

    @Test
    func theSchedulerRunsTheControlsItsDueTimeReadFound() async throws {
        // Given a bot whose database counts its read transactions, driven for a day of hourly controls that pass
        let counting = CountingReads(base: try SQLiteBackend.inMemory())
        let steps = Mutex(0)
        let bot = drivenBot(database: BotDatabase(backend: counting), encryption: .customerManaged, hours: 24) { _ in steps.withLock { $0 += 1 } }
        let before = counting.reads

        // When the loop runs to its end
        try await bot.loop.run()

        // Then a step read the database twice: the due times of the works after the scheduler once it ran, and the due
        // times for the sleep, which the next step starts from since nothing was written in between; the scheduler ran
        // the controls that read found due, without a read of its own (before: three reads a step, and four before that)
        let taken = steps.withLock { $0 }
        let reads = counting.reads - before
        #expect(taken >= 24)
        #expect(reads <= 2 * taken + 3, "\(reads) reads in \(taken) steps")
    }

    @Test
    func anotherProcesssRunRequestIsSeenWithinAStepWhenNothingIsWrittenHere() async throws {
        // Given a bot on a database file whose control runs daily, driven hour by hour (steps that write nothing), and
        // another process's connection to the same file
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loop-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let database = try BotDatabase.open(path: path)
        let other = try BotDatabase.open(path: path)
        var config = EngineFixtures.config()
        for index in config.controls.indices { config.controls[index].cadence = 86_400 }
        let control = config.controls[0].id
        let requestAt = EngineFixtures.t0.addingTimeInterval(5 * 3_600)
        let asked = Mutex(false)
        let bot = drivenBot(database: database, encryption: .customerManaged, hours: 10, config: config) { now in
                // When, after the step at hour five, the other process asks for a run of the control (as a command run
                // against the file does)
                guard now == requestAt, !asked.withLock({ $0 }) else { return }
                asked.withLock { $0 = true }
                try other.write { try $0.requestRuns([control], at: now) }
            }
        try await bot.loop.run()

        // Then the run is recorded at that hour, not at the control's next daily run (a read kept across the loop's
        // sleeps would not have seen the request until this process wrote something)
        let runs = try database.read { tx in try tx.evidence(subject: "control:\(control)").compactMap(LedgerPayload.at) }
        #expect(runs == [EngineFixtures.t0, requestAt], "runs at \(runs)")
        try other.close()
        try database.close()
    }

    @Test
    func aDeliveryPassWithNothingDueWritesNothing() async throws {
        // Given a bot with a chat surface whose database counts its write transactions, driven for six hours of hourly
        // controls, one of which fails from the start (one alert, its message delivered in the first step)
        let counting = CountingReads(base: try SQLiteBackend.inMemory())
        let steps = Mutex(0)
        let surface = RecordingSurface()
        let bot = drivenBot(database: BotDatabase(backend: counting), encryption: .none, hours: 6, surfaces: [surface]) { _ in steps.withLock { $0 += 1 } }
        let before = counting.writes

        // When the loop runs to its end
        try await bot.loop.run()

        // Then each step wrote once (its runs), and the outbox was written only for the messages delivered: a claim, the
        // attempt and its record each (before: a claim written by every step's delivery pass, due or not)
        let taken = steps.withLock { $0 }
        let delivered = await surface.delivered.count
        let writes = counting.writes - before
        #expect(taken >= 6)
        #expect(delivered >= 1)
        #expect(writes <= taken + 3 * delivered, "\(writes) writes in \(taken) steps, \(delivered) messages delivered")
    }
}

/// The SQLite store, counting the read and write transactions asked of it.
private final class CountingReads: StoreBackend {
    let base: SQLiteBackend
    private let count = Mutex(0)
    private let writeCount = Mutex(0)
    init(base: SQLiteBackend) { self.base = base }
    var reads: Int { count.withLock { $0 } }
    var writes: Int { writeCount.withLock { $0 } }
    var location: String { base.location }
    func migrate() throws { try base.migrate() }
    func write<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        writeCount.withLock { $0 += 1 }
        return try base.write(body)
    }
    func read<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        count.withLock { $0 += 1 }
        return try base.read(body)
    }
    func prepareLedgerForAppending(now: Date) throws -> LedgerStartCheck { try base.prepareLedgerForAppending(now: now) }
    func close() throws { try base.close() }
}

/// A bot over one S3 bucket (`encryption` as given) driven hour by hour from `EngineFixtures.t0` for `hours`, on a
/// virtual clock; `afterStep` is called after each step.
private func drivenBot(database: BotDatabase, encryption: Bucket.Encryption, hours: Double, config: BotConfig = EngineFixtures.config(),
                       surfaces: [any ChatSurface] = [], afterStep: @escaping @Sendable (Date) async throws -> Void) -> Bot {
    let clock = VirtualClock(start: EngineFixtures.t0)
    var served = Facts()
    served.buckets = [Bucket(provider: "S3", name: "exports", encryption: encryption, isPublic: false)]
    return Bot.make(config: config, database: database, sources: [CountingSource("aws", served)], surfaces: surfaces, clock: clock,
                    logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, start: clock.now())
        .driven(leading: [], until: EngineFixtures.t0.addingTimeInterval(hours * 3_600), idlePoll: 3_600, afterStep: afterStep)
}

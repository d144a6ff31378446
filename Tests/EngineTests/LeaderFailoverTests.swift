import Chat
import Core
import Engine
import FactSources
import Foundation
import Logging
import Postgres
import PostgresStore
import Store
import Testing
import TestSupport

/// Two replicas of the bot (each its own `Bot` and store, as two processes would be) on one PostgreSQL database: the
/// leader is cut off in the middle of its scheduler step (its lock session ended, as a SIGSTOPped process whose
/// session the server dropped), the other takes over and does the work; the former leader, resumed, records nothing.
@Suite("Leader failover on PostgreSQL", .enabled(if: PostgresPeer.isConfigured,
                                                 "SOC2BOT_TEST_POSTGRES_URL is unset: run scripts/test, which starts the PostgreSQL peer"))
struct LeaderFailoverTests {
    static let t0 = EngineFixtures.t0
    static let ackTimeout: TimeInterval = 3_600

    static func config() -> BotConfig {
        var config = EngineFixtures.config()
        config.digest = DigestSchedule(weekday: 1, hour: 9, leadership: [.terminal: "#leadership"])
        return config
    }

    /// A replica: its own store on the shared database and its own bot, on a test clock.
    struct Replica {
        let database: BotDatabase
        let bot: Bot
        let clock: TestClock
        var leader: LeaderGate { bot.leader! }
        var lockSession: Int32? { (bot.leader?.leadership as? PostgresLeadership)?.sessionPID }
        func service(_ name: String) throws -> TimedService {
            try #require(bot.services.compactMap { $0 as? TimedService }.first { $0.name == name })
        }
    }

    static func replica(_ settings: [String: String], source: any FactSource) throws -> Replica {
        let database = BotDatabase(backend: try PostgresBackend(url: try PostgresPeer.peerURL, settings: settings, poolSize: 2))
        let clock = TestClock(start: t0)
        let bot = Bot.make(config: config(), database: database, sources: [source], surfaces: [], clock: clock, logger: EngineFixtures.logger,
                           start: t0, leaderRetry: 1)
        return Replica(database: database, bot: bot, clock: clock)
    }

    @Test(.timeLimit(.minutes(1))) func aFormerLeaderResumedAfterATakeoverRecordsNothingAndEachWorkIsRecordedOnce() async throws {
        let settings = try PostgresPeer.createDatabase()
        defer { try? PostgresPeer.drop(settings) }
        // Given two replicas, A leading and B following; A's first read of its sources will hang (A is paused there)
        let held = HeldSource()
        let a = try Self.replica(settings, source: held)
        let b = try Self.replica(settings, source: StaticBuckets())
        defer { a.leader.resign(); b.leader.resign(); try? a.database.close(); try? b.database.close() }
        let former = try #require(a.leader.attempt())
        #expect(b.leader.attempt() == nil)

        // When A's scheduler step starts under its epoch and stops in the middle, reading its sources
        let schedulerA = try a.service("scheduler")
        async let aLed = schedulerA.runDueLeading(at: Self.t0)
        await held.started()

        // And A's lock session ends (the server dropped it, or A died): B takes over at its next attempt
        try PostgresPeer.terminate(try #require(a.lockSession), from: try PostgresPeer.admin())
        let cut = PeerTime.now()
        let current = try #require(b.leader.attempt())
        print("takeover: B leads \(String(format: "%.3f s", PeerTime.now().timeIntervalSince(cut))) after A's session ended, at its next attempt (every \(b.leader.leadership.retryInterval) s)")
        #expect(current > former)

        // And B runs the control, then A, not knowing yet, fires the alert's acknowledgement timeout: refused, A follows
        #expect(try await b.service("scheduler").runDueLeading(at: Self.t0))
        let timeout = Self.t0 + Self.ackTimeout
        #expect(try await a.service("escalator").runDueLeading(at: timeout) == false)
        #expect(a.leader.epoch == nil)
        // And B fires it, and sends the weekly digest
        #expect(try await b.service("escalator").runDueLeading(at: timeout))
        let digestDue = try #require(Self.config().digest?.next(after: Self.t0))
        #expect(try await b.service("digest").runDueLeading(at: digestDue))

        // And A resumes its step: its record is refused whole
        held.release()
        #expect(try await aLed == false)
        #expect(a.leader.attempt() == nil, "A follows while B holds the lock")

        // Then each control run, alert, escalation and digest is recorded once, by B, and the ledger verifies
        let counts = try b.database.read { tx in
            try ["control_run", "alert_opened", "alert_transition", "weekly_digest"].map { try tx.evidenceCount(kind: $0) }
        }
        #expect(counts == [1, 1, 1, 1], "control_run, alert_opened, alert_transition (the escalation), weekly_digest")
        #expect(try b.database.read { try $0.lastRuns() }.count == 1)
        guard case .intact = try a.database.read({ try $0.verifyLedger() }) else {
            Issue.record("the ledger does not verify")
            return
        }
    }

    @Test(.timeLimit(.minutes(1))) func aFollowersServiceStartsItsWorkWhenItWins() async throws {
        let settings = try PostgresPeer.createDatabase()
        defer { try? PostgresPeer.drop(settings) }
        let a = try Self.replica(settings, source: StaticBuckets())
        let b = try Self.replica(settings, source: StaticBuckets())
        defer { a.leader.resign(); b.leader.resign(); try? a.database.close(); try? b.database.close() }
        #expect(a.leader.attempt() != nil)
        #expect(b.leader.attempt() == nil)
        let scheduler = try b.service("scheduler")
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Given B's scheduler service, waiting to lead
            group.addTask { try await scheduler.run() }
            // When A's session ends and B wins at its next attempt
            try PostgresPeer.terminate(try #require(a.lockSession), from: try PostgresPeer.admin())
            #expect(b.leader.attempt() != nil)
            // Then B's scheduler wakes, runs what is due, and sleeps on its clock until the next run
            await b.clock.sleepers(1)
            #expect(try b.database.read { try $0.evidenceCount(kind: "control_run") } == 1)
            group.cancelAll()
        }
    }

    /// Matrix `/sync` runs on one replica at a time: the leader's. A replica that learns it lost leadership stops
    /// listening; the next leader starts when it wins.
    @Test(.timeLimit(.minutes(1))) func matrixSyncListensOnlyOnTheLeadingReplica() async throws {
        let settings = try PostgresPeer.createDatabase()
        defer { try? PostgresPeer.drop(settings) }
        let a = try Self.replica(settings, source: StaticBuckets())
        let b = try Self.replica(settings, source: StaticBuckets())
        defer { a.leader.resign(); b.leader.resign(); try? a.database.close(); try? b.database.close() }
        let (events, record) = AsyncStream.makeStream(of: String.self)
        func listener(_ name: String) -> ChatListener {
            ChatListener(name: "matrix /sync") {
                record.yield("\(name) listens")
                // Listens until cancelled, as a /sync loop does (a bell nobody rings returns on cancellation).
                await Bell().wait()
                record.yield("\(name) stops")
            }
        }
        var seen = events.makeAsyncIterator()
        let serviceA = ChatListenerService(listener: listener("A"), leader: a.leader)
        let serviceB = ChatListenerService(listener: listener("B"), leader: b.leader)
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Given both replicas' listener services, A leading
            group.addTask { try await serviceB.run() }
            group.addTask { try await serviceA.run() }
            #expect(a.leader.attempt() != nil)
            #expect(b.leader.attempt() == nil)
            #expect(await seen.next() == "A listens")
            // When A's session ends and the lock is taken meanwhile (here by a session of the test's own): A learns it
            // at its next check and stops; once the lock is free, B wins at its next attempt and starts
            try PostgresPeer.terminate(try #require(a.lockSession), from: try PostgresPeer.admin())
            let other = try PostgresConnection(url: try PostgresPeer.peerURL, settings: settings)
            try other.query("SELECT pg_advisory_lock($1)", [.int(PostgresLeadership.key)])
            #expect(a.leader.attempt() == nil)
            #expect(await seen.next() == "A stops")
            try other.query("SELECT pg_advisory_unlock($1)", [.int(PostgresLeadership.key)])
            #expect(b.leader.attempt() != nil)
            // Then only then does B listen
            #expect(await seen.next() == "B listens")
            group.cancelAll()
        }
    }

    /// Three replicas' leadership services, each trying on its own clock: after every round exactly one leads, and
    /// when its session ends another takes over at the next round with a higher epoch.
    @Test(.timeLimit(.minutes(1))) func threeReplicasLeadershipServicesKeepExactlyOneLeader() async throws {
        let settings = try PostgresPeer.createDatabase()
        defer { try? PostgresPeer.drop(settings) }
        let replicas = try (0..<3).map { _ in try Self.replica(settings, source: StaticBuckets()) }
        defer { for replica in replicas { replica.leader.resign(); try? replica.database.close() } }
        let services = replicas.map { LeadershipService(gate: $0.leader, clock: $0.clock) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services { group.addTask { try await service.run() } }
            var epochs: [Int64] = []
            for round in 0..<4 {
                // Each service has made its attempt of this round once it sleeps until the next one.
                for replica in replicas { await replica.clock.sleepers(1) }
                let leading = replicas.compactMap(\.leader.epoch)
                #expect(leading.count == 1, "round \(round): \(leading)")
                if let epoch = leading.first { epochs.append(epoch) }
                // The leader's session ends; the next round, a retry interval on, elects one again.
                let leader = try #require(replicas.first { $0.leader.epoch != nil })
                try PostgresPeer.terminate(try #require(leader.lockSession), from: try PostgresPeer.admin())
                for replica in replicas { replica.clock.advance(by: replica.leader.leadership.retryInterval) }
            }
            #expect(epochs == epochs.sorted() && Set(epochs).count == epochs.count, "each new leader has a higher epoch: \(epochs)")
            group.cancelAll()
        }
    }

    /// The deterministic driver (`BotLoop`, the demo's) on a shared database tries to lead at each step and does the
    /// timed works only while it leads.
    @Test func theDriversStepDoesItsWorksOnlyWhileItLeads() async throws {
        let settings = try PostgresPeer.createDatabase()
        defer { try? PostgresPeer.drop(settings) }
        let a = try Self.replica(settings, source: StaticBuckets())
        let b = try Self.replica(settings, source: StaticBuckets())
        defer { a.leader.resign(); b.leader.resign(); try? a.database.close(); try? b.database.close() }
        func runs() throws -> Int { try a.database.read { try $0.evidenceCount(kind: "control_run") } }
        // Given A's driver stepping first: it leads and runs the control
        try await a.bot.loop.step()
        #expect(a.leader.epoch != nil)
        #expect(try runs() == 1)
        // When B's driver steps an hour later, the control due again: B follows, so nothing runs
        b.clock.advance(by: 3_600)
        try await b.bot.loop.step()
        #expect(b.leader.epoch == nil)
        #expect(try runs() == 1)
        // Then once A's session has ended, B's next step leads and runs it
        try PostgresPeer.terminate(try #require(a.lockSession), from: try PostgresPeer.admin())
        try await b.bot.loop.step()
        #expect(b.leader.epoch != nil)
        #expect(try runs() == 2)
    }

    @Test func onSQLiteTheBotAlwaysLeadsWithoutALeadershipService() throws {
        let bot = Bot.make(config: Self.config(), database: try BotDatabase.inMemory(), sources: [], surfaces: [], clock: TestClock(start: Self.t0),
                           logger: EngineFixtures.logger, start: Self.t0)
        #expect(bot.leader == nil)
        #expect(!bot.services.contains { $0 is LeadershipService })
        #expect(bot.services.compactMap { $0 as? TimedService }.allSatisfy { $0.leader == nil })
    }
}

/// One unencrypted bucket, read only once `release()` is called: the replica reading it is paused in its step.
final class HeldSource: FactSources.FactSource, @unchecked Sendable {
    let id: SourceID = "aws"
    var provides: Set<FactKind> { [.buckets] }
    private let (startedStream, startedSignal) = AsyncStream.makeStream(of: Void.self)
    private let (releaseStream, releaseSignal) = AsyncStream.makeStream(of: Void.self)

    /// Returns once a read has begun.
    func started() async { for await _ in startedStream { return } }
    func release() { releaseSignal.yield() }

    func facts(_ kinds: Set<FactKind>) async throws -> FactSources.Facts {
        startedSignal.yield()
        for await _ in releaseStream { break }
        return try await StaticBuckets().facts(kinds)
    }
}

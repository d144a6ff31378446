import Core
import Foundation
import Postgres
import PostgresStore
import Store
import Testing
import TestSupport

/// Leadership among replicas on one PostgreSQL database (`PostgresLeadership`): one leader at a time, a new epoch for
/// each new one, and writes fenced by an epoch refused once another replica has won.
@Suite("Leadership on PostgreSQL", .enabled(if: PostgresPeer.isConfigured, PostgresPeer.notConfigured))
struct PostgresLeadershipTests {
    /// Three replicas, each its own store and leadership on one database, as three processes would be.
    func withReplicas(_ count: Int, _ body: ([BotDatabase], [PostgresLeadership], [String: String]) throws -> Void) throws {
        try PostgresPeer.withFreshDatabase { settings in
            let url = try PostgresPeer.peerURL
            let databases = try (0..<count).map { _ in BotDatabase(backend: try PostgresBackend(url: url, settings: settings, poolSize: 2)) }
            let leaderships = databases.map { $0.leadership(retryInterval: 1) as! PostgresLeadership }
            defer {
                for leadership in leaderships { leadership.resign() }
                for database in databases { try? database.close() }
            }
            try body(databases, leaderships, settings)
        }
    }

    /// A replica stopped inside a fenced write holds the `leader` row's share lock, which a new leader's epoch waits
    /// for: every session of the bot's store asks the server to end a transaction left idle for a minute, so the
    /// stopped replica's locks go with its session instead of holding the takeover for ever.
    @Test func theStoresSessionsEndATransactionLeftIdleForAMinute() throws {
        try PostgresPeer.withFreshDatabase { settings in
            let backend = try PostgresBackend(url: try PostgresPeer.peerURL, settings: settings, poolSize: 1)
            defer { try? backend.close() }
            let shown = try backend.database.pool.withConnection {
                try $0.query("SHOW idle_in_transaction_session_timeout").rows.first?.decode(String.self, at: 0)
            }
            #expect(shown == "1min")
        }
    }

    /// Every replica tries to lead at once: the epochs they answer (nil for a follower).
    func attemptTogether(_ leaderships: [PostgresLeadership]) throws -> [Int64?] {
        let answers = Answers(leaderships.count)
        try PostgresPeer.onThreads(leaderships.count) { replica in answers.set(replica, try leaderships[replica].acquire()) }
        return answers.values
    }

    @Test func threeReplicasHaveExactlyOneLeaderAtATimeAndEachNewLeaderAHigherEpoch() throws {
        try withReplicas(3) { databases, leaderships, _ in
            var lastEpoch: Int64 = 0
            for kill in 0..<5 {
                // Given replicas that all try to lead at once, twice (a leader checks that it still leads)
                let first = try attemptTogether(leaderships)
                let second = try attemptTogether(leaderships)
                // Then exactly one leads, the same one both times, under one epoch higher than any before
                let leaders = first.indices.filter { first[$0] != nil }
                #expect(leaders.count == 1, "round \(kill): \(first)")
                #expect(second == first, "round \(kill): the leader keeps its epoch while its lock holds")
                let leader = try #require(leaders.first)
                let epoch = try #require(first[leader])
                #expect(epoch > lastEpoch)
                lastEpoch = epoch
                try LeaderFence.$epoch.withValue(epoch) { try databases[leader].write { try $0.setCursor("round", "\(kill)") } }
                #expect(try databases[0].read { try $0.cursor("round") } == "\(kill)", "a write fenced by the current epoch lands")

                // When the leader's lock session ends (its process died, its network was cut)
                try PostgresPeer.terminate(try #require(leaderships[leader].sessionPID), from: try PostgresPeer.admin())
            }
            // And after all that, still one leader.
            #expect(try attemptTogether(leaderships).compactMap { $0 }.count == 1)
        }
    }

    @Test func aWriteFencedByAFormerLeadersEpochIsRefusedAndLandsNothing() throws {
        try withReplicas(2) { databases, leaderships, _ in
            // Given replica 0 leading under its epoch, replica 1 following
            let former = try #require(try leaderships[0].acquire())
            #expect(try leaderships[1].acquire() == nil)

            // When replica 0's lock session ends and replica 1 takes over
            let cut = PeerTime.now()
            try PostgresPeer.terminate(try #require(leaderships[0].sessionPID), from: try PostgresPeer.admin())
            let current = try #require(try leaderships[1].acquire())
            print("leadership takeover after the leader's session ended: \(String(format: "%.3f s", PeerTime.now().timeIntervalSince(cut))) (plus up to one retry interval)")
            #expect(current > former)

            // Then a write replica 0 started as leader is refused, whole, with the epochs named
            #expect(throws: NotLeaderError(epoch: former, current: current)) {
                try LeaderFence.$epoch.withValue(former) {
                    try databases[0].write { tx in
                        try tx.setCursor("decided-by", "the former leader")
                        _ = try tx.appendEvidence(kind: "control_run", subject: "control:x", at: Sample.t0, canonicalData: Array("{}".utf8))
                    }
                }
            }
            #expect(try databases[1].read { try $0.cursor("decided-by") } == nil)
            #expect(try databases[1].read { try $0.ledgerHead() } == nil, "nothing appended to the ledger")
            // And the new leader's fenced write lands; writes outside leader-only work are not fenced at all
            try LeaderFence.$epoch.withValue(current) { try databases[1].write { try $0.setCursor("decided-by", "the leader") } }
            try databases[0].write { try $0.setCursor("inbound", "any replica") }
            #expect(try databases[0].read { [try $0.cursor("decided-by"), try $0.cursor("inbound")] } == ["the leader", "any replica"])
            // And the former leader follows until the lock is free again
            #expect(try leaderships[0].acquire() == nil)
        }
    }

    @Test func aNewLeaderIsRecordedOnlyAfterTheFormerLeadersFencedWriteHasEnded() throws {
        try withReplicas(2) { databases, leaderships, settings in
            let former = try #require(try leaderships[0].acquire())
            let pid = try #require(leaderships[0].sessionPID)
            let dbname = try #require(settings["dbname"])
            let (inside, insideToo, proceed) = (Signal(), Signal(), Signal())
            let won = Answers(1)
            let epochWhileWaiting = Answers(1)
            try PostgresPeer.onThreads(3) { thread in
                switch thread {
                case 0:
                    // The former leader's write passed its fence; it is still open when its lock session is cut.
                    try LeaderFence.$epoch.withValue(former) {
                        try databases[0].write { tx in
                            inside.fire(); insideToo.fire()
                            proceed.wait()
                            try tx.setCursor("written-under", "\(former)")
                        }
                    }
                case 1:
                    // The other replica wins the lock and records its epoch: that waits for the open write.
                    inside.wait()
                    try PostgresPeer.terminate(pid, from: try PostgresPeer.admin())
                    won.set(0, try leaderships[1].acquire())
                default:
                    // Once the new leader's statement waits on a lock (asked of the server), the epoch is still the
                    // former one; then the former leader's write goes on and commits.
                    insideToo.wait()
                    defer { proceed.fire() }
                    let admin = try PostgresPeer.admin()
                    for _ in 0..<2_000 {
                        let waiting = try admin.query("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
                                                      [.text(dbname)])[0].decode(Int64.self, at: 0)
                        if waiting > 0 {
                            let session = try PostgresConnection(url: try PostgresPeer.peerURL, settings: settings)
                            epochWhileWaiting.set(0, try session.query("SELECT epoch FROM leader")[0].decode(Int64.self, at: 0))
                            return
                        }
                        try admin.query("SELECT pg_sleep(0.005)")
                    }
                }
            }
            let epoch = try #require(won.values[0])
            #expect(epoch > former)
            #expect(try databases[1].read { try $0.cursor("written-under") } == "\(former)", "the write that passed its fence landed")
            #expect(epochWhileWaiting.values[0] == former, "the new epoch was recorded only after that write ended")
        }
    }
}

/// Answers set by several threads, one slot each.
final class Answers: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Int64?]
    init(_ count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Int64?) { lock.lock(); slots[index] = value; lock.unlock() }
    var values: [Int64?] { lock.lock(); defer { lock.unlock() }; return slots }
}

/// A one-shot signal between threads.
final class Signal: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func fire() { semaphore.signal() }
    func wait() { semaphore.wait() }
}

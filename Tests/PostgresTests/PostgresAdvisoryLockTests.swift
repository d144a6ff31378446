import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Advisory locks on a session of their own", .enabled(if: PostgresPeer.isConfigured, PostgresPeer.notConfigured))
struct PostgresAdvisoryLockTests {
    @Test func onlyOneSessionHoldsTheLockAndAnotherTakesOverWhenItsSessionDies() throws {
        let url = try PostgresPeer.peerURL
        let key = Int64.random(in: 1...Int64.max)
        let leader = PostgresAdvisoryLock(url: url, key: key)
        let follower = PostgresAdvisoryLock(url: url, key: key)
        defer { leader.release(); follower.release() }

        #expect(try leader.tryAcquire())
        #expect(try !follower.tryAcquire())
        #expect(leader.checkHeld())
        #expect(!follower.checkHeld())

        // When the leader's session dies (its process killed, its network gone)
        try PostgresPeer.terminate(try #require(leader.sessionPID), from: try PostgresPeer.admin())
        // Then the former leader learns it no longer holds the lock, and the follower gets it
        #expect(!leader.checkHeld())
        #expect(try follower.tryAcquire())
        #expect(follower.checkHeld())
        #expect(try !leader.tryAcquire())

        // Released, it goes back to the first who asks.
        follower.release()
        #expect(try leader.tryAcquire())
    }

    @Test func aHolderThatStopsAskingLosesTheLockOnceItsSessionHasBeenIdleForTheLimit() throws {
        let url = try PostgresPeer.peerURL
        let key = Int64.random(in: 1...Int64.max)
        let paused = PostgresAdvisoryLock(url: url, key: key, idleLimit: 1)
        defer { paused.release() }
        #expect(try paused.tryAcquire())

        // When its holder stops using the session (a SIGSTOPped replica), a waiter blocked on the same lock gets it:
        // the server ends the idle session. Without the limit the waiter would wait as long as the connection lasts.
        let waiter = try PostgresConnection(url: url)
        try waiter.execute("SET statement_timeout = '40s'")    // a hang guard: the wait ends in about a second
        #expect(try waiter.query("SELECT pg_advisory_lock($1)", [.int(key)]).rowCount == 1)
        // Then the former holder, resumed, learns it no longer holds the lock and cannot take it back.
        #expect(!paused.checkHeld())
        #expect(try !paused.tryAcquire())
        _ = try waiter.query("SELECT pg_advisory_unlock($1)", [.int(key)])
    }

    @Test func aKeyWithTheHighBitSetIsCheckedOnTheServer() throws {
        let lock = PostgresAdvisoryLock(url: try PostgresPeer.peerURL, key: -2)
        defer { lock.release() }
        #expect(try lock.tryAcquire())
        #expect(lock.checkHeld())
    }
}

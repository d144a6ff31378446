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

    @Test func aKeyWithTheHighBitSetIsCheckedOnTheServer() throws {
        let lock = PostgresAdvisoryLock(url: try PostgresPeer.peerURL, key: -2)
        defer { lock.release() }
        #expect(try lock.tryAcquire())
        #expect(lock.checkHeld())
    }
}

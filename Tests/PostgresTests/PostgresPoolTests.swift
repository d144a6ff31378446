import Foundation
import Postgres
import Testing
import TestSupport

@Suite("The PostgreSQL session pool", .enabled(if: PostgresPeer.isConfigured, PostgresPeer.notConfigured))
struct PostgresPoolTests {
    @Test func aSessionTheServerEndedWhileIdleIsReplacedBeforeItIsHandedOut() throws {
        let pool = PostgresPool(url: try PostgresPeer.peerURL, size: 1)
        let first = try pool.withConnection { try $0.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0) }
        // Given the pool's only session, ended by the server while it waited in the pool
        try PostgresPeer.terminate(first, from: try PostgresPeer.admin())
        // When it is checked out again, Then the caller gets a new, working session
        let second = try pool.withConnection { try $0.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0) }
        #expect(second != first)
        #expect(pool.openCount == 1)
    }

    @Test func aSessionThatBrokeDuringUseIsNotReturnedToThePool() throws {
        let pool = PostgresPool(url: try PostgresPeer.peerURL, size: 1)
        var ended: Int32 = 0
        let error = #expect(throws: PostgresError.self) {
            try pool.withConnection { connection in
                ended = connection.backendPID
                try connection.query("SELECT pg_terminate_backend(pg_backend_pid())")
            }
        }
        #expect(error?.kind == .connectionLost)
        #expect(pool.openCount == 0)
        let next = try pool.withConnection { try $0.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0) }
        #expect(next != ended)
    }

    @Test func aCheckoutWaitsForAFreeSessionUpToItsTimeout() throws {
        let pool = PostgresPool(url: try PostgresPeer.peerURL, size: 1, checkoutTimeout: .milliseconds(100))
        let error = #expect(throws: PostgresError.self) {
            try pool.withConnection { _ in try pool.withConnection { _ in } }
        }
        #expect(error?.kind == .poolTimeout)
        // The held session went back: the pool serves again.
        #expect(try pool.withConnection { try $0.query("SELECT 1")[0].decode(Int.self, at: 0) } == 1)
    }

    @Test func sessionsAreReusedAndNeverMoreThanTheBound() throws {
        let pool = PostgresPool(url: try PostgresPeer.peerURL, size: 2)
        let pids = PIDs()
        try PostgresPeer.onThreads(6) { _ in
            for _ in 0..<20 {
                try pool.withConnection { connection in
                    pids.insert(try connection.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0))
                }
            }
        }
        #expect(pids.count <= 2)
        #expect(pool.openCount <= 2)
    }
}

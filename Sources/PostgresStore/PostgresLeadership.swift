import Foundation
import Postgres
import Store

/// Leadership among replicas on one PostgreSQL database: the replica that holds the advisory lock `key`
/// (`pg_try_advisory_lock` on a session of its own, `PostgresAdvisoryLock`) leads. Winning it increments the epoch in
/// the `leader` table on that same session, so an epoch is only ever recorded while its lock is held, and epochs grow
/// with each new holder. When the holder's process dies or its session is ended (a network partition; a process
/// paused or hung for three retry intervals, 15 s at least, after which the server ends its idle lock session), the
/// server releases the lock and the next replica to try wins it with a higher epoch; the former leader's writes,
/// fenced by its old epoch, are refused.
///
/// `Sendable`: the epoch lives under a lock; the lock's session is used one call at a time by `PostgresAdvisoryLock`.
package final class PostgresLeadership: Leadership, @unchecked Sendable {
    /// The leader's advisory lock: "soc2lead" as a big-endian Int64 (the migrations use "soc2bot\0").
    package static let key: Int64 = 0x736f_6332_6c65_6164

    package let retryInterval: TimeInterval
    private let lock: PostgresAdvisoryLock
    private let state = NSLock()
    private var epoch: Int64?

    package init(url: String, settings: [String: String] = [:], retryInterval: TimeInterval = StoreLeadershipDefaults.retryInterval,
                 key: Int64 = PostgresLeadership.key) {
        self.retryInterval = retryInterval
        // A leader checks its lock every retryInterval and a follower tries as often, so a session idle for three of
        // them (15 s at least) belongs to a paused or hung replica: the server ends it and the next to try wins.
        lock = PostgresAdvisoryLock(url: url, settings: settings, key: key, idleLimit: max(15, 3 * retryInterval))
    }

    package var isSole: Bool { false }

    package func acquire() throws -> Int64? {
        state.lock()
        defer { state.unlock() }
        if let epoch, lock.checkHeld() { return epoch }
        epoch = nil
        guard try lock.tryAcquire() else { return nil }
        // Won: record a new epoch on the lock's own session. A transaction of the former leader that passed its fence
        // holds the row's share lock; this waits until it has ended, so its writes land before this leader starts.
        let won = try lock.whileHeld { session in
            try session.query("""
                UPDATE leader SET epoch = epoch + 1, elected_at = extract(epoch FROM clock_timestamp()) - 978307200,
                                  holder_pid = pg_backend_pid()
                RETURNING epoch
                """)[0].decode(Int64.self, at: 0)
        }
        epoch = won
        return won
    }

    package func resign() {
        state.lock()
        defer { state.unlock() }
        epoch = nil
        lock.release()
    }

    /// The server process of the lock's session (nil without one): a test ends it to simulate the leader's death.
    package var sessionPID: Int32? { lock.sessionPID }
}

import Foundation

/// Who runs what must happen once — the scheduler, the escalator and timers, reminders, the digest, the ledger
/// anchors — when several replicas share one database. The backend gives it (`BotDatabase.leadership`): SQLite is one
/// process and always leads (`SoleLeadership`); on PostgreSQL one replica leads at a time, through an advisory lock on
/// a session of its own, and each time a replica wins it records a new **epoch**. A write that must happen once is
/// fenced by the epoch it started under (`LeaderFence`, `LeaderRepository.requireLeader(epoch:)`): a former leader
/// that wakes up after another won writes nothing.
package protocol Leadership: Sendable {
    /// True for a single process on its own database: it always leads and nothing needs fencing (no lock, no check).
    var isSole: Bool { get }

    /// How long a follower waits between attempts to lead, and a leader between checks that it still leads
    /// (seconds). A takeover after the leader died takes at most this plus one attempt.
    var retryInterval: TimeInterval { get }

    /// Leads if nobody else does, or goes on leading: the epoch this replica leads under, or nil when another replica
    /// leads. An epoch once won is kept while the lock holds; winning the lock again records a new, higher epoch.
    /// Throws when the database cannot be reached (the caller is then a follower).
    func acquire() throws -> Int64?

    /// Stops leading (its epoch was found stale, or shutdown): the lock is released, so another replica can win it.
    func resign()
}

/// SQLite's leadership: one process, always the leader, epoch 0; nothing is locked, checked or fenced.
package struct SoleLeadership: Leadership {
    package static let epoch: Int64 = 0
    package init() {}
    package var isSole: Bool { true }
    package var retryInterval: TimeInterval { 60 }
    package func acquire() throws -> Int64? { Self.epoch }
    package func resign() {}
}

/// The leadership epoch a step of leader-only work started under, for the writes it makes: while set (by the gated
/// services, for the duration of one step), `BotDatabase.write` checks in each write transaction that it is still the
/// current epoch, and refuses with `NotLeaderError` otherwise. Unset (inbound actions, delivery, SQLite): no check.
package enum LeaderFence {
    @TaskLocal package static var epoch: Int64?
}

/// A write that must happen once was refused: the leadership epoch it started under is no longer the current one
/// (another replica won leadership since). Nothing of the transaction was written; the work's replica stops leading.
package struct NotLeaderError: Error, CustomStringConvertible, Equatable {
    /// The epoch the refused work started under.
    package let epoch: Int64
    /// The current epoch (nil: no epoch recorded at all).
    package let current: Int64?

    package init(epoch: Int64, current: Int64?) { self.epoch = epoch; self.current = current }

    package var description: String {
        "not the leader any more: this work started under leadership epoch \(epoch), and the current epoch is "
            + (current.map(String.init) ?? "none") + "; nothing was written (another replica leads and does it)"
    }
}

/// The leadership epoch inside a write transaction: the fence of the writes that must happen once (`LeaderFence`).
package protocol LeaderRepository {
    /// Throws `NotLeaderError` unless `epoch` is the current leadership epoch. On PostgreSQL the epoch's row stays
    /// share-locked until this transaction ends, so no replica can record a newer epoch before this transaction has
    /// committed or rolled back: a write that passed the check lands before the next leader starts. SQLite has one
    /// process, always the leader (`SoleLeadership.epoch`).
    func requireLeader(epoch: Int64) throws
}

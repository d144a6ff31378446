/// SQLite has one process, which always leads: the only epoch is `SoleLeadership.epoch`, checked without a statement.
extension SQLiteTransaction: LeaderRepository {
    package func requireLeader(epoch: Int64) throws {
        guard epoch == SoleLeadership.epoch else { throw NotLeaderError(epoch: epoch, current: SoleLeadership.epoch) }
    }
}

import Foundation
import Postgres
import Store

/// The fence of leader-only writes on PostgreSQL: the `leader` row read `FOR SHARE` (migration `pg-v3-leader`).
extension PostgresTransaction: LeaderRepository {
    /// One statement, at the start of the write: the row stays share-locked until this transaction ends, so a replica
    /// that wins leadership meanwhile waits with its increment until this transaction has committed or rolled back,
    /// and starts its own work after what this one wrote.
    package func requireLeader(epoch: Int64) throws {
        let current = try connection.query("SELECT epoch FROM leader FOR SHARE").single(Int64.self, table: "leader")
        guard current == epoch else { throw NotLeaderError(epoch: epoch, current: current) }
    }
}

import Foundation
import Postgres
import Store

/// One transaction on the PostgreSQL store; the counterpart of `StoreTransaction`, with the same method signatures.
/// Valid only inside the `write`/`read` closure that received it.
package final class PostgresTransaction {
    private let session: PostgresConnection
    /// The head this transaction locked and has moved since (nil until its first append).
    var lockedHead: (seq: Int64, hash: Data, at: String)?
    /// Appends made but not yet sent: written together in one statement (one round trip for up to `appendBatch`
    /// entries) before any other statement of this transaction and before it commits.
    var pendingAppends: [(row: LedgerAppend, kind: String, subject: String?)] = []
    static let appendBatch = 500
    /// True once this transaction notified the replicas of messages it queued (`NOTIFY soc2bot_outbox`): once is
    /// enough, the server delivers it at commit.
    var notifiedOutbox = false

    /// Bodies decoded lately, shared by the database's transactions (nil: decode every body).
    let decoded: DecodedRows?

    init(connection: PostgresConnection, decoded: DecodedRows? = nil) {
        session = connection
        self.decoded = decoded
    }

    /// Column 1 of `row` as `T` from its JSON, decoded only when these bytes were not decoded before under `key`.
    func memoised<T: Decodable>(_ row: StoredPostgresRow, key: String, _ type: T.Type) throws -> T {
        guard let decoded else { return try row.json(1, T.self) }
        let bytes = try row(1, Data.self)
        if let value = decoded.value(key, bytes: bytes, as: T.self) { return value }
        let value = try row.json(1, T.self)
        decoded.keep(key, bytes: bytes, value: value)
        return value
    }

    /// `value` encoded for its row, kept as decoded under `key` so the next read of these bytes does not decode them.
    func encodedKeeping<T: Encodable>(_ value: T, key: String) throws -> Data {
        let bytes = try StoreJSON.encode(value)
        decoded?.keep(key, bytes: bytes, value: value)
        return bytes
    }

    /// The session, with the appends this transaction holds written first, so every statement sees them. Every
    /// statement of the transaction goes through here.
    package var connection: PostgresConnection {
        get throws {
            try flushAppends()
            return session
        }
    }

    /// Writes the appends held back (one multi-row `INSERT`); `PostgresDatabase.write` calls it before committing.
    /// An error here (the chain trigger refusing a row) fails the transaction.
    package func flushAppends() throws {
        guard !pendingAppends.isEmpty else { return }
        let rows = pendingAppends
        pendingAppends = []
        var sql = "INSERT INTO ledger (seq, at, kind, subject, entry, prev_hash, hash) VALUES "
        var parameters: [PostgresValue] = []
        parameters.reserveCapacity(rows.count * 7)
        for (index, pending) in rows.enumerated() {
            let n = index * 7
            sql += (index == 0 ? "(" : ", (") + (1...7).map { "$\(n + $0)" }.joined(separator: ", ") + ")"
            parameters += [.int(pending.row.seq), .text(pending.row.at), .text(pending.kind), pending.subject.map(PostgresValue.text) ?? .null,
                           .bytes(pending.row.entry), .bytes(pending.row.prevHash), .bytes(pending.row.hash)]
        }
        try session.query(sql, parameters)
    }

    /// The session without writing the held appends: for the append path itself.
    var sessionForAppending: PostgresConnection { session }
}

extension PostgresTransaction: TransactionScope {
    /// Runs `body` in a savepoint (`SAVEPOINT`, then `RELEASE` or `ROLLBACK TO`): when it throws, everything it wrote
    /// is rolled back — its ledger appends held back included, and the head lock it took — and the error rethrown;
    /// the transaction goes on with what was written before (a statement that failed inside, which leaves a
    /// PostgreSQL transaction unusable, is rolled back with it).
    package func savepoint<T>(_ body: () throws -> T) throws -> T {
        try connection.execute("SAVEPOINT store_savepoint")    // the appends held so far are written first
        let head = lockedHead
        do {
            let value = try body()
            try connection.execute("RELEASE SAVEPOINT store_savepoint")
            return value
        } catch {
            pendingAppends = []
            lockedHead = head
            try? session.execute("ROLLBACK TO SAVEPOINT store_savepoint")
            try? session.execute("RELEASE SAVEPOINT store_savepoint")
            throw error
        }
    }
}

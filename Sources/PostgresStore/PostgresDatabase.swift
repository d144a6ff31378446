import Foundation
import Postgres
import Store

/// soc2bot's store on PostgreSQL: a pool of sessions to one database, migrated when opened. The counterpart of
/// `BotDatabase` (SQLite); its transactions are `PostgresTransaction`s.
package struct PostgresDatabase: Sendable {
    package let pool: PostgresPool
    /// Alert and track bodies decoded lately, by their bytes (`DecodedRows`, as on SQLite): a step re-reads them
    /// unchanged, and a body another replica changed is a miss, decoded afresh.
    package let decoded = DecodedRows()

    /// What each session of the bot sets: a transaction left open and idle for a minute is ended by the server. The
    /// bot's transactions are synchronous closures that never wait on anything outside the database, so only a
    /// process that stopped inside one (SIGSTOP, a host paused) idles there; ending its session releases its locks —
    /// the `leader` row it read `FOR SHARE`, which a new leader's epoch waits for — and its transaction rolls back.
    package static let sessionSettings = ["idle_in_transaction_session_timeout": "60s"]

    /// Opens `url` (see `PostgresConnection.init(url:settings:)`) with up to `poolSize` sessions and migrates it
    /// (with `migrating` false it is left as it is: `PostgresBackend.openReadOnly` checks it instead).
    package init(url: String, settings: [String: String] = [:], poolSize: Int = 4, migrating: Bool = true) throws {
        pool = PostgresPool(url: url, settings: settings, size: poolSize, sessionSettings: Self.sessionSettings)
        if migrating { try pool.withConnection { try PostgresSchema.migrate($0) } }
    }

    /// Runs `body` in a read-write transaction (read committed: the ledger's appends are serialised by the head row's
    /// lock, not by the isolation level). Commits when it returns, rolls back when it throws.
    package func write<T>(_ body: (PostgresTransaction) throws -> T) throws -> T {
        try pool.withConnection { connection in
            try connection.transaction(.readCommitted) { connection in
                let transaction = PostgresTransaction(connection: connection, decoded: decoded)
                let value = try body(transaction)
                try transaction.flushAppends()
                return value
            }
        }
    }

    /// Runs `body` in a read-only transaction on one snapshot (repeatable read): a long read such as a verification
    /// or an export sees the ledger as it was when it began, however many entries are appended meanwhile.
    package func read<T>(_ body: (PostgresTransaction) throws -> T) throws -> T {
        try pool.withConnection { connection in
            try connection.transaction(.repeatableRead, readOnly: true) { connection in
                let transaction = PostgresTransaction(connection: connection, decoded: decoded)
                let value = try body(transaction)
                try transaction.flushAppends()      // an append in a read refused by the server, never silently dropped
                return value
            }
        }
    }

    package func close() { pool.close() }
}

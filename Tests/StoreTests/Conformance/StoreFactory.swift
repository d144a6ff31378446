import Foundation
import GRDB
import Postgres
import PostgresStore
import Store
import Testing
import TestSupport

/// One store implementation the conformance suites run every test against: a fresh, empty, migrated database per
/// test, and the one thing the repositories must not offer — changing a ledger entry behind the bot's back, as
/// someone with the database's credentials could — so the suites show that verification finds it.
struct StoreFactory: Sendable, CustomTestStringConvertible {
    let name: String
    /// A new empty database, migrated; nothing else sees it.
    let make: @Sendable () throws -> BotDatabase
    /// Replaces the stored bytes of ledger entry `seq` with `entry`, past the store's append-only protection.
    let alterLedgerEntry: @Sendable (_ database: BotDatabase, _ seq: Int64, _ entry: Data) throws -> Void
    /// Takes away the protection that refuses updates of ledger entries, as the database's owner could.
    let removeUpdateProtection: @Sendable (_ database: BotDatabase) throws -> Void

    var testDescription: String { name }

    /// The embedded store: SQLite in memory.
    static let sqlite = StoreFactory(name: "SQLite", make: { try BotDatabase.inMemory() }, alterLedgerEntry: { database, seq, entry in
        try database.writer.write { db in
            try db.execute(sql: "DROP TRIGGER ledger_no_update")
            try db.execute(sql: "UPDATE ledger SET entry = ? WHERE seq = ?", arguments: [entry, seq])
        }
    }, removeUpdateProtection: { database in
        try database.writer.write { try $0.execute(sql: "DROP TRIGGER ledger_no_update") }
    })

    /// The server `scripts/peers` started for the tests: each test gets a database of its own on it
    /// (`PostgresPeer.createDatabase`), migrated by opening it. The databases are left to the peer's cluster, which
    /// `scripts/test` removes when it stops the server: a test's `BotDatabase` has no end to drop one at, and its
    /// sessions close when it is released.
    static let postgres = StoreFactory(name: "PostgreSQL", make: {
        BotDatabase(backend: try PostgresBackend(url: try PostgresPeer.peerURL, settings: try PostgresPeer.createDatabase(), poolSize: 2))
    }, alterLedgerEntry: { database, seq, entry in
        guard let backend = database.backend as? PostgresBackend else { throw StoreError.notFound("a PostgreSQL backend in \(database.path)") }
        try backend.database.pool.withConnection { connection in
            // As the database's owner would: switch the append-only trigger off, change the row, switch it back on.
            try connection.transaction { connection in
                try connection.execute("ALTER TABLE ledger DISABLE TRIGGER ledger_no_update")
                try connection.query("UPDATE ledger SET entry = $1 WHERE seq = $2", [.bytes(entry), .int(seq)])
                try connection.execute("ALTER TABLE ledger ENABLE TRIGGER ledger_no_update")
            }
        }
    }, removeUpdateProtection: { database in
        // Switched off rather than dropped: what is still there but does nothing must be found too.
        guard let backend = database.backend as? PostgresBackend else { throw StoreError.notFound("a PostgreSQL backend in \(database.path)") }
        try backend.database.pool.withConnection { try $0.execute("ALTER TABLE ledger DISABLE TRIGGER ledger_no_update") }
    })

    /// Every store the suites run against: SQLite always, and PostgreSQL when `SOC2BOT_TEST_POSTGRES_URL` names the
    /// server `scripts/test` started (`swift test` alone runs them on SQLite only).
    static var all: [StoreFactory] {
        PostgresPeer.isConfigured ? [sqlite, postgres] : [sqlite]
    }
}

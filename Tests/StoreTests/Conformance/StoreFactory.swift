import Foundation
import GRDB
import Store
import Testing

/// One store implementation the conformance suites run every test against: a fresh, empty, migrated database per
/// test, and the one thing the repositories must not offer — changing a ledger entry behind the bot's back, as
/// someone with the database's credentials could — so the suites show that verification finds it.
struct StoreFactory: Sendable, CustomTestStringConvertible {
    let name: String
    /// A new empty database, migrated; nothing else sees it.
    let make: @Sendable () throws -> BotDatabase
    /// Replaces the stored bytes of ledger entry `seq` with `entry`, past the store's append-only protection.
    let alterLedgerEntry: @Sendable (_ database: BotDatabase, _ seq: Int64, _ entry: Data) throws -> Void

    var testDescription: String { name }

    /// The embedded store: SQLite in memory.
    static let sqlite = StoreFactory(name: "SQLite", make: { try BotDatabase.inMemory() }, alterLedgerEntry: { database, seq, entry in
        try database.writer.write { db in
            try db.execute(sql: "DROP TRIGGER ledger_no_update")
            try db.execute(sql: "UPDATE ledger SET entry = ? WHERE seq = ?", arguments: [entry, seq])
        }
    })

    /// The server `scripts/peers` started for the tests (a PostgreSQL URL), if any.
    static let postgresURL = ProcessInfo.processInfo.environment["SOC2BOT_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// Every store the suites run against: SQLite always. The PostgreSQL backend joins here, when `postgresURL` is
    /// set, with a factory that gives each test its own empty schema on that server.
    static var all: [StoreFactory] {
        [sqlite]
    }
}

import Foundation
import Postgres
import Store

/// The store on a PostgreSQL server behind `StoreBackend`, so `BotDatabase(backend: PostgresBackend(url: …))` holds
/// the bot's state there: every repository of `StoreTransaction` is a `PostgresTransaction`.
package struct PostgresBackend: StoreBackend {
    package let database: PostgresDatabase
    /// The server's address with any password replaced by `***`, and the database when `settings` names it.
    package let location: String

    /// Opens `url` (see `PostgresConnection.init(url:settings:)`) with up to `poolSize` sessions and migrates it.
    package init(url: String, settings: [String: String] = [:], poolSize: Int = 4) throws {
        database = try PostgresDatabase(url: url, settings: settings, poolSize: poolSize)
        let keywords = settings    // libpq's connection keywords, not a source's settings
        location = PostgresURL.redacted(url) + (keywords["dbname"].map { " (database \($0))" } ?? "")
    }

    package func migrate() throws {
        try database.pool.withConnection { try PostgresSchema.migrate($0) }
    }

    package func write<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        try database.write { try body($0) }
    }

    package func read<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        try database.read { try body($0) }
    }

    /// The whole chain must verify or `BrokenLedgerError` is thrown. The append-only triggers are not checked or
    /// restored here yet (SQLite's `prepareLedgerForAppending` does): nothing is restored, so nothing is recorded.
    package func prepareLedgerForAppending(now: Date) throws -> LedgerStartCheck {
        try database.write { transaction in
            let verdict = try transaction.verifyLedger()
            guard case .intact(let entries, _) = verdict else { throw BrokenLedgerError(path: location, verdict: verdict) }
            return LedgerStartCheck(entries: entries, restoredTriggers: [], recordedAt: nil)
        }
    }

    package func close() throws {
        database.close()
    }
}

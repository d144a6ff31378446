import Foundation
import Postgres
import Store

/// The store on a PostgreSQL server behind `StoreBackend`, so `BotDatabase(backend: PostgresBackend(url: …))` holds
/// the bot's state there: every repository of `StoreTransaction` is a `PostgresTransaction`.
package struct PostgresBackend: StoreBackend {
    package let database: PostgresDatabase
    /// The server's address with any password replaced by `***`, and the database when `settings` names it.
    package let location: String
    /// This replica's name for its outbox claims: new each time the database is opened, so each process (each
    /// replica) holds its own, and one that restarts leaves its former claims to lapse.
    package let claimer: String
    /// Notifications of messages queued by any replica, on a session of its own.
    package let outboxChanges: PostgresOutboxChanges

    /// Opens `url` (see `PostgresConnection.init(url:settings:)`) with up to `poolSize` sessions and migrates it.
    package init(url: String, settings: [String: String] = [:], poolSize: Int = 4) throws {
        database = try PostgresDatabase(url: url, settings: settings, poolSize: poolSize)
        let keywords = settings    // libpq's connection keywords, not a source's settings
        location = PostgresURL.redacted(url) + (keywords["dbname"].map { " (database \($0))" } ?? "")
        claimer = "replica-" + UUID().uuidString.lowercased()
        outboxChanges = PostgresOutboxChanges(url: url, settings: settings)
    }

    package var changes: (any StoreChanges)? { outboxChanges }

    package func migrate() throws {
        try database.pool.withConnection { try PostgresSchema.migrate($0) }
    }

    package func write<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        try database.write { try body($0) }
    }

    package func read<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        try database.read { try body($0) }
    }

    /// Run before a process starts appending: the whole chain must verify, or `BrokenLedgerError` is thrown and
    /// nothing is changed; the ledger's triggers and their functions, if someone dropped, disabled or replaced them,
    /// are recreated (`PostgresSchema.restoreLedgerProtection`) and that is recorded in the ledger (kind
    /// `ledger_triggers_restored`, at `now`), as on SQLite. The head stays locked throughout, so replicas starting
    /// together do this one after the other and the second finds nothing to restore.
    package func prepareLedgerForAppending(now: Date) throws -> LedgerStartCheck {
        try database.write { transaction in
            try transaction.holdLedgerHead()
            let verdict = try transaction.verifyLedger()
            guard case .intact(let entries, _) = verdict else { throw BrokenLedgerError(path: location, verdict: verdict) }
            let restored = try PostgresSchema.restoreLedgerProtection(try transaction.connection)
            guard !restored.isEmpty else { return LedgerStartCheck(entries: entries, restoredTriggers: [], recordedAt: nil) }
            let head = try transaction.appendEvidence(kind: EvidenceLedger.triggersRestoredKind, subject: "ledger", at: now,
                                                      data: TriggersRestoredEvidence(triggers: restored, verifiedEntries: entries))
            return LedgerStartCheck(entries: entries, restoredTriggers: restored, recordedAt: head)
        }
    }

    package func close() throws {
        database.close()
    }

    /// One replica leads at a time: the one holding the leader's advisory lock on a session of its own
    /// (`PostgresLeadership`), each win recorded as a new epoch in the `leader` table.
    package func leadership(retryInterval: TimeInterval) -> any Leadership {
        PostgresLeadership(url: database.pool.url, settings: database.pool.settings, retryInterval: retryInterval)
    }
}

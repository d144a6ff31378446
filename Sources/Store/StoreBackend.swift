import Foundation

/// A database that holds the bot's state: SQLite (`SQLiteBackend`, the embedded default) or a server. Each backend
/// opens and migrates in its own factory; `BotDatabase` wraps one, and nothing outside Store names a backend.
package protocol StoreBackend: Sendable {
    /// Names the database in errors and messages: a file path, or a server's address without its password.
    var location: String { get }

    /// Applies the migrations this build knows and the database lacks; refuses a database a newer build migrated.
    /// The opening factories call it; calling it again does nothing.
    func migrate() throws

    /// Runs `body` in one write transaction: everything in it lands together or not at all.
    func write<T>(_ body: (StoreTransaction) throws -> T) throws -> T

    /// Runs `body` on a consistent read snapshot.
    func read<T>(_ body: (StoreTransaction) throws -> T) throws -> T

    /// Run before a process starts appending to the ledger (`run`, `demo`): the whole chain must verify or
    /// `BrokenLedgerError` is thrown and nothing is changed; append-only protection that was removed is restored and
    /// that is recorded in the ledger (at `now`). One write transaction, so no other writer appends in between.
    func prepareLedgerForAppending(now: Date) throws -> LedgerStartCheck

    /// Releases the connections. Nothing may use the backend afterwards.
    func close() throws

    /// Who leads among the processes on this database (`Leadership`), trying again every `retryInterval` seconds.
    func leadership(retryInterval: TimeInterval) -> any Leadership

    /// Who this process is among those sharing the database: the name its dispatchers hold outbox claims under
    /// (`OutboxRepository.claimOutbox`).
    var claimer: String { get }

    /// What other processes sharing the database change, as it happens (a server's notifications); nil when no other
    /// process writes to it.
    var changes: (any StoreChanges)? { get }

    /// The latest moment a committed write of this process appended a ledger entry at: the head's time is at least
    /// that (ledger time never goes backwards). nil when not known (nothing appended yet, or the store does not tell).
    var latestAppendHere: Date? { get }

    /// `TransactionScope.changeMark()` as it stands now, outside a transaction (SQLite: the writer connection's rows
    /// changed and `data_version`): equal to the mark taken at the end of a write only when nothing was written since,
    /// through that connection or another. nil when the store cannot tell.
    func changeMark() throws -> StoreChangeMark?
}

extension StoreBackend {
    /// One process on its own database (SQLite): always the leader.
    package func leadership(retryInterval: TimeInterval) -> any Leadership { SoleLeadership() }

    /// One process at a time owns an embedded database file: the same name every run, so a restarted process takes
    /// back at once the claims it left when it stopped.
    package var claimer: String { "local" }

    /// No other process writes to an embedded database file.
    package var changes: (any StoreChanges)? { nil }

    package var latestAppendHere: Date? { nil }

    package func changeMark() throws -> StoreChangeMark? { nil }
}

/// The leadership's defaults.
package enum StoreLeadershipDefaults {
    /// Seconds between a follower's attempts to lead (and a leader's checks): a takeover after the leader's session
    /// ended takes at most this plus one attempt, well under the 30 s issue 15 asks for.
    package static let retryInterval: TimeInterval = 5
}

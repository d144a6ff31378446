/// What a transaction offers beside its repositories: nested rollback, and a mark of what changed the database.
package protocol TransactionScope {
    /// Runs `body` in a savepoint of this transaction: when it throws, everything it wrote is rolled back and the
    /// error rethrown, and the transaction goes on with what was written before (one control's failed run in a
    /// step's batch loses only itself).
    func savepoint<T>(_ body: () throws -> T) throws -> T

    /// A mark of the changes committed to the database, taken inside this transaction: the mark at the end of one write
    /// and the mark at the start of a later write (each taken in its own transaction) are equal only when nothing was
    /// written in between, through this connection or any other — another process, another handle of the file. nil
    /// where the store cannot tell (a server shared by replicas): then nothing may be taken as unchanged.
    func changeMark() throws -> StoreChangeMark?
}

extension TransactionScope {
    package func changeMark() throws -> StoreChangeMark? { nil }
}

/// See `TransactionScope.changeMark()`.
package struct StoreChangeMark: Sendable, Equatable {
    /// Rows changed through this connection since it opened (ever growing; a write rolled back counts too).
    package var rowsChangedHere: Int
    /// Moves when another connection commits (SQLite's `data_version`).
    package var othersCommits: Int64
    package init(rowsChangedHere: Int, othersCommits: Int64) { self.rowsChangedHere = rowsChangedHere; self.othersCommits = othersCommits }
}

/// What a transaction offers beside its repositories: nested rollback.
package protocol TransactionScope {
    /// Runs `body` in a savepoint of this transaction: when it throws, everything it wrote is rolled back and the
    /// error rethrown, and the transaction goes on with what was written before (one control's failed run in a
    /// step's batch loses only itself).
    func savepoint<T>(_ body: () throws -> T) throws -> T
}

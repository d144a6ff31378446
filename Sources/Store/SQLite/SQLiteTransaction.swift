import Foundation
import GRDB

/// The repositories of `StoreTransaction` on one SQLite transaction (or read snapshot), through GRDB.
package struct SQLiteTransaction: TransactionScope {
    let db: Database

    /// Runs `body` in a savepoint of this transaction: when it throws, everything it wrote is rolled back and the
    /// error rethrown, and the transaction goes on with what was written before (one control's failed run in a
    /// step's batch loses only itself).
    package func savepoint<T>(_ body: () throws -> T) throws -> T {
        var value: T?
        try db.inSavepoint {
            value = try body()
            return .commit
        }
        guard let value else { throw StoreError.corrupt("a savepoint committed without its value") }
        return value
    }
}

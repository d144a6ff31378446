import Foundation
import GRDB

/// The repositories of `StoreTransaction` on one SQLite transaction (or read snapshot), through GRDB.
package struct SQLiteTransaction: TransactionScope {
    let db: Database
    /// Bodies decoded lately, shared by the database's transactions (nil: decode every body).
    var decoded: DecodedRows? = nil
    /// What this write keeps between its statements (nil: a read, or kept nothing).
    var scope: WriteScope? = nil

    /// Runs `body` in a savepoint of this transaction: when it throws, everything it wrote is rolled back and the
    /// error rethrown, and the transaction goes on with what was written before (one control's failed run in a
    /// step's batch loses only itself).
    package func savepoint<T>(_ body: () throws -> T) throws -> T {
        guard db.isInsideTransaction else {
            var value: T?
            try db.inSavepoint {
                do { value = try body() } catch { scope?.ledgerHead = nil; throw error }
                return .commit
            }
            guard let value else { throw StoreError.corrupt("a savepoint committed without its value") }
            return value
        }
        // Inside a transaction (a step's write: one savepoint a control), with statements prepared once: preparing
        // SAVEPOINT and RELEASE from their text for every control of every step was a twentieth of a step.
        try db.cachedStatement(sql: "SAVEPOINT store_savepoint").execute()
        let value: T
        do {
            value = try body()
        } catch {
            // What body wrote goes; the transaction goes on. (When SQLite itself ended the transaction — disk full —
            // there is no savepoint left to roll back to, and the caller's error says why.)
            // The ledger head it kept may be an entry rolled back: read it again.
            scope?.ledgerHead = nil
            if db.isInsideTransaction {
                try? db.cachedStatement(sql: "ROLLBACK TRANSACTION TO SAVEPOINT store_savepoint").execute()
                try? db.cachedStatement(sql: "RELEASE SAVEPOINT store_savepoint").execute()
            }
            throw error
        }
        try db.cachedStatement(sql: "RELEASE SAVEPOINT store_savepoint").execute()
        return value
    }

    /// The connection's count of rows changed and its `data_version` (which moves only with other connections' commits).
    package func changeMark() throws -> StoreChangeMark? {
        StoreChangeMark(rowsChangedHere: db.totalChangesCount,
                        othersCommits: try Int64.fetchOne(db.cachedStatement(sql: "PRAGMA data_version")) ?? 0)
    }

    /// Column 1 of `row` as `T` from its JSON, decoded only when these bytes were not decoded before under `key`.
    func memoised<T: Decodable>(_ row: StoredRow, key: String, _ type: T.Type) throws -> T {
        guard let decoded else { return try row.json(1, T.self) }
        let bytes: Data = try row(1)
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
}

/// What one write transaction keeps between its statements: the ledger head it appended last, so the next entry is
/// chained without reading the head row again. Made anew for each write; a rolled-back savepoint forgets it.
final class WriteScope {
    var ledgerHead: EvidenceLedger.HeadRow?
    /// The hot statements prepared in this write (`BoundStatement.hot`), by `BoundStatement.Hot`'s raw value.
    var hotStatements = [BoundStatement?](repeating: nil, count: BoundStatement.Hot.allCases.count)
}

import Core
import Foundation
import GRDB

/// Errors from the store, phrased for the operator.
package enum StoreError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The database was written by a newer soc2bot (it has migrations this build does not know).
    case unknownSchema(path: String, unknownMigrations: [String])
    /// The file is an SQLite database that soc2bot did not create.
    case foreignDatabase(path: String, tables: [String])
    /// A compare-and-set update lost: someone changed the alert first.
    case versionConflict(AlertID, expected: Int)
    case notFound(String)
    /// A row the store wrote cannot be read back (edited outside soc2bot, or damaged).
    case corrupt(String)
    /// A read-only command was given a path where no file exists: it never creates one.
    case missing(path: String)
    /// The file cannot be read as an SQLite database at all (a directory, empty, not SQLite, truncated or damaged
    /// pages), or a table or column soc2bot needs is gone; `what` says which.
    case unreadable(path: String, what: String)
    /// A soc2bot database written by an older build: the migrations it lacks, which only `run` or `demo` apply.
    case needsMigration(path: String, pending: [String])
    /// A row of the database at `path` cannot be read back (`corrupt`, with the file named).
    case damaged(path: String, what: String)
    /// The database server at `location` (its password as `***`) cannot be reached, or refused the login.
    case unreachable(location: String, what: String)

    package var description: String {
        switch self {
        case .unknownSchema(let path, let unknown):
            "\(path) has a schema this soc2bot does not know (migrations \(unknown.joined(separator: ", "))); it was written by a newer version. Upgrade soc2bot, or point --database at another file."
        case .foreignDatabase(let path, let tables):
            "\(path) is not a soc2bot database (it has tables \(tables.prefix(5).joined(separator: ", "))); point --database at a new or soc2bot file."
        case .versionConflict(let id, let expected):
            "\(id) changed concurrently (expected version \(expected)); retry."
        case .notFound(let what):
            "\(what) not found."
        case .corrupt(let what):
            "The database is damaged: \(what). Restore it from a backup; `soc2bot evidence verify` checks the ledger."
        case .missing(let path):
            "no database at \(path); `soc2bot run` (or `soc2bot demo`) creates one. Read-only commands never create a database."
        case .unreadable(let path, let what):
            "\(path) cannot be opened as a soc2bot database: \(what). Point --database at the bot's file, or restore it from a backup."
        case .needsMigration(let path, let pending):
            "\(path) was written by an older soc2bot and lacks migrations \(pending.joined(separator: ", ")); read-only commands never change a database. Back it up, then start `soc2bot run` once to upgrade it."
        case .damaged(let path, let what):
            "\(path): database damaged: \(what). Restore it from a backup; `soc2bot evidence verify` checks the ledger."
        case .unreachable(let location, let what):
            "cannot use the database server \(location): \(what). Check the address and that the server runs; the password comes from PGPASSWORD, ~/.pgpass or the URL."
        }
    }
}

extension StoreError {
    /// Whether `error` came from SQLite itself (disk full, I/O, a constraint or trigger refusing a write, a lock, the
    /// process being stopped mid-write) rather than from soc2bot reading a row it cannot make sense of. After such an
    /// error SQLite may have rolled back the whole transaction, and the write it refused must not be taken as done:
    /// the caller aborts the whole write, so it is retried as if the process had died there.
    package static func isStorageFailure(_ error: any Error) -> Bool {
        error is DatabaseError
    }
}

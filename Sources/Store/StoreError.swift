import Core
import Foundation

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
        }
    }
}

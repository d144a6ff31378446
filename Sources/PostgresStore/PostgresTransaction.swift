import Foundation
import Postgres

/// One transaction on the PostgreSQL store; the counterpart of `StoreTransaction`, with the same method signatures.
/// Valid only inside the `write`/`read` closure that received it.
package final class PostgresTransaction {
    package let connection: PostgresConnection
    /// The head this transaction locked and has moved since (nil until its first append).
    var lockedHead: (seq: Int64, hash: Data, at: String)?

    init(connection: PostgresConnection) {
        self.connection = connection
    }
}

import Foundation

/// What went wrong talking to PostgreSQL. `description` names the server by its redacted URL only: never a password.
package struct PostgresError: Error, Sendable, CustomStringConvertible {
    package enum Kind: Sendable, Equatable {
        /// The connection could not be made (address, authentication, database).
        case connect
        /// The server refused a statement; `sqlState` says why (e.g. `40001` serialization failure, `23505` unique).
        case server
        /// The session is gone (the backend was terminated, the network failed): the connection cannot be used again.
        case connectionLost
        /// A value did not have the type it was read as, or a result had another shape than expected.
        case decoding
        /// No pooled connection became free within the checkout timeout.
        case poolTimeout
        /// The caller used the API in a way it does not support (a transaction inside a transaction).
        case misuse
    }

    package var kind: Kind
    /// The five-character SQLSTATE code the server sent (`server` errors; nil otherwise).
    package var sqlState: String?
    package var message: String
    package var detail: String?
    package var hint: String?

    package init(_ kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil) {
        (self.kind, self.sqlState, self.message, self.detail, self.hint) = (kind, sqlState, message, detail, hint)
    }

    /// A serialization failure (`40001`) or a deadlock (`40P01`): the transaction can be run again from the start.
    package var isTransient: Bool { sqlState == "40001" || sqlState == "40P01" }

    package var description: String {
        var text = "PostgreSQL: " + message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail { text += "; " + detail }
        if let hint { text += "; hint: " + hint }
        return text
    }
}

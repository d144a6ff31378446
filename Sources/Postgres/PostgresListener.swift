import Foundation

/// A session that `LISTEN`s to channels and waits for their notifications (`NOTIFY channel, 'payload'` or
/// `pg_notify`, sent by any session once its transaction commits). A session of its own, as a listening session
/// must not be shared. Not `Sendable`: one thread waits on it.
package final class PostgresListener {
    private let session: PostgresConnection
    package private(set) var channels: [String] = []

    package init(url: String, settings: [String: String] = [:]) throws {
        session = try PostgresConnection(url: url, settings: settings)
    }

    /// Starts listening to `channel` (any name: it is quoted).
    package func listen(_ channel: String) throws {
        try session.execute("LISTEN " + session.quotedIdentifier(channel))
        channels.append(channel)
    }

    /// The next notification, waiting up to `timeout` for one (nil when none came); see
    /// `PostgresConnection.nextNotification(timeout:)`.
    package func next(timeout: Duration) throws -> PostgresNotification? {
        try session.nextNotification(timeout: timeout)
    }

    /// The server process of the listening session.
    package var backendPID: Int32 { session.backendPID }
}

import Foundation

extension PostgresConnection {
    /// Sends `payload` to the listeners of `channel` when the current transaction commits (at once outside one).
    package func notify(_ channel: String, payload: String = "") throws {
        try query("SELECT pg_notify($1, $2)", [.text(channel), .text(payload)])
    }
}

import Foundation
import GRDB

extension StoreTransaction {
    /// Records `key` (a signed request's signature, a Socket Mode envelope id) as seen until `expires`; false when
    /// it is already recorded and not expired — a replay, whether this process or another one on the same database
    /// saw it first, before or after a restart. Expired keys are deleted on the way (an indexed range: cheap), so
    /// the table holds only what arrived within the window.
    package func firstSighting(_ key: String, now: Date, expires: Date) throws -> Bool {
        try db.execute(sql: "DELETE FROM seen_request WHERE expires_at <= ?", arguments: [now.timeIntervalSinceReferenceDate])
        try db.execute(sql: "INSERT INTO seen_request (key, expires_at) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
                       arguments: [key, expires.timeIntervalSinceReferenceDate])
        return db.changesCount == 1
    }

    /// Whether `key` is recorded and has not expired, without recording it.
    package func alreadySeen(_ key: String, now: Date) throws -> Bool {
        try Int.fetchOne(db, sql: "SELECT 1 FROM seen_request WHERE key = ? AND expires_at > ?", arguments: [key, now.timeIntervalSinceReferenceDate]) != nil
    }
}

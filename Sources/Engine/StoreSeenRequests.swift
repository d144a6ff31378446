import Chat
import Foundation
import Store

/// The replay memory in the bot's database (`seen_request`): what a restart or a second process on the same
/// database must still refuse — Slack signatures (HTTP mode) and Socket Mode envelope ids.
package struct StoreSeenRequests: SeenRequests {
    let database: BotDatabase
    package init(database: BotDatabase) { self.database = database }

    package func firstSighting(_ key: String, now: Date, expires: Date) throws -> Bool {
        try database.write { try $0.firstSighting(key, now: now, expires: expires) }
    }

    package func alreadySeen(_ key: String, now: Date) throws -> Bool {
        try database.read { try $0.alreadySeen(key, now: now) }
    }
}

import Core
import Foundation

/// What a platform's inbound code asks of the bot: run a person's command, queue an answer, find the alert a message
/// is, and keep the little state a platform needs (cursors, open questions). `Chat` cannot import Engine or Store;
/// Engine implements this (`EngineChatBot`) over its command handler, database and doorbell. Every call that
/// records something wakes the dispatchers, so what it queued goes out at once.
package protocol ChatBot: Sendable {
    /// The bot's time.
    var clock: any BotClock { get }
    /// The channels (rooms) the manifests route to on `platform`: the teams' channels and the default route.
    func routedChannels(on platform: ChatPlatform) -> Set<String>
    /// Runs `text`, a command the chat user `user` typed on `platform` (`surface` as the ledger names it); the answer
    /// to show. `handled`, when given, is a cursor recorded in the same transaction as what the command records, so a
    /// command seen again after a crash is known to have been acted on.
    func command(_ text: String, from user: String, on platform: ChatPlatform, surface: Surface, handled: String?) throws -> ChatMessage
    /// Queues `message` for `destination` once per `txnID` (the outbox: held while rate-limited, retried, kept across a
    /// restart).
    func reply(_ message: ChatMessage, to destination: ChatDestination, txnID: String) throws
    /// The alert whose message on `platform` in `channel` is `messageID`.
    func alert(messageID: String, platform: ChatPlatform, channel: String) throws -> AlertID?
    /// Messages held for `destination` (not deliverable yet: the bot was not in the room) are due again now.
    func retryPending(to destination: ChatDestination) throws
    func cursor(_ name: String) throws -> String?
    func setCursor(_ name: String, _ value: String) throws
    /// The value of cursor `name`; `value`, recorded first, when it has none.
    func cursor(_ name: String, settingIfUnset value: String) throws -> String
    /// The question the bot asked `sender` in the thread `root`, if still kept.
    func question(sender: String, root: String) throws -> ChatQuestion?
    func ask(_ question: ChatQuestion) throws
    func forget(sender: String, root: String) throws
}

/// A question the bot asked a person in an alert's thread (Matrix's ⏰ "how long and why", ✅ "what was done"), which
/// their next reply in that thread answers.
package struct ChatQuestion: Sendable, Equatable {
    /// The person asked (their chat user id).
    package var sender: String
    /// The alert's message: the thread's root.
    package var root: String
    package var room: String
    /// What the answer completes: the command's verb (`snooze`, `close`).
    package var command: String
    /// After this the question no longer holds: a late reply is told to ask again.
    package var expiresAt: Date

    package init(sender: String, root: String, room: String, command: String, expiresAt: Date) {
        self.sender = sender; self.root = root; self.room = room; self.command = command; self.expiresAt = expiresAt
    }
}

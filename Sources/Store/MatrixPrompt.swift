import Foundation

/// A question the bot asked a person in an alert's Matrix thread (⏰ "how long and why", ✅ "what was done"), which
/// their next reply in that thread answers.
package struct MatrixPrompt: Sendable, Equatable {
    /// How long an expired question is remembered (so a late reply is told it expired), seconds.
    package static let expiredKept: TimeInterval = 7 * 86_400

    /// The person asked (Matrix user id).
    package var sender: String
    /// The alert's event: the thread's root.
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

import Core
import Foundation
import GRDB

/// A question the bot asked a person in an alert's Matrix thread (⏰ "how long and why", ✅ "what was done"), which
/// their next reply in that thread answers.
package struct MatrixPrompt: Sendable, Equatable {
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

extension StoreTransaction {
    /// How long an expired question is remembered (so a late reply is told it expired), seconds.
    package static let expiredMatrixPromptsKept: TimeInterval = 7 * 86_400

    /// Records a question, replacing an earlier one to the same person in the same thread, and forgets questions
    /// expired for longer than `expiredMatrixPromptsKept`.
    package func saveMatrixPrompt(_ prompt: MatrixPrompt, now: Date) throws {
        try db.execute(sql: "DELETE FROM matrix_prompt WHERE expires_at < ?",
                       arguments: [now.addingTimeInterval(-Self.expiredMatrixPromptsKept).timeIntervalSinceReferenceDate])
        try db.execute(sql: "INSERT OR REPLACE INTO matrix_prompt (sender, root, room, kind, expires_at) VALUES (?, ?, ?, ?, ?)",
                       arguments: [prompt.sender, prompt.root, prompt.room, prompt.command, prompt.expiresAt.timeIntervalSinceReferenceDate])
    }

    /// The question asked to `sender` in the thread of `root`, expired or not; nil when none.
    package func matrixPrompt(sender: String, root: String) throws -> MatrixPrompt? {
        try Row.fetchOne(db, sql: "SELECT sender, root, room, kind, expires_at FROM matrix_prompt WHERE sender = ? AND root = ?",
                         arguments: [sender, root]).map { raw in
            let row = StoredRow(raw, table: "matrix_prompt")
            return MatrixPrompt(sender: try row(0), root: try row(1), room: try row(2), command: try row(3), expiresAt: try row.date(4))
        }
    }

    /// Forgets the question (answered, or answered too late).
    package func deleteMatrixPrompt(sender: String, root: String) throws {
        try db.execute(sql: "DELETE FROM matrix_prompt WHERE sender = ? AND root = ?", arguments: [sender, root])
    }
}

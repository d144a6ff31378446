import Foundation
import GRDB

extension SQLiteTransaction: StateRepository {
    // MARK: Cursors

    package func cursor(_ name: String) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM cursor WHERE name = ?"), arguments: [name])
    }

    package func setCursor(_ name: String, _ value: String) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO cursor (name, value) VALUES (?, ?)").execute(arguments: [name, value])
    }

    // MARK: Replay cache

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

    // MARK: Matrix prompts

    /// Records a question, replacing an earlier one to the same person in the same thread, and forgets questions
    /// expired for longer than `MatrixPrompt.expiredKept`.
    package func saveMatrixPrompt(_ prompt: MatrixPrompt, now: Date) throws {
        try db.execute(sql: "DELETE FROM matrix_prompt WHERE expires_at < ?",
                       arguments: [now.addingTimeInterval(-MatrixPrompt.expiredKept).timeIntervalSinceReferenceDate])
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

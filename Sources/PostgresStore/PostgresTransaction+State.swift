import Foundation
import Postgres
import Store

/// Cursors, the replay cache and Matrix prompts on PostgreSQL: `SQLiteTransaction+State`, statement for statement.
extension PostgresTransaction: StateRepository {
    // MARK: Cursors

    package func cursor(_ name: String) throws -> String? {
        try connection.query("SELECT value FROM cursor WHERE name = $1", [.text(name)]).single(String.self, table: "cursor")
    }

    package func setCursor(_ name: String, _ value: String) throws {
        try connection.query("INSERT INTO cursor (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                             [.text(name), .text(value)])
    }

    // MARK: Replay cache

    /// Records `key` as seen until `expires`; false when it is already recorded and not expired (a replay, whichever
    /// replica saw it first). A concurrent first sighting of the same key on another session waits for that
    /// transaction and then finds the key: exactly one of them is first. Expired keys are deleted on the way.
    package func firstSighting(_ key: String, now: Date, expires: Date) throws -> Bool {
        try connection.query("DELETE FROM seen_request WHERE expires_at <= $1", [.double(now.timeIntervalSinceReferenceDate)])
        return try connection.query("INSERT INTO seen_request (key, expires_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                                    [.text(key), .double(expires.timeIntervalSinceReferenceDate)]).affectedRows == 1
    }

    package func alreadySeen(_ key: String, now: Date) throws -> Bool {
        try connection.query("SELECT 1 FROM seen_request WHERE key = $1 AND expires_at > $2",
                             [.text(key), .double(now.timeIntervalSinceReferenceDate)]).rowCount > 0
    }

    // MARK: Matrix prompts

    package func saveMatrixPrompt(_ prompt: MatrixPrompt, now: Date) throws {
        try connection.query("DELETE FROM matrix_prompt WHERE expires_at < $1",
                             [.double(now.addingTimeInterval(-MatrixPrompt.expiredKept).timeIntervalSinceReferenceDate)])
        try connection.query("""
            INSERT INTO matrix_prompt (sender, root, room, kind, expires_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (sender, root) DO UPDATE SET room = excluded.room, kind = excluded.kind, expires_at = excluded.expires_at
            """, [.text(prompt.sender), .text(prompt.root), .text(prompt.room), .text(prompt.command),
                  .double(prompt.expiresAt.timeIntervalSinceReferenceDate)])
    }

    package func matrixPrompt(sender: String, root: String) throws -> MatrixPrompt? {
        try connection.query("SELECT sender, root, room, kind, expires_at FROM matrix_prompt WHERE sender = $1 AND root = $2",
                             [.text(sender), .text(root)]).stored("matrix_prompt").first.map { row in
            MatrixPrompt(sender: try row(0), root: try row(1), room: try row(2), command: try row(3), expiresAt: try row.date(4))
        }
    }

    package func deleteMatrixPrompt(sender: String, root: String) throws {
        try connection.query("DELETE FROM matrix_prompt WHERE sender = $1 AND root = $2", [.text(sender), .text(root)])
    }
}

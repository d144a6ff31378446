import Foundation
import GRDB

/// The embedded SQLite file: how `run`, `demo`, the read-only commands and the tests open the bot's database.
extension BotDatabase {
    /// Opens (creating or migrating) the SQLite file at `path` for the bot; see `SQLiteBackend.open(path:)`.
    package static func open(path: String) throws -> BotDatabase {
        BotDatabase(backend: try SQLiteBackend.open(path: path))
    }

    /// Opens an existing SQLite file without changing it; see `SQLiteBackend.openReadOnly(path:)`.
    package static func openReadOnly(path: String) throws -> BotDatabase {
        BotDatabase(backend: try SQLiteBackend.openReadOnly(path: path))
    }

    /// An in-memory SQLite database, for tests.
    package static func inMemory() throws -> BotDatabase {
        BotDatabase(backend: try SQLiteBackend.inMemory())
    }

    /// The SQLite database behind `writer`, migrated forward (tests hand in their own queue).
    package init(writer: any DatabaseWriter, path: String) throws {
        self.init(backend: try SQLiteBackend(writer: writer, path: path))
    }

    /// The GRDB connection of an SQLite database, for tests that look at or damage the file's SQL directly; any
    /// other backend throws.
    package var writer: any DatabaseWriter {
        get throws {
            guard let sqlite = backend as? SQLiteBackend else { throw StoreError.notFound("an SQLite connection in \(path)") }
            return sqlite.writer
        }
    }
}

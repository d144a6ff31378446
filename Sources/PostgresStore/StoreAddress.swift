import Foundation
import Postgres
import Store

/// Where the bot's database is, as `--database` names it, and the one place such a name becomes a `BotDatabase`:
/// a path (or `sqlite:PATH`) is the embedded SQLite file; `postgres://…` or `postgresql://…` is a PostgreSQL database
/// (TLS, `PG*` variables and passwords as libpq does them: `PGPASSWORD`, `~/.pgpass`, or the URL). It lives beside
/// the PostgreSQL store because this is the module that sees both stores.
///
/// `description` never shows a password: a URL's is printed as `***`.
package enum StoreAddress: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    /// Reads `--database`'s value; never fails (anything not a PostgreSQL URL is a file path).
    package init(_ text: String) {
        let lowered = text.lowercased()
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else if lowered.hasPrefix("sqlite://") {
            self = .sqlite(path: String(text.dropFirst("sqlite://".count)))
        } else if lowered.hasPrefix("sqlite:") {
            self = .sqlite(path: String(text.dropFirst("sqlite:".count)))
        } else {
            self = .sqlite(path: text)
        }
    }

    /// The file's path, or the URL with any password as `***`.
    package var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let url): PostgresURL.redacted(url)
        }
    }

    package var isPostgres: Bool { if case .postgres = self { true } else { false } }

    /// Whether there may be a database to read: an SQLite file that exists; a server's database is asked when opened.
    package var mayExist: Bool {
        switch self {
        case .sqlite(let path): FileManager.default.fileExists(atPath: path)
        case .postgres: true
        }
    }

    /// What the command does with the database.
    package enum Access: Sendable {
        /// The bot (`run`, `demo`) or a copy's target: created when missing, migrated forward.
        case readWrite
        /// A command that only reads: never created, migrated or changed.
        case readOnly
    }

    /// Opens the database. Refused with a `StoreError` naming it (a URL's password as `***`): what is not a usable
    /// soc2bot database, one from a newer build, and, for `readOnly`, one that does not exist or needs migrating; a
    /// server that cannot be reached or refuses the login (`StoreError.unreachable`).
    package func open(_ access: Access) throws -> BotDatabase {
        switch (self, access) {
        case (.sqlite(let path), .readWrite): try BotDatabase.open(path: path)
        case (.sqlite(let path), .readOnly): try BotDatabase.openReadOnly(path: path)
        case (.postgres(let url), .readWrite): BotDatabase(backend: try PostgresBackend.open(url: url))
        case (.postgres(let url), .readOnly): BotDatabase(backend: try PostgresBackend.openReadOnly(url: url))
        }
    }
}

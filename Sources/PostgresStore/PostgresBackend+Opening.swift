import Foundation
import Postgres
import Store

/// Opening a PostgreSQL database for a command: for the bot (migrated), or for reading only (checked, never changed),
/// with what goes wrong phrased as the SQLite store phrases it (`StoreError`, exit 2 in the CLI).
extension PostgresBackend {
    /// Opens `url` for a command that only reads (`status`, `metrics`, `evidence verify`, …): nothing is created or
    /// migrated. Refused with a `StoreError` naming the server (its password as `***`): a database without soc2bot's
    /// tables (`missing`), someone else's (`foreignDatabase`), one from a newer build (`unknownSchema`) and one an older
    /// build left unmigrated (`needsMigration`); a server that cannot be reached or refuses the login is
    /// `unreachable`.
    package static func openReadOnly(url: String, settings: [String: String] = [:], poolSize: Int = 2) throws -> PostgresBackend {
        try opening(url, settings: settings) {
            let backend = PostgresBackend(database: try PostgresDatabase(url: url, settings: settings, poolSize: poolSize, migrating: false),
                                          url: url, settings: settings)
            try backend.database.pool.withConnection { connection in
                let location = backend.location
                let tables = try connection.query("""
                    SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1
                    """).rows.map { try $0.decode(String.self, at: 0) }
                guard tables.contains("soc2bot_migration") else {
                    if tables.isEmpty { throw StoreError.missing(path: location) }
                    throw StoreError.foreignDatabase(path: location, tables: tables)
                }
                let applied = Set(try connection.query("SELECT name FROM soc2bot_migration").rows.map { try $0.decode(String.self, at: 0) })
                let known = PostgresSchema.migrations.map(\.name)
                let unknown = applied.subtracting(known).sorted()
                if !unknown.isEmpty { throw StoreError.unknownSchema(path: location, unknownMigrations: unknown) }
                let pending = known.filter { !applied.contains($0) }
                if !pending.isEmpty { throw StoreError.needsMigration(path: location, pending: pending) }
            }
            return backend
        }
    }

    /// Opens `url` for the bot (`run`, `demo`, the target of `store copy`), migrating it, with the errors of
    /// `openReadOnly`.
    package static func open(url: String, settings: [String: String] = [:], poolSize: Int = 4) throws -> PostgresBackend {
        try opening(url, settings: settings) { try PostgresBackend(url: url, settings: settings, poolSize: poolSize) }
    }

    init(database: PostgresDatabase, url: String, settings: [String: String]) {
        self.database = database
        let keywords = settings    // libpq's connection keywords, not a source's settings
        location = PostgresURL.redacted(url) + (keywords["dbname"].map { " (database \($0))" } ?? "")
        claimer = "replica-" + UUID().uuidString.lowercased()
        outboxChanges = PostgresOutboxChanges(url: url, settings: settings)
    }

    /// Runs `body`, turning libpq's and the server's errors into `StoreError`s that name the server.
    private static func opening<T>(_ url: String, settings: [String: String], _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError {
            let location = PostgresURL.redacted(url)
            switch error.kind {
            case .connect, .connectionLost, .poolTimeout:
                throw StoreError.unreachable(location: location, what: error.message)
            case .server, .decoding, .misuse:
                throw StoreError.unreadable(path: location, what: error.description)
            }
        }
    }
}

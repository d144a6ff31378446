import Foundation
import GRDB

/// Opening database files: creating one safely, reading one without changing it, and refusing, with the file
/// named, whatever is not a usable soc2bot database.
extension SQLiteBackend {
    /// Opens an existing soc2bot database for commands that only read (`status`, `alerts`, `metrics`, `digest`,
    /// `check`, `evidence verify|export|exceptions`). It never creates, migrates, switches the journal mode of or
    /// writes to the file: the file stays byte for byte as it was. Refused with a `StoreError` naming the file: no
    /// file, a directory, an empty or damaged file, someone else's database, one from a newer build, and one an
    /// older build wrote that needs migrating (`run` migrates it).
    package static func openReadOnly(path: String) throws -> SQLiteBackend {
        try naming(path, opening: true) {
            guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missing(path: path) }
            try refuseDirectoryOrEmptyFile(path)
            let queue = try DatabaseQueue(path: path, configuration: readOnlyConfiguration)
            _ = try queue.read { db in try checkSchema(db, path: path, allowPending: false) }
            return SQLiteBackend(opened: queue, path: path)
        }
    }

    /// The bot's connections: durable against power loss, not only a killed process (this holds audit evidence),
    /// and waiting up to 10 s for another process's lock rather than failing at once.
    static var writerConfiguration: Configuration {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        configuration.busyMode = .timeout(10)
        return configuration
    }

    /// Read-only connections (the look before opening, and read-only commands): they wait for the bot's locks too.
    /// A reader with no busy timeout failed with "database is locked" while `run` set up a new file, and the bot's
    /// own look at the file did the same when a reader held it.
    static var readOnlyConfiguration: Configuration {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        return configuration
    }

    /// Makes a new database at `path` in one step: built complete (WAL mode, every migration) under a temporary name
    /// beside it, then linked into place, so no other process ever meets a half-made file still in rollback-journal
    /// mode. When another process created `path` meanwhile, theirs is kept.
    static func create(_ path: String) throws {
        let temporary = path + ".new-" + UUID().uuidString.prefix(8).lowercased()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: temporary + suffix) } }
        let pool = try DatabasePool(path: temporary, configuration: writerConfiguration)
        _ = try SQLiteBackend(writer: pool, path: path)
        try pool.close()
        if link(temporary, path) != 0 && errno != EEXIST {
            throw StoreError.unreadable(path: path, what: "it cannot be created (\(String(cString: strerror(errno))))")
        }
    }

    /// An existing path that holds no database: a directory, or an empty file (left by `touch`, a full disk or a
    /// failed copy), which SQLite would silently treat as a new database.
    static func refuseDirectoryOrEmptyFile(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        if isDirectory.boolValue { throw StoreError.unreadable(path: path, what: "it is a directory") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        if size == 0 { throw StoreError.unreadable(path: path, what: "it is empty (0 bytes); remove it to start a new database") }
    }

    /// Refuses what this build must not touch: an SQLite file without tables when `allowPending` is false (a new
    /// file is fine for the bot), someone else's database, one a newer build migrated, and, unless `allowPending`,
    /// one an older build left unmigrated. Returns the migrations still to apply; with none, checks the structure.
    static func checkSchema(_ db: Database, path: String, allowPending: Bool) throws -> [String] {
        let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        if tables.isEmpty {
            guard allowPending else { throw StoreError.unreadable(path: path, what: "it has no tables (not a soc2bot database)") }
            return migrator.migrations
        }
        guard tables.contains("grdb_migrations") else { throw StoreError.foreignDatabase(path: path, tables: tables) }
        let applied = try migrator.appliedIdentifiers(db)
        let known = Set(migrator.migrations)
        // Another GRDB application's database has migrations too, none of them ours.
        if !applied.isEmpty && applied.isDisjoint(with: known) { throw StoreError.foreignDatabase(path: path, tables: tables) }
        let unknown = applied.subtracting(known).sorted()
        if !unknown.isEmpty { throw StoreError.unknownSchema(path: path, unknownMigrations: unknown) }
        let pending = migrator.migrations.filter { !applied.contains($0) }
        if !pending.isEmpty {
            guard allowPending else { throw StoreError.needsMigration(path: path, pending: pending) }
            return pending
        }
        try checkStructure(db, path: path)
        return []
    }

    /// Every table this build's migrations create is there with all its columns (one dropped or renamed outside
    /// soc2bot is named here, not met later as "no such table" halfway through a command).
    static func checkStructure(_ db: Database, path: String) throws {
        let actual = try structure(db)
        for (table, columns) in expectedStructure.sorted(by: { $0.key < $1.key }) {
            guard let present = actual[table] else {
                throw StoreError.unreadable(path: path, what: "table \(table) is missing (dropped or renamed outside soc2bot)")
            }
            let missing = columns.filter { !present.contains($0) }
            if !missing.isEmpty {
                throw StoreError.unreadable(path: path, what: "table \(table) lacks column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", "))")
            }
        }
    }

    /// The tables and columns this build's migrations create, measured once on an in-memory database.
    private static let expectedStructure: [String: [String]] = {
        guard let queue = try? DatabaseQueue(), (try? migrator.migrate(queue)) != nil,
              let tables = try? queue.read({ try structure($0) }) else { return [:] }
        return tables
    }()

    private static func structure(_ db: Database) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") {
            result[table] = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [table])
        }
        return result
    }

    /// SQLite's answers that mean the file itself is unusable (damaged pages, not a database, unreadable, full).
    private static let fileErrors: [ResultCode] = [.SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_CANTOPEN, .SQLITE_IOERR, .SQLITE_FULL]

    /// Runs `body`, naming `path` in the errors that are about the file: while opening, every SQLite error and an
    /// unreadable row make the file `unreadable`; afterwards, damaged pages and unreadable rows make it `damaged`.
    /// A command reports either with exit 2, never a trap or a bare "SQLite error 11".
    static func naming<T>(_ path: String, opening: Bool, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch StoreError.corrupt(let what) {
            throw opening ? StoreError.unreadable(path: path, what: what) : StoreError.damaged(path: path, what: what)
        } catch let error as DatabaseError where opening || fileErrors.contains(error.resultCode) {
            let what = error.message ?? "\(error.resultCode)"
            throw opening ? StoreError.unreadable(path: path, what: what) : StoreError.damaged(path: path, what: what)
        }
    }
}

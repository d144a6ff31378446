import Core
import Foundation
import GRDB
import Synchronization

/// The bot's SQLite database (WAL, through GRDB), the embedded default: alerts, resource tracks, check runs, outbox,
/// cursors and the evidence ledger. Opening migrates a soc2bot database forward and refuses one this build does not
/// understand.
package struct SQLiteBackend: StoreBackend {
    package let writer: any DatabaseWriter
    package let path: String
    /// Alert and track bodies decoded lately, by their bytes (`DecodedRows`): a step re-reads them unchanged.
    let decoded = DecodedRows()
    /// `latestAppendHere`, kept after each committed write.
    private let appended = LatestAppend()

    package var location: String { path }

    /// Opens the database file at `path` for the bot (`run`, `demo`) in WAL mode: a missing file is created complete
    /// before anyone else can see it (`create`), an older soc2bot database is migrated forward. Anything that is not
    /// a usable soc2bot database is refused with a `StoreError` naming the file. Read-only commands use `openReadOnly`.
    package static func open(path: String) throws -> SQLiteBackend {
        try Self.naming(path, opening: true) {
            if !FileManager.default.fileExists(atPath: path) { try create(path) }
            try refuseDirectoryOrEmptyFile(path)
            // Look before opening a pool: a pool switches the file to WAL, and someone else's database must be
            // refused untouched.
            let queue = try DatabaseQueue(path: path, configuration: readOnlyConfiguration)
            _ = try queue.read { db in try checkSchema(db, path: path, allowPending: true) }
            try queue.close()
            let pool = try DatabasePool(path: path, configuration: writerConfiguration)
            // GRDB sets `synchronous = NORMAL` on the writer when it switches to WAL, after `prepareDatabase`.
            try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
            let database = try SQLiteBackend(writer: pool, path: path)
            try pool.read { try checkStructure($0, path: path) }
            return database
        }
    }

    /// An in-memory database, for tests.
    package static func inMemory() throws -> SQLiteBackend {
        try SQLiteBackend(writer: try DatabaseQueue(), path: ":memory:")
    }

    /// The database behind `writer`, migrated forward (an empty one gets every migration).
    package init(writer: any DatabaseWriter, path: String) throws {
        self.writer = writer
        self.path = path
        try migrate()
    }

    /// A database opened as it is, neither checked nor migrated (`openReadOnly` checks it).
    init(opened writer: any DatabaseWriter, path: String) {
        self.writer = writer
        self.path = path
    }

    package func migrate() throws {
        try writer.write { db in
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            if !tables.isEmpty && !tables.contains("grdb_migrations") {
                throw StoreError.foreignDatabase(path: path, tables: tables)
            }
            if try Self.migrator.hasBeenSuperseded(db) {
                let applied = try Self.migrator.appliedIdentifiers(db)
                let unknown = applied.subtracting(Self.migrator.migrations).sorted()
                throw StoreError.unknownSchema(path: path, unknownMigrations: unknown)
            }
        }
        try Self.migrator.migrate(writer)
    }

    /// Runs `body` in one write transaction: everything in it lands together or not at all.
    package func write<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        let scope = WriteScope()
        let value = try Self.naming(path, opening: false) { try writer.write { db in try body(SQLiteTransaction(db: db, decoded: decoded, scope: scope)) } }
        // The entry's time as stored (to the millisecond), as `ledgerHeadTime` would read it.
        if let text = scope.ledgerHead?.at, let at = TimeText.parse(text) { appended.note(at) }
        return value
    }

    package var latestAppendHere: Date? { appended.latest }

    package func changeMark() throws -> StoreChangeMark? {
        try Self.naming(path, opening: false) {
            try writer.writeWithoutTransaction { db in try SQLiteTransaction(db: db).changeMark() }
        }
    }

    /// Runs `body` on a consistent read snapshot. On a pool (the bot's file), one of its read-only connections in a
    /// deferred transaction begun and ended by statements prepared once on that connection: GRDB's `read` prepares its
    /// `BEGIN`, `COMMIT` and two `query_only` pragmas from their text each time, which was most of what a small read
    /// cost (a step does several). The connection is opened read-only, so nothing is lost by not setting `query_only`.
    /// Within `BotDatabase.readingAfterOwnWrites` (the bot's own works), the same deferred transaction on the writer
    /// connection (`ReadPlacement`).
    package func read<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        try Self.naming(path, opening: false) {
            guard let pool = writer as? DatabasePool else {
                return try writer.read { db in try body(SQLiteTransaction(db: db, decoded: decoded)) }
            }
            if ReadPlacement.onWriter {
                return try pool.writeWithoutTransaction { db in
                    // The writer connection is not read-only: a read that changed anything is refused as a reader
                    // connection would have refused it, and rolled back.
                    let changes = db.totalChangesCount
                    return try snapshot(db) { tx in
                        let value = try body(tx)
                        if db.totalChangesCount != changes {
                            throw DatabaseError(resultCode: .SQLITE_READONLY, message: "a read transaction tried to write to the database")
                        }
                        return value
                    }
                }
            }
            return try pool.unsafeRead { db in try snapshot(db, body) }
        }
    }

    /// `body` in a deferred transaction of `db`, begun and ended by statements prepared once on that connection.
    private func snapshot<T>(_ db: Database, _ body: (StoreTransaction) throws -> T) throws -> T {
        try db.cachedStatement(sql: "BEGIN DEFERRED TRANSACTION").execute()
        let value: T
        do {
            value = try body(SQLiteTransaction(db: db, decoded: decoded))
        } catch {
            if db.isInsideTransaction { try? db.cachedStatement(sql: "ROLLBACK TRANSACTION").execute() }
            throw error
        }
        try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
        return value
    }

    package func close() throws {
        try writer.close()
    }
}

/// The latest moment appended at by this process's committed writes (`StoreBackend.latestAppendHere`).
private final class LatestAppend: Sendable {
    private let moment = Mutex<Date?>(nil)
    func note(_ at: Date) { moment.withLock { $0 = max($0 ?? at, at) } }
    var latest: Date? { moment.withLock { $0 } }
}

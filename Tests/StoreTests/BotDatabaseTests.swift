import Core
import Foundation
import GRDB
import Store
import Testing
import TestSupport

/// Opening a file: soc2bot's own database migrates forward; anything it does not understand is refused, untouched.
@Suite("Schema guard")
struct BotDatabaseTests {
    @Test func newFileIsCreatedInWALModeWithFullSync() throws {
        try withTemporaryDirectory { dir in
            let database = try Sample.fileDatabase(in: dir)

            let (journal, sync) = try database.writer.read { db in
                (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
            }
            #expect(journal == "wal")
            #expect(sync == 2) // FULL
            let tables = try database.writer.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") }
            #expect(Set(tables).isSuperset(of: ["alert", "alert_message", "check_run", "cursor", "grdb_migrations", "ledger", "outbox", "resource_track"]))
        }
    }

    /// The bot's own works read on the connection that writes (`BotDatabase.readingAfterOwnWrites`): they see what was
    /// written last, may not write in a read (refused as a read-only connection refuses it, nothing kept), and a read
    /// inside a write still runs (on a reader connection: the writer is busy with the write).
    @Test func readsOnTheWritersConnectionSeeTheLastWriteAndMayNotWrite() async throws {
        try await withTemporaryDirectory { dir in
            let database = try Sample.fileDatabase(in: dir)
            try await BotDatabase.readingAfterOwnWrites {
                #expect(ReadPlacement.onWriter)
                try database.write { try $0.setCursor("placement", "one") }
                #expect(try database.read { try $0.cursor("placement") } == "one")
                #expect(throws: DatabaseError.self) { try database.read { try $0.setCursor("placement", "two") } }
                #expect(try database.read { try $0.cursor("placement") } == "one")
                let inside = try database.write { tx in
                    try tx.setCursor("placement", "three")
                    #expect(!ReadPlacement.onWriter)
                    return try database.read { try $0.cursor("placement") }
                }
                #expect(inside == "one")
                #expect(try database.read { try $0.cursor("placement") } == "three")
            }
            #expect(!ReadPlacement.onWriter)
        }
    }

    /// A read the bot's works make ahead (`readAhead`: at the end of their writes) is answered from that write only
    /// while nothing was written since: a write through another handle of the file (another process) or by another
    /// task of this process is seen by the next ask.
    @Test func aReadMadeAheadSeesEveryWriteSinceWhoeverMadeIt() async throws {
        try await withTemporaryDirectory { dir in
            let database = try Sample.fileDatabase(in: dir)
            let another = try BotDatabase.open(path: dir.appendingPathComponent("bot.sqlite").path)
            let ask: @Sendable () async throws -> String? = {
                try await BotDatabase.readingAfterOwnWrites { try database.readAhead("the cursor") { try $0.cursor("ahead") } }
            }
            // A write of the loop's works (which read at the end of their writes)
            let work: @Sendable (String, String) async throws -> Void = { name, value in
                try await BotDatabase.readingAfterOwnWrites {
                    try await ReadPlacement.$endOfWrite.withValue(WorkReads(database: database)) {
                        try database.write { try $0.setCursor(name, value) }
                    }
                }
            }
            #expect(try await ask() == nil)
            try await work("ahead", "mine")
            #expect(try await ask() == "mine")
            #expect(try await ask() == "mine")
            try another.write { try $0.setCursor("ahead", "another process's") }
            #expect(try await ask() == "another process's")
            try await work("unrelated", "x")
            #expect(try await ask() == "another process's")
            try database.write { try $0.setCursor("ahead", "another task's") }
            #expect(try await ask() == "another task's")
            try await work("unrelated", "y")
            try await database.writer.write { try $0.execute(sql: "UPDATE cursor SET value = 'behind its back' WHERE name = 'ahead'") }
            #expect(try await ask() == "behind its back")
        }
    }

    /// The connection that writes is the one that must sync fully: GRDB sets `synchronous = NORMAL` on the writer when
    /// it switches a pool to WAL, after the configuration's own set-up, and only the readers kept FULL.
    @Test func theWritingConnectionSyncsFully() throws {
        try withTemporaryDirectory { dir in
            for _ in 1...2 {   // a new file, then the same file reopened
                let database = try Sample.fileDatabase(in: dir)
                #expect(try database.writer.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2)
            }
        }
    }

    /// A read-only opening never creates, migrates or switches a file: a missing one, one an older build wrote and an
    /// empty one are refused, each left exactly as it was.
    @Test func openingReadOnlyRefusesWhatItCannotReadAndChangesNothing() throws {
        try withTemporaryDirectory { dir in
            let missing = dir.appendingPathComponent("missing.sqlite").path
            #expect(throws: StoreError.missing(path: missing)) { try BotDatabase.openReadOnly(path: missing) }
            #expect(!FileManager.default.fileExists(atPath: missing))

            let older = dir.appendingPathComponent("older.sqlite").path
            let queue = try DatabaseQueue(path: older)
            try SQLiteBackend.migrator.migrate(queue, upTo: "v2-alert-message-lookup")
            try queue.close()
            let bytes = try Data(contentsOf: URL(fileURLWithPath: older))
            let pending = SQLiteBackend.migrator.migrations.drop { $0 != "v3-alert-timer" }
            #expect(throws: StoreError.needsMigration(path: older, pending: Array(pending))) { try BotDatabase.openReadOnly(path: older) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: older)) == bytes)

            let empty = dir.appendingPathComponent("empty.sqlite").path
            _ = FileManager.default.createFile(atPath: empty, contents: Data())
            #expect(throws: StoreError.unreadable(path: empty, what: "it is empty (0 bytes); remove it to start a new database")) { try BotDatabase.openReadOnly(path: empty) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: empty)).isEmpty)

            // A soc2bot database reads as it is, and refuses writes.
            let good = try Sample.fileDatabase(in: dir)
            try good.write { try $0.setCursor("slack.events", "42") }
            let reader = try BotDatabase.openReadOnly(path: good.path)
            #expect(try reader.read { try $0.cursor("slack.events") } == "42")
            #expect(throws: (any Error).self) { try reader.write { try $0.setCursor("slack.events", "43") } }
        }
    }

    @Test func reopeningAGoodDatabaseKeepsItsDataAndMigratesNothingTwice() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("bot.sqlite").path
            let migrations: [String]
            do {
                let database = try BotDatabase.open(path: path)
                try database.write { tx in
                    try tx.setCursor("slack.events", "42")
                    try tx.appendEvidence(kind: "note", subject: nil, at: Sample.t0, data: Note(n: 1))
                }
                migrations = try database.writer.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") }
            }

            for _ in 1...2 {
                let reopened = try BotDatabase.open(path: path)
                #expect(try reopened.read { try $0.cursor("slack.events") } == "42")
                #expect(try reopened.read { try $0.verifyLedger() }.isIntact)
                #expect(try reopened.writer.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") } == migrations)
            }
            #expect(!migrations.isEmpty)
        }
    }

    @Test func databaseFromANewerVersionIsRefused() throws {
        try withTemporaryDirectory { dir in
            // Given a soc2bot database that a newer build migrated further
            let path = dir.appendingPathComponent("bot.sqlite").path
            do { _ = try BotDatabase.open(path: path) }
            let queue = try DatabaseQueue(path: path)
            try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')") }
            try queue.close()

            // When this build opens it, then it refuses and names the migration it does not know
            let error = #expect(throws: StoreError.self) { try BotDatabase.open(path: path) }
            #expect(error == .unknownSchema(path: path, unknownMigrations: ["v99-from-the-future"]))
            #expect(error?.description.contains("v99-from-the-future") == true)
        }
    }

    @Test func someoneElsesSQLiteFileIsRefusedWithoutAddingTables() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("crm.sqlite").path
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE orders (id INTEGER PRIMARY KEY)")
            }
            try queue.close()

            let error = #expect(throws: StoreError.self) { try BotDatabase.open(path: path) }

            guard case .foreignDatabase(let reportedPath, let tables) = error else {
                Issue.record("expected foreignDatabase, got \(String(describing: error))")
                return
            }
            #expect(reportedPath == path)
            #expect(tables.sorted() == ["customers", "orders"])
            // Nothing was created in the foreign file.
            let after = try DatabaseQueue(path: path)
            let names = try after.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") }
            #expect(names == ["customers", "orders"])
            // Nor was its journal mode switched to WAL.
            #expect(try after.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "delete")
            try after.close()
        }
    }

    @Test func emptyInMemoryDatabaseMigrates() throws {
        let database = try BotDatabase.inMemory()
        #expect(try database.read { try $0.alerts() }.isEmpty)
        #expect(try database.read { try $0.outboxDepth() } == 0)
    }
}

/// What a loop's work reads at the end of its writes (nothing of its own here): its writes read ahead.
private struct WorkReads: WriteEndReading {
    let database: BotDatabase
    func reads(_ database: BotDatabase) -> Bool { database.isSame(as: self.database) }
    func read(_ transaction: StoreTransaction) throws -> any Sendable { 0 }
    func committed(_ read: any Sendable, writesAfter: Int) {}
}

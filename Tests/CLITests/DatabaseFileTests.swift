import Foundation
import GRDB
import Store
import Testing
import TestSupport

/// Database files that are missing, empty, not SQLite, damaged, someone else's, or edited outside soc2bot, given to
/// the real binary: every command that opens one names the file and what is wrong, and exits 2 (docs/cli.md's
/// "database cannot be opened"), never a trap, a hang, or exit 1 (which means manifest problems). A read-only
/// command never changes the file it is given.
@Suite("Database files (real binary)", .serialized)
struct DatabaseFileTests {
    /// A hang fails the case rather than stalling the suite; every case takes well under a second.
    static let watchdog: TimeInterval = 20

    /// What was done to the file.
    enum Damage: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case missing, zeroLength, randomBytes, plainText, directory, truncated, headerFlipped, schemaPageFlipped
        case tableDropped, tableRenamed, columnDropped, foreignSQLite, otherGRDBApplication

        var testDescription: String { rawValue }

        /// Makes the file at `path` (`demo` is a good demo database to start from).
        func apply(path: String, demo: String) throws {
            let fm = FileManager.default
            switch self {
            case .missing: break
            case .zeroLength: try Data().write(to: URL(fileURLWithPath: path))
            case .randomBytes:
                var generator = SplitMix(seed: 42)
                try Data((0..<65_536).map { _ in UInt8(truncatingIfNeeded: generator.next()) }).write(to: URL(fileURLWithPath: path))
            case .plainText: try String(repeating: "organisation: Northwind Analytics\n", count: 200).write(toFile: path, atomically: true, encoding: .utf8)
            case .directory: try fm.createDirectory(atPath: path, withIntermediateDirectories: false)
            case .truncated:
                let data = try Data(contentsOf: URL(fileURLWithPath: demo))
                try data.prefix(data.count / 10).write(to: URL(fileURLWithPath: path))
            case .headerFlipped, .schemaPageFlipped:
                var data = try Data(contentsOf: URL(fileURLWithPath: demo))
                // The magic string, or page 1's b-tree header (which holds the schema table).
                let range = self == .headerFlipped ? 0..<16 : 100..<108
                for i in range { data[i] ^= 0xFF }
                try data.write(to: URL(fileURLWithPath: path))
            case .tableDropped, .tableRenamed, .columnDropped:
                try fm.copyItem(atPath: demo, toPath: path)
                let queue = try DatabaseQueue(path: path)
                try queue.write { db in
                    switch self {
                    case .tableDropped: try db.execute(sql: "DROP TABLE check_run")
                    case .tableRenamed: try db.execute(sql: "ALTER TABLE alert RENAME TO alert_old")
                    default: try db.execute(sql: "ALTER TABLE outbox DROP COLUMN last_error")
                    }
                }
                try queue.close()
            case .foreignSQLite, .otherGRDBApplication:
                let queue = try DatabaseQueue(path: path)
                try queue.write { db in
                    try db.execute(sql: "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Ada')")
                    if self == .otherGRDBApplication {
                        try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY); INSERT INTO grdb_migrations VALUES ('createCustomers')")
                    }
                }
                try queue.close()
            }
        }
    }

    static let readOnlyCommands: [[String]] = [["status"], ["alerts"], ["evidence", "verify"], ["metrics"]]

    @Test(arguments: Damage.allCases)
    func everyCommandRefusesAnUnusableFileWithExitTwoAndNamesIt(_ damage: Damage) async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let demo = try await Self.demoDatabase(in: dir)
        let path = dir.appendingPathComponent("given.sqlite").path
        try damage.apply(path: path, demo: demo)
        let before = Self.fingerprint(path)

        // `run` creates a missing file: that case is the read-only commands' alone.
        let commands = Self.readOnlyCommands + (damage == .missing ? [] : [["run"]])
        for command in commands {
            let result = try await CLI.run(command + ["--manifests", "manifests/demo", "--database", path], watchdog: Self.watchdog)
            let what = "\(command.joined(separator: " ")) on \(damage): exit \(result.status)\n\(result.stderr.suffix(600))"
            #expect(!result.signalled && !result.hung, "\(what)")
            #expect(result.status == 2, "\(what)")
            #expect(result.stderr.contains(path), "the message names the file: \(what)")
            #expect(!result.stderr.contains("Fatal error"), "\(what)")
            if command != ["run"] {
                #expect(Self.fingerprint(path) == before, "a read-only command changed the file: \(what)")
            }
        }
        if damage == .missing {
            #expect(!FileManager.default.fileExists(atPath: path), "a read-only command created a database")
        }
    }

    /// A value edited outside soc2bot (repro #5): the command names the table and the row, never traps.
    struct EditedValue: CustomTestStringConvertible, Sendable {
        var table: String
        var assignment: String
        /// Commands that read the value and must refuse it.
        var commands: [[String]]
        var testDescription: String { "\(table) SET \(assignment)" }
    }

    static let editedValues = [
        EditedValue(table: "check_run", assignment: "at = 'garbage'", commands: [["status"], ["run"]]),
        EditedValue(table: "check_run", assignment: "at = 1e300", commands: [["status"], ["run"]]),
        EditedValue(table: "check_run", assignment: "failed = 'NaN'", commands: [["status"]]),
        EditedValue(table: "check_run", assignment: "passed = '{}'", commands: [["status"]]),
        EditedValue(table: "alert", assignment: "body = 'not json'", commands: [["status"], ["alerts"], ["run"]]),
        EditedValue(table: "alert", assignment: "failing_since = 'soon'", commands: [["metrics", "--from", "2026-03-01", "--to", "2026-03-08"]]),
    ]

    @Test(arguments: editedValues)
    func aValueEditedOutsideSoc2botIsNamedByTableAndRow(_ edit: EditedValue) async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try await Self.demoDatabase(in: dir)
        let queue = try DatabaseQueue(path: path)
        let row = try await queue.write { db in
            let id = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM \(edit.table)") ?? 0
            try db.execute(sql: "UPDATE \(edit.table) SET \(edit.assignment) WHERE id = ?", arguments: [id])
            return id
        }
        try queue.close()

        for command in edit.commands {
            let result = try await CLI.run(command + ["--manifests", "manifests/demo", "--database", path], watchdog: Self.watchdog)
            let what = "\(command.joined(separator: " ")): exit \(result.status)\n\(result.stderr.suffix(600))"
            #expect(!result.signalled && !result.hung, "\(what)")
            #expect(result.status == 2, "\(what)")
            #expect(result.stderr.contains("\(path): database damaged: table \(edit.table), row \(row)"), "\(what)")
        }
    }

    /// `status`, `alerts`, `metrics`, `evidence verify`, `digest` and `evidence exceptions` leave a database exactly as
    /// they found it: a good one (in WAL mode, as the bot leaves it), one an older build wrote (refused: `run` migrates
    /// it), and one left empty (refused) — never switched to WAL, migrated or given a schema.
    @Test func aReadOnlyCommandNeverChangesTheFileItIsGiven() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = try await Self.demoDatabase(in: dir)
        let older = dir.appendingPathComponent("older.sqlite").path
        let queue = try DatabaseQueue(path: older)
        try SQLiteBackend.migrator.migrate(queue, upTo: "v2-alert-message-lookup")
        try queue.close()
        let empty = dir.appendingPathComponent("empty.sqlite").path
        try Data().write(to: URL(fileURLWithPath: empty))

        let commands = Self.readOnlyCommands + [["digest", "--preview", "--at", "2026-03-03"],
                                                ["evidence", "exceptions", "--from", "2026-03-01", "--to", "2026-03-08"]]
        for (path, expected) in [(good, Int32(0)), (older, 2), (empty, 2)] {
            let before = Self.fingerprint(path)
            for command in commands {
                let result = try await CLI.run(command + ["--manifests", "manifests/demo", "--database", path], watchdog: Self.watchdog)
                let what = "\(command.joined(separator: " ")) on \(path): exit \(result.status)\n\(result.stderr.suffix(600))"
                #expect(result.status == expected, "\(what)")
                #expect(Self.fingerprint(path) == before, "the file changed: \(what)")
                if path == older {
                    #expect(result.stderr.contains("lacks migrations v3-alert-timer") && result.stderr.contains("soc2bot run"), "\(what)")
                }
            }
        }
        let journal = try await DatabaseQueue(path: older).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(journal == "delete", "the older file was switched to WAL")
    }

    /// `soc2bot run` starting on a new file while `alerts` and `status` open the same path: the readers never stop the
    /// bot ("SQLite error 5: database is locked" in the bot's start-up), and a reader that comes before the file is
    /// complete is told there is no database yet rather than creating or migrating it.
    @Test func readersOpeningANewDatabaseNeverStopTheBotStarting() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for attempt in 1...8 {
            let path = dir.appendingPathComponent("race-\(attempt).sqlite").path
            let bot = try CLI.RunningBot(manifests: "manifests/demo", database: path, logLevel: "notice")
            let readers = try await withThrowingTaskGroup(of: CLI.Result.self) { group in
                for index in 0..<4 {
                    let command = index == 0 ? ["status", "--manifests", "manifests/demo"] : ["alerts"]
                    group.addTask { try await CLI.run(command + ["--database", path], watchdog: Self.watchdog) }
                }
                return try await group.reduce(into: [CLI.Result]()) { $0.append($1) }
            }
            for reader in readers {
                #expect(reader.status == 0 || (reader.status == 2 && reader.stderr.contains("no database at")), "\(reader.stderr)")
                #expect(!reader.stderr.contains("locked"), "\(reader.stderr)")
            }
            let started = await eventually(timeout: 60) { bot.text.contains("soc2bot running") || !bot.process.isRunning }
            #expect(started && bot.process.isRunning, "attempt \(attempt): \(bot.text)")
            let status = try await bot.stop()
            #expect(status == 0, "attempt \(attempt): \(bot.text)")
        }
    }

    /// A demo database after two simulated days (alerts, runs, ledger, outbox).
    static func demoDatabase(in dir: URL) async throws -> String {
        let path = dir.appendingPathComponent("demo.sqlite").path
        let demo = try await CLI.run(["demo", "--speed", "max", "--plain", "--until", "2d", "--database", path], watchdog: watchdog)
        try #require(demo.status == 0, "\(demo.stderr)")
        return path
    }

    /// The file's bytes and modification time (nil: no file; a directory: its name).
    static func fingerprint(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue { return "directory" }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        // Hashed with this process's seed: compared only within one test.
        return "\(data.count) bytes, hash \(data.hashValue), modified \(modified)"
    }
}

/// A seeded generator, so the random file is the same in every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

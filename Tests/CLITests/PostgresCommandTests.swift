import Foundation
import GRDB
import Postgres
import PostgresStore
import Store
import Testing
import TestSupport

/// `--database postgres://…` on every command, `soc2bot store copy` between SQLite and PostgreSQL, and the demo on
/// PostgreSQL, through the built binary. The suites that need a server run against the one scripts/test starts.
@Suite("PostgreSQL from the command line")
struct PostgresCommandTests {
    /// A URL with a password, to a port where nothing listens: refused at once.
    static let unreachable = "postgresql://soc2bot:s3cr3t-pw@127.0.0.1:1/soc2bot"

    /// A password in `--database`'s URL is printed as `***` in every message, and an unreachable server is exit 2
    /// with what to check.
    @Test func aServerThatCannotBeReachedIsNamedWithoutItsPassword() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let commands: [[String]] = [
            ["status", "--manifests", "manifests/demo", "--database", Self.unreachable],
            ["evidence", "verify", "--manifests", "manifests/demo", "--database", Self.unreachable],
            ["run", "--manifests", "manifests/demo", "--database", Self.unreachable],
            ["demo", "--speed", "max", "--plain", "--until", "1d", "--database", Self.unreachable],
            ["store", "copy", "--from", Self.unreachable, "--to", dir.appendingPathComponent("new.sqlite").path],
        ]
        for command in commands {
            let result = try await CLI.run(command, watchdog: 120)
            #expect(result.status == 2, "\(command): \(result.stderr)")
            #expect(!(result.stdout + result.stderr).contains("s3cr3t-pw"), "\(command) printed the password: \(result.stderr)")
            #expect(result.stderr.contains("postgresql://soc2bot:***@127.0.0.1:1/soc2bot"), "\(command): \(result.stderr)")
        }
        let copied = try await CLI.run(["store", "copy", "--from", Self.unreachable, "--to", dir.appendingPathComponent("new.sqlite").path])
        #expect(copied.stderr.contains("cannot use the database server postgresql://soc2bot:***@127.0.0.1:1/soc2bot"), "\(copied.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("new.sqlite").path))
        // The help says what --database takes.
        let help = try await CLI.run(["status", "--help"])
        #expect(help.stdout.contains("postgres://"), "\(help.stdout)")
    }
}

/// Against the PostgreSQL peer.
@Suite("PostgreSQL deployments from the command line",
       .enabled(if: PostgresPeer.isConfigured, "SOC2BOT_TEST_POSTGRES_URL is unset: run scripts/test, which starts the PostgreSQL peer"))
struct PostgresDeploymentTests {
    /// A URL to a new, empty database of its own on the peer.
    static func newDatabase() throws -> String {
        let name = try #require(try PostgresPeer.createDatabase()["dbname"])
        var components = try #require(URLComponents(string: try PostgresPeer.peerURL))
        components.path = "/" + name
        return try #require(components.string)
    }

    /// The reports a deployment is judged by, from `database`: each command's exit status and output.
    static func reports(_ database: String) async throws -> [String] {
        let commands: [[String]] = [
            ["status", "--manifests", "manifests/demo", "--at", "2026-03-05T08:00:00Z"],
            ["metrics", "--manifests", "manifests/demo", "--from", "2026-03-02", "--to", "2026-03-05", "--by", "team"],
            ["metrics", "--manifests", "manifests/demo", "--from", "2026-03-02", "--to", "2026-03-05", "--by", "criterion", "--json"],
            ["evidence", "exceptions", "--manifests", "manifests/demo", "--from", "2026-03-01", "--to", "2026-04-01"],
            ["alerts", "--state", "all", "--json"],
            ["evidence", "verify", "--manifests", "manifests/demo"],
        ]
        var outputs: [String] = []
        for command in commands {
            let result = try await CLI.run(command + ["--database", database])
            #expect(result.status == 0, "\(command) on \(database): \(result.stderr)")
            outputs.append("\(command.joined(separator: " ")) → \(result.status)\n\(result.stdout)")
        }
        return outputs
    }

    /// Every ledger row (seq, at, kind, subject, entry), read through the store, with messages' transaction ids
    /// (random UUIDs) masked.
    static func ledgerRows(_ database: BotDatabase) throws -> [String] {
        var rows: [String] = []
        try database.read { try $0.ledgerRows { rows.append("\($0.seq) \($0.at) \($0.kind) \($0.subject ?? "-") \(String(decoding: $0.entry, as: UTF8.self))") } }
        return rows.map { $0.replacing(/soc2bot-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, with: "soc2bot-TXN") }
    }

    /// Ledger entry kinds in chain order, read through the store.
    static func ledgerKinds(_ database: BotDatabase) throws -> [String] {
        var kinds: [String] = []
        try database.read { try $0.ledgerRows { kinds.append($0.kind) } }
        return kinds
    }

    @Test func aDemoCopiedToPostgreSQLReportsTheSameAndCopiesBack() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sqlite = dir.appendingPathComponent("demo.sqlite").path
        let postgres = try Self.newDatabase()

        // Given three simulated days of the demo on SQLite
        let demo = try await CLI.run(["demo", "--speed", "max", "--plain", "--until", "3d", "--database", sqlite], watchdog: 600)
        #expect(demo.status == 0, "\(demo.stderr)")

        // When it is copied to PostgreSQL
        let copy = try await CLI.run(["store", "copy", "--from", sqlite, "--to", postgres])
        #expect(copy.status == 0, "\(copy.stderr)")
        let source = try BotDatabase.openReadOnly(path: sqlite)
        let entries = try #require(try source.read { try $0.ledgerHead() }).seq
        #expect(copy.stdout.contains("ledger: \(entries) entries"), "\(copy.stdout)")
        #expect(copy.stdout.contains("alert: \(try source.read { try $0.alertCount() }) rows"), "\(copy.stdout)")

        // Then every report reads the same from either database
        let fromSQLite = try await Self.reports(sqlite)
        let fromPostgres = try await Self.reports(postgres)
        for (a, b) in zip(fromSQLite, fromPostgres) { #expect(a == b) }

        // And the auditor's exports hold the same ledger and verify the same
        var verified: [String] = []
        for (name, database) in [("sqlite", sqlite), ("postgres", postgres)] {
            let out = dir.appendingPathComponent("export-\(name)").path
            let export = try await CLI.run(["evidence", "export", "--manifests", "manifests/demo", "--database", database,
                                            "--from", "2026-03-01", "--to", "2026-04-01", "--out", out])
            #expect(export.status == 0, "\(export.stderr)")
            let verify = try await CLI.run(["evidence", "verify", "--export", out])
            #expect(verify.status == 0, "\(verify.stdout)")
            verified.append(verify.stdout)
        }
        #expect(verified[0] == verified[1])
        #expect(try Data(contentsOf: dir.appendingPathComponent("export-sqlite/ledger.jsonl"))
                == Data(contentsOf: dir.appendingPathComponent("export-postgres/ledger.jsonl")))

        // And a second copy into the same database is refused, the database untouched
        let again = try await CLI.run(["store", "copy", "--from", sqlite, "--to", postgres])
        #expect(again.status == 2)
        #expect(again.stderr.contains("is not empty"), "\(again.stderr)")
        #expect(again.stderr.contains("nothing was copied"), "\(again.stderr)")

        // And PostgreSQL copies back to a new SQLite file, the same deployment again
        let back = dir.appendingPathComponent("back.sqlite").path
        let copyBack = try await CLI.run(["store", "copy", "--from", postgres, "--to", back])
        #expect(copyBack.status == 0, "\(copyBack.stderr)")
        let fromBack = try await Self.reports(back)
        for (a, b) in zip(fromSQLite, fromBack) { #expect(a == b) }

        // And a PostgreSQL ledger changed behind the bot's back is refused as SQLite's is
        let admin = try PostgresConnection(url: postgres)
        try admin.transaction { connection in
            try connection.execute("ALTER TABLE ledger DISABLE TRIGGER ledger_no_update")
            try connection.execute("UPDATE ledger SET entry = convert_to(replace(convert_from(entry, 'UTF8'), 'control_run', 'control_ran'), 'UTF8') WHERE seq = 5")
            try connection.execute("ALTER TABLE ledger ENABLE TRIGGER ledger_no_update")
        }
        let verify = try await CLI.run(["evidence", "verify", "--database", postgres])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("entry 5"), "\(verify.stdout)")
        let run = try await CLI.run(["run", "--manifests", "manifests/demo", "--database", postgres])
        #expect(run.status == 2)
        #expect(run.stderr.contains("ledger broken at entry 5") && run.stderr.contains("refusing to start"), "\(run.stderr)")
    }

    /// `soc2bot run --database postgres://USER:PASSWORD@…`: the bot runs on PostgreSQL (migrating the new database),
    /// records its evidence there and stops gracefully; at the most verbose log level its output never holds the
    /// password.
    @Test func theBotRunsOnPostgreSQLAndNeverPrintsThePassword() async throws {
        var components = try #require(URLComponents(string: try Self.newDatabase()))
        components.password = "s3cr3t-pw"     // the peer trusts loopback logins: any password is accepted
        let url = try #require(components.string)

        let bot = try CLI.RunningBot(manifests: "manifests/demo", database: url, logLevel: "trace")
        #expect(await eventually(timeout: 60) { bot.text.contains("soc2bot running") }, "\(bot.text)")
        let database = BotDatabase(backend: try PostgresBackend(url: url))
        // The first scheduler step records its control runs in the ledger.
        #expect(await eventually(timeout: 60) { ((try? database.read { try $0.ledgerHead() }) ?? nil) != nil })
        let status = try await bot.stop()
        #expect(bot.process.terminationReason == .exit && status == 0, "\(bot.text)")
        #expect(await eventually { bot.text.contains("soc2bot stopped") }, "\(bot.text)")
        #expect(!bot.text.contains("s3cr3t-pw"), "the log holds the password")
        #expect(try database.read { try $0.verifyLedger() }.isIntact)
        #expect(try database.read { try $0.checkRunCount() } > 0)
    }

    @Test func aSourceWhoseLedgerWasTamperedWithIsNotCopied() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sqlite = dir.appendingPathComponent("demo.sqlite").path
        let postgres = try Self.newDatabase()
        #expect(try await CLI.run(["demo", "--speed", "max", "--plain", "--until", "1d", "--database", sqlite], watchdog: 600).status == 0)
        let queue = try DatabaseQueue(path: sqlite)
        try await queue.write { db in
            try db.execute(sql: "DROP TRIGGER ledger_no_update")
            try db.execute(sql: "UPDATE ledger SET entry = replace(entry, 'control_run', 'control_ran') WHERE seq = 5")
        }
        try queue.close()

        let copy = try await CLI.run(["store", "copy", "--from", sqlite, "--to", postgres])
        #expect(copy.status == 2)
        #expect(copy.stderr.contains("ledger broken at entry 5"), "\(copy.stderr)")
        let target = BotDatabase(backend: try PostgresBackend(url: postgres))
        #expect(try target.read { try $0.ledgerHead() } == nil)
        #expect(try target.read { try $0.alertCount() } == 0)
    }

    /// `soc2bot demo --database postgres://…`: the same scenario on PostgreSQL and on SQLite gives the same alerts
    /// (ids, states, bodies) and the same ledger entries (kinds, count, times, payloads), which verify.
    @Test func aDemoOnPostgreSQLMatchesTheSameDemoOnSQLite() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sqlite = dir.appendingPathComponent("demo.sqlite").path
        let postgres = try Self.newDatabase()

        let onPostgres = try await CLI.run(["demo", "--speed", "max", "--plain", "--until", "2d", "--database", postgres], watchdog: 600)
        #expect(onPostgres.status == 0, "\(onPostgres.stderr)")
        #expect(onPostgres.stdout.contains("Evidence: ledger intact"), "\(onPostgres.stdout)")
        let onSQLite = try await CLI.run(["demo", "--speed", "max", "--plain", "--until", "2d", "--database", sqlite], watchdog: 600)
        #expect(onSQLite.status == 0, "\(onSQLite.stderr)")

        let pg = BotDatabase(backend: try PostgresBackend(url: postgres))
        let file = try BotDatabase.openReadOnly(path: sqlite)
        #expect(try pg.read { try $0.verifyLedger() }.isIntact)
        #expect(try file.read { try $0.verifyLedger() }.isIntact)
        let alerts = try pg.read { try $0.alerts() }
        #expect(!alerts.isEmpty)
        #expect(alerts.map(\.id) == (try file.read { try $0.alerts() }).map(\.id))
        #expect(alerts.map(\.state) == (try file.read { try $0.alerts() }).map(\.state))
        #expect(alerts == (try file.read { try $0.alerts() }))
        #expect(try Self.ledgerKinds(pg) == Self.ledgerKinds(file))
        // Entry for entry the same — seq, time, kind, subject and payload — but for each message's transaction id,
        // a random UUID fixed when it is queued (so two runs on one store differ there too, and so do the hashes).
        let (pgRows, fileRows) = (try Self.ledgerRows(pg), try Self.ledgerRows(file))
        #expect(pgRows.count == fileRows.count)
        if let first = zip(pgRows, fileRows).first(where: { $0 != $1 }) { Issue.record("first differing entry:\n\(first.0)\n\(first.1)") }
        let listed = try await CLI.run(["alerts", "--state", "all", "--json", "--database", postgres])
        #expect(listed.stdout == (try await CLI.run(["alerts", "--state", "all", "--json", "--database", sqlite])).stdout)

        // A second demo on the same database is refused (a server's database is never emptied); --resume continues it
        let again = try await CLI.run(["demo", "--speed", "max", "--plain", "--until", "2d", "--database", postgres], watchdog: 600)
        #expect(again.status == 2)
        #expect(again.stderr.contains("holds an earlier demo run"), "\(again.stderr)")
        let resumed = try await CLI.run(["demo", "--speed", "max", "--plain", "--until", "3d", "--resume", "--database", postgres], watchdog: 600)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try pg.read { try $0.verifyLedger() }.isIntact)
    }
}

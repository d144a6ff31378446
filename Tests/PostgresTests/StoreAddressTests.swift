import Foundation
import Postgres
import PostgresStore
import Store
import Testing
import TestSupport

/// `--database` read into a `StoreAddress` and opened: SQLite for a path, PostgreSQL for a URL, a password never
/// shown, and what goes wrong said as the SQLite store says it.
@Suite("Store address")
struct StoreAddressTests {
    @Test(arguments: [
        ("soc2bot.sqlite", StoreAddress.sqlite(path: "soc2bot.sqlite")),
        ("/var/lib/soc2bot/bot.sqlite", .sqlite(path: "/var/lib/soc2bot/bot.sqlite")),
        ("sqlite:bot.sqlite", .sqlite(path: "bot.sqlite")),
        ("sqlite:///var/lib/bot.sqlite", .sqlite(path: "/var/lib/bot.sqlite")),
        ("postgres://bot@db:5432/soc2bot", .postgres(url: "postgres://bot@db:5432/soc2bot")),
        ("postgresql://bot@db/soc2bot?sslmode=verify-full", .postgres(url: "postgresql://bot@db/soc2bot?sslmode=verify-full")),
        ("PostgreSQL://bot@db/soc2bot", .postgres(url: "PostgreSQL://bot@db/soc2bot")),
    ])
    func aPathIsSQLiteAndAURLIsPostgreSQL(_ text: String, _ expected: StoreAddress) {
        #expect(StoreAddress(text) == expected)
    }

    @Test func aPasswordIsNeverShown() throws {
        let address = StoreAddress("postgresql://bot:s3cr3t-pw@127.0.0.1:1/soc2bot?password=an0ther-pw")
        #expect(address.description == "postgresql://bot:***@127.0.0.1:1/soc2bot?password=***")

        // A server that is not there: refused as unreachable, named without the password
        for access in [StoreAddress.Access.readOnly, .readWrite] {
            let error = try #require(throws: StoreError.self) { try address.open(access) }
            guard case .unreachable(let location, _) = error else { Issue.record("\(error)"); continue }
            #expect(location.hasPrefix("postgresql://bot:***@127.0.0.1:1/soc2bot"))
            #expect(!error.description.contains("s3cr3t-pw") && !error.description.contains("an0ther-pw"), "\(error)")
        }
    }

    /// A login the server refuses, and a database it does not have, are said as the server says them, without the
    /// password.
    @Test(.enabled(if: PostgresPeer.isConfigured, PostgresPeer.notConfigured))
    func aRefusedLoginAndAMissingDatabaseAreNamedWithoutThePassword() throws {
        let role = "soc2bot_nologin_" + UUID().uuidString.prefix(8).lowercased()
        let admin = try PostgresPeer.admin()
        try admin.execute("CREATE ROLE \(role) NOLOGIN")
        defer { try? admin.execute("DROP ROLE \(role)") }
        var components = try #require(URLComponents(string: try PostgresPeer.peerURL))
        components.user = role
        components.password = "s3cr3t-pw"
        var missing = try #require(URLComponents(string: try PostgresPeer.peerURL))
        missing.path = "/soc2bot_no_such_database"

        for (url, says) in [(try #require(components.string), "not permitted to log in"), (try #require(missing.string), "does not exist")] {
            for access in [StoreAddress.Access.readOnly, .readWrite] {
                let error = try #require(throws: StoreError.self) { try StoreAddress(url).open(access) }
                guard case .unreachable = error else { Issue.record("\(error)"); continue }
                #expect(error.description.contains(says), "\(error)")
                #expect(!error.description.contains("s3cr3t-pw"), "\(error)")
            }
        }
    }

    @Test(.enabled(if: PostgresPeer.isConfigured, PostgresPeer.notConfigured))
    func aReadOnlyOpenNeverCreatesOrMigrates() throws {
        try PostgresPeer.withFreshDatabase { settings in
            var components = try #require(URLComponents(string: try PostgresPeer.peerURL))
            components.path = "/" + (settings["dbname"] ?? "")
            let address = StoreAddress(try #require(components.string))

            // An empty database is not a soc2bot one yet, and reading it creates nothing
            #expect(throws: StoreError.missing(path: address.description)) { try address.open(.readOnly) }
            let tables = try PostgresConnection(url: try PostgresPeer.peerURL, settings: settings)
                .query("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")[0].decode(Int64.self, at: 0)
            #expect(tables == 0)

            // Opened for the bot it is migrated; then a reader finds it
            let bot = try address.open(.readWrite)
            try bot.write { try $0.setCursor("matrix.since", "s1") }
            try bot.close()
            #expect(try address.open(.readOnly).read { try $0.cursor("matrix.since") } == "s1")

            // Someone else's database is refused by name
            try PostgresPeer.withFreshDatabase { other in
                try PostgresConnection(url: try PostgresPeer.peerURL, settings: other).execute("CREATE TABLE invoices (id int)")
                var otherURL = components
                otherURL.path = "/" + (other["dbname"] ?? "")
                let foreign = StoreAddress(try #require(otherURL.string))
                #expect(throws: StoreError.foreignDatabase(path: foreign.description, tables: ["invoices"])) { try foreign.open(.readOnly) }
            }
        }
    }
}

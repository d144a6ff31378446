import Foundation
import Postgres

/// The PostgreSQL server scripts/test starts (scripts/peers' `start_postgres_peer`), read from
/// `SOC2BOT_TEST_POSTGRES_URL` (`postgresql://soc2bot@127.0.0.1:PORT/postgres`; `soc2bot` is its superuser). Suites
/// that need it are skipped, saying so, when the variable is unset (`swift test` alone); the store conformance
/// suites then run on SQLite only.
package enum PostgresPeer {
    package static let url: String? = ProcessInfo.processInfo.environment["SOC2BOT_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    package static let isConfigured = url != nil

    /// The peer's URL (the suites that call this are enabled only when it is set).
    package static var peerURL: String {
        get throws {
            guard let url else { throw PostgresError(.misuse, message: "SOC2BOT_TEST_POSTGRES_URL is unset") }
            return url
        }
    }

    /// A session to the peer's `postgres` database, as its superuser.
    package static func admin() throws -> PostgresConnection { try PostgresConnection(url: peerURL) }

    /// Creates an empty database of its own and returns the settings that select it (`dbname`), so tests running in
    /// parallel never see each other's tables. It lives until `drop(_:)` or until the peer's cluster is removed.
    package static func createDatabase() throws -> [String: String] {
        let name = "soc2bot_test_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        try admin().execute("CREATE DATABASE \(name)")
        return ["dbname": name]
    }

    /// Drops the database `createDatabase` made, ending its sessions.
    package static func drop(_ settings: [String: String]) throws {
        guard let name = settings["dbname"] else { return }
        let admin = try admin()
        try admin.execute("DROP DATABASE IF EXISTS \(try admin.quotedIdentifier(name)) WITH (FORCE)")
    }

    /// Runs `body` with the settings of a database of its own (created empty, dropped afterwards).
    package static func withFreshDatabase<T>(_ body: ([String: String]) throws -> T) throws -> T {
        let settings = try createDatabase()
        defer { try? drop(settings) }
        return try body(settings)
    }

    /// Ends session `pid` as a dead process or a lost network would (`pg_terminate_backend`), and returns once the
    /// server has removed it (its locks are released by then); throws when the server refuses or it is not gone.
    package static func terminate(_ pid: Int32, from admin: PostgresConnection) throws {
        // False when the session is gone already (the server may have ended an idle lock session on its own,
        // `idle_session_timeout`): the end state asked for.
        guard try admin.query("SELECT pg_terminate_backend($1::int)", [.int(Int64(pid))])[0].decode(Bool.self, at: 0)
                || admin.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int", [.int(Int64(pid))])[0].decode(Int64.self, at: 0) == 0 else {
            throw PostgresError(.misuse, message: "pg_terminate_backend(\(pid)) answered false")
        }
        // The server needs a moment to finish the process: wait for that condition, polling (bounded).
        for _ in 0..<2_000 {
            let left = try admin.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int", [.int(Int64(pid))])[0].decode(Int64.self, at: 0)
            if left == 0 { return }
            try admin.query("SELECT pg_sleep(0.005)")
        }
        throw PostgresError(.misuse, message: "session \(pid) was not gone 10 s after pg_terminate_backend")
    }

    /// Runs `body(0..<count)` on `count` threads at once and waits for all; rethrows the first error.
    package static func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Void) throws {
        let group = DispatchGroup()
        let errors = ErrorBox()
        for index in 0..<count {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                do { try body(index) } catch { errors.append(error) }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        if let first = errors.first { throw first }
    }
}

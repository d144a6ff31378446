import Core
import Foundation
import Postgres
import Testing
import TestSupport

@Suite("PostgreSQL sessions through libpq", .enabled(if: PostgresPeer.isConfigured, PostgresPeer.notConfigured))
struct PostgresConnectionTests {
    @Test func valuesRoundTripInBinaryWithTheirTypes() throws {
        let connection = try PostgresPeer.admin()
        let date = Date(timeIntervalSince1970: 1_772_000_000.123457)
        let bytes = Data([0, 1, 2, 0xFF, 0, 0x7F])
        let row = try connection.query("SELECT $1::text, $2::bigint, $3::float8, $4::bool, $5::bytea, $6::timestamptz, $7::text, $8::bytea, $9::text",
                                       [.text("ünïcode ✓ \"quoted\""), .int(.min), .double(0.1 + 0.2), .bool(true), .bytes(bytes),
                                        .timestamp(date), .text(""), .bytes(Data()), .null])[0]
        #expect(try row.decode(String.self, at: 0) == "ünïcode ✓ \"quoted\"")
        #expect(try row.decode(Int64.self, at: 1) == .min)
        #expect(try row.decode(Double.self, at: 2) == 0.1 + 0.2)
        #expect(try row.decode(Bool.self, at: 3))
        #expect(try row.decode(Data.self, at: 4) == bytes)
        #expect(PostgresTime.microseconds(try row.decode(Date.self, at: 5)) == PostgresTime.microseconds(date))
        #expect(try row.decode(String.self, at: 6) == "")
        #expect(try row.decode(Data.self, at: 7) == Data())
        #expect(try row.decode(String?.self, at: 8) == nil)

        // The server reads the same instant, to the microsecond, as a text rendering shows.
        let text = try connection.query("SELECT to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), length($2::bytea), $3::int4, $3::int2",
                                         [.timestamp(date), .bytes(bytes), .int(-7)])[0]
        #expect(try text.decode(String.self, at: 0) == "2026-02-25 06:13:20.123457")
        #expect(try text.decode(Int64.self, at: 1) == 6)
        #expect(try text.decode(Int64.self, at: 2) == -7)
        #expect(try text.decode(Int.self, at: 3) == -7)
    }

    @Test func aColumnReadAsAnotherTypeIsAnError() throws {
        let connection = try PostgresPeer.admin()
        let row = try connection.query("SELECT 'forty-two'::text, NULL::bigint")[0]
        let wrongType = #expect(throws: PostgresError.self) { try row.decode(Int64.self, at: 0) }
        #expect(wrongType?.kind == .decoding)
        let null = #expect(throws: PostgresError.self) { try row.decode(Int64.self, at: 1) }
        #expect(null?.kind == .decoding)
        #expect(try row.decode(Int64?.self, at: 1) == nil)
    }

    @Test func serverErrorsCarryTheirSQLStateMessageAndDetail() throws {
        try PostgresPeer.withFreshDatabase { settings in
            let connection = try PostgresConnection(url: PostgresPeer.peerURL, settings: settings)
            try connection.execute("CREATE TABLE thing (id bigint PRIMARY KEY)")
            try connection.query("INSERT INTO thing VALUES ($1)", [.int(1)])
            let duplicate = #expect(throws: PostgresError.self) { try connection.query("INSERT INTO thing VALUES ($1)", [.int(1)]) }
            #expect(duplicate?.kind == .server)
            #expect(duplicate?.sqlState == "23505")
            #expect(duplicate?.message.contains("thing_pkey") == true)
            #expect(duplicate?.detail == "Key (id)=(1) already exists.")
            let syntax = #expect(throws: PostgresError.self) { try connection.query("SELEC 1") }
            #expect(syntax?.sqlState == "42601")
            // The session is still usable after a statement error.
            #expect(try connection.query("SELECT count(*) FROM thing")[0].decode(Int64.self, at: 0) == 1)
        }
    }

    @Test func aFailedConnectionNamesTheServerButNotThePassword() throws {
        var components = try #require(URLComponents(string: try PostgresPeer.peerURL))
        components.password = "s3cret-pass"
        components.path = "/no_such_database_here"
        let error = #expect(throws: PostgresError.self) { try PostgresConnection(url: components.string!) }
        #expect(error?.kind == .connect)
        let text = error.map(String.init(describing:)) ?? ""
        #expect(text.contains("no_such_database_here"))
        #expect(text.contains(":***@127.0.0.1"))
        #expect(!text.contains("s3cret-pass"))
    }

    @Test func aTransactionCommitsWhatItsBodyWroteOrRollsItAllBack() throws {
        try PostgresPeer.withFreshDatabase { settings in
            let connection = try PostgresConnection(url: PostgresPeer.peerURL, settings: settings)
            try connection.execute("CREATE TABLE thing (id bigint PRIMARY KEY)")
            struct Stop: Error {}
            #expect(throws: Stop.self) {
                try connection.transaction { c in
                    try c.query("INSERT INTO thing VALUES (1)")
                    throw Stop()
                }
            }
            // A failed statement whose error the body swallowed: rolled back and reported, not committed.
            let swallowed = #expect(throws: PostgresError.self) {
                try connection.transaction { c in
                    try c.query("INSERT INTO thing VALUES (2)")
                    _ = try? c.query("INSERT INTO thing VALUES (2)")
                }
            }
            #expect(swallowed?.kind == .misuse)
            _ = try connection.transaction { c in try c.query("INSERT INTO thing VALUES (3)") }
            #expect(try connection.query("SELECT array_to_string(array_agg(id ORDER BY id), ',') FROM thing")[0].decode(String.self, at: 0) == "3")
            #expect(!connection.isInTransaction)
            // No transaction inside a transaction.
            let nested = #expect(throws: PostgresError.self) { try connection.transaction { c in try c.transaction { _ in } } }
            #expect(nested?.kind == .misuse)
        }
    }

    @Test func serializationFailuresAreRetriedAndOtherErrorsAreNot() throws {
        let connection = try PostgresPeer.admin()
        var attempts = 0
        let value = try connection.transaction(.serializable, attempts: 3) { c -> Int in
            attempts += 1
            if attempts == 1 {
                // What the server says when concurrent serializable transactions conflict.
                try c.execute("DO $$ BEGIN RAISE EXCEPTION 'could not serialize access' USING ERRCODE = 'serialization_failure'; END $$")
            }
            return try c.query("SELECT 42")[0].decode(Int.self, at: 0)
        }
        #expect(value == 42)
        #expect(attempts == 2)

        attempts = 0
        let once = #expect(throws: PostgresError.self) {
            try connection.transaction(.serializable, attempts: 3) { c in
                attempts += 1
                try c.execute("DO $$ BEGIN RAISE EXCEPTION 'not transient'; END $$")
            }
        }
        #expect(attempts == 1)
        #expect(once?.sqlState == "P0001")

        attempts = 0
        let exhausted = #expect(throws: PostgresError.self) {
            try connection.transaction(.serializable, attempts: 2) { c in
                attempts += 1
                try c.execute("DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = 'deadlock_detected'; END $$")
            }
        }
        #expect(attempts == 2)
        #expect(exhausted?.isTransient == true)
    }

    @Test func aCursorStreamsEveryRowInOrderInBatches() throws {
        let connection = try PostgresPeer.admin()
        var seen: [Int64] = []
        try connection.transaction { c in
            try c.forEachRow("SELECT n FROM generate_series(1, $1::int) AS n ORDER BY n", [.int(25)], batchSize: 10) { seen.append(try $0.decode(at: 0)) }
        }
        #expect(seen == Array(1...25))
        let outside = #expect(throws: PostgresError.self) { try connection.forEachRow("SELECT 1") { _ in } }
        #expect(outside?.kind == .misuse)
    }

    @Test func copyOutStreamsEveryRowWithItsNullsAndSurvivesAThrowingReader() throws {
        let connection = try PostgresPeer.admin()
        var rows: [String] = []
        try connection.copyOut("SELECT n::bigint, CASE WHEN n % 3 = 0 THEN NULL ELSE decode(repeat('ab', n), 'hex') END, 'x' || n FROM generate_series(1, 2000) AS n ORDER BY n") { row in
            let bytes = row.bytes(at: 1).map { Data($0).hexString } ?? "∅"
            rows.append("\(row.int64(at: 0) ?? -1) \(bytes) \(String(decoding: row.bytes(at: 2)!, as: UTF8.self)) \(row.fieldCount)")
        }
        #expect(rows.count == 2_000)
        #expect(rows.first == "1 ab x1 3")
        #expect(rows[2] == "3 ∅ x3 3")
        #expect(rows.last == "2000 " + String(repeating: "ab", count: 2_000) + " x2000 3")

        struct Stop: Error {}
        var calls = 0
        #expect(throws: Stop.self) {
            try connection.copyOut("SELECT n FROM generate_series(1, 100) AS n") { _ in
                calls += 1
                if calls == 10 { throw Stop() }
            }
        }
        #expect(calls == 10)
        #expect(try connection.query("SELECT 7")[0].decode(Int.self, at: 0) == 7)
        let refused = #expect(throws: PostgresError.self) { try connection.copyOut("SELECT 1/0") { _ in } }
        #expect(refused?.sqlState == "22012")
    }

    @Test func aSessionEndedByTheServerIsReportedLost() throws {
        let connection = try PostgresPeer.admin()
        let error = #expect(throws: PostgresError.self) { try connection.query("SELECT pg_terminate_backend(pg_backend_pid())") }
        #expect(error?.kind == .connectionLost)
        #expect(connection.isBroken || error?.sqlState == "57P01")
        #expect(!connection.isIdleAndQuiet)
    }
}

import CLibPQ
import Foundation

/// One session with a PostgreSQL server through libpq; owns its `PGconn` (closed on deinit). Every call is
/// synchronous and blocks its thread until the server answers, which fits the store's synchronous transaction
/// closures. Not `Sendable`: a session is used by one thread at a time (`PostgresPool` hands them out).
///
/// Values go both ways in binary format (`PostgresValue`, `PostgresDecodable`). TLS, passwords (`PGPASSWORD`,
/// `~/.pgpass`, `password=` in the URL) and the other connection settings are libpq's own (its `sslmode`, `PG*`
/// environment variables); this type never logs them, and its errors name the server by its redacted URL.
package final class PostgresConnection {
    private let connection: OpaquePointer
    /// The URL or `key=value` string with the password taken out, for messages.
    package let redactedTarget: String
    private var cursorCount = 0

    /// Connects to `url` (`postgresql://user@host:5432/db?sslmode=verify-full`, or libpq's `key=value` form; "" for
    /// libpq's defaults and `PG*` variables). `settings` are further libpq keywords that override the URL's (e.g.
    /// `["dbname": "other"]`).
    package init(url: String, settings: [String: String] = [:]) throws {
        redactedTarget = PostgresURL.redacted(url.isEmpty ? "(libpq defaults)" : url)
        // Later keywords override what `dbname` expands to (libpq's PQconnectdbParams with expand_dbname).
        let ordered = settings.sorted { $0.key < $1.key }
        let keys = ["dbname", "fallback_application_name", "client_encoding"] + ordered.map(\.key)
        let values = [url, "soc2bot", "UTF8"] + ordered.map(\.value)
        let made: OpaquePointer? = Self.withCStrings(keys) { k in Self.withCStrings(values) { v in PQconnectdbParams(k, v, 1) } }
        guard let made else { throw PostgresError(.connect, message: "could not connect to \(redactedTarget): libpq is out of memory") }
        guard PQstatus(made) == CONNECTION_OK else {
            let message = PostgresURL.redacted(Self.errorText(made))
            PQfinish(made)
            throw PostgresError(.connect, message: "could not connect to \(redactedTarget): \(message)")
        }
        connection = made
        // Notices (`NOTICE: … already exists, skipping`) would go to stderr: the bot logs what matters itself.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
    }

    deinit { PQfinish(connection) }

    /// The server process serving this session (`pg_backend_pid()`).
    package var backendPID: Int32 { PQbackendPID(connection) }

    /// The server's version as a number (`150018` for 15.18).
    package var serverVersion: Int32 { PQserverVersion(connection) }

    /// Whether libpq has found the session dead (a failed read or write). A session whose server was terminated
    /// but that has not been used since still reads false: see `isIdleAndQuiet`.
    package var isBroken: Bool { PQstatus(connection) != CONNECTION_OK }

    /// Whether a transaction is open on this session (its statements ran, or one of them failed).
    package var isInTransaction: Bool {
        let status = PQtransactionStatus(connection)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// Whether the session can be handed out without a round trip: open, outside a transaction, and with nothing
    /// unsolicited waiting on its socket. An idle session reads nothing from the server unless the server is ending
    /// it (`pg_terminate_backend`, a restart: a FATAL message, then end of file), so pending bytes mean it is gone.
    package var isIdleAndQuiet: Bool {
        guard !isBroken, PQtransactionStatus(connection) == PQTRANS_IDLE else { return false }
        return (try? waitReadable(timeoutMilliseconds: 0)) == false
    }

    // MARK: Statements

    /// Runs one statement with `parameters` (`$1`, `$2`… in `sql`, sent in binary format with their types) and
    /// returns its rows in binary format. Throws `PostgresError` with the server's SQLSTATE, message and detail.
    @discardableResult
    package func query(_ sql: String, _ parameters: [PostgresValue] = []) throws -> PostgresResult {
        var buffer: [UInt8] = []
        var offsets: [Int?] = []
        var lengths: [Int32] = []
        for parameter in parameters {
            let start = buffer.count
            offsets.append(parameter.append(to: &buffer) ? start : nil)
            lengths.append(Int32(buffer.count - start))
        }
        // Never empty, so an empty text or bytea value still gets a non-null pointer.
        buffer.append(0)
        let types = parameters.map(\.oid)
        let formats = [Int32](repeating: 1, count: parameters.count)
        let result: OpaquePointer? = buffer.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress!)
            let values: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset.map { (base + $0).assumingMemoryBound(to: CChar.self) }
            }
            return PQexecParams(connection, sql, Int32(parameters.count), types, values, lengths, formats, 1)
        }
        return try checked(result)
    }

    /// Runs `sql` — one or more statements separated by `;`, without parameters — through the simple protocol
    /// (schema changes, `BEGIN`/`COMMIT`).
    package func execute(_ sql: String) throws {
        _ = try checked(PQexec(connection, sql))
    }

    /// `name` quoted as an SQL identifier (`"ledger"`), for statements that cannot take it as a parameter
    /// (`LISTEN`, `NOTIFY`).
    package func quotedIdentifier(_ name: String) throws -> String {
        guard let quoted = PQescapeIdentifier(connection, name, name.utf8.count) else {
            throw PostgresError(.misuse, message: "cannot quote identifier: \(Self.errorText(connection))")
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    // MARK: Transactions

    /// Runs `body` in one transaction: commits when it returns, rolls back when it throws (and rethrows). A
    /// transaction that failed inside `body` (an error caught and ignored there) is rolled back and reported, never
    /// committed as if it had worked.
    ///
    /// `attempts` > 1 runs the whole transaction again when it fails with a serialization failure (`40001`) or a
    /// deadlock (`40P01`), which `serializable` and `repeatableRead` transactions must expect; `body` must then
    /// be safe to run again (no effects outside the database).
    package func transaction<T>(_ isolation: PostgresIsolation = .readCommitted, readOnly: Bool = false, attempts: Int = 1,
                                _ body: (PostgresConnection) throws -> T) throws -> T {
        var attempt = 1
        while true {
            do {
                return try transactionOnce(isolation, readOnly: readOnly, body)
            } catch let error as PostgresError where error.isTransient && attempt < attempts {
                attempt += 1
            }
        }
    }

    private func transactionOnce<T>(_ isolation: PostgresIsolation, readOnly: Bool, _ body: (PostgresConnection) throws -> T) throws -> T {
        guard PQtransactionStatus(connection) == PQTRANS_IDLE else {
            throw PostgresError(.misuse, message: "a transaction was started on a session that is not idle (nested transactions are not supported)")
        }
        try execute("BEGIN ISOLATION LEVEL \(isolation.sql)" + (readOnly ? " READ ONLY" : ""))
        do {
            let value = try body(self)
            if PQtransactionStatus(connection) == PQTRANS_INERROR {
                throw PostgresError(.misuse, message: "a statement of the transaction failed and its error was not rethrown: rolled back")
            }
            try execute("COMMIT")
            return value
        } catch {
            if !isBroken && isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Reads the rows of `sql` in batches of `batchSize` through a cursor, calling `body` for each in order: a
    /// million rows stream through without being held at once, in `rowCount / batchSize` round trips. Only inside a
    /// transaction (a cursor lives in one); each row is valid during its call only.
    package func forEachRow(_ sql: String, _ parameters: [PostgresValue] = [], batchSize: Int = 10_000,
                            _ body: (PostgresRow) throws -> Void) throws {
        guard PQtransactionStatus(connection) == PQTRANS_INTRANS else {
            throw PostgresError(.misuse, message: "forEachRow needs an open transaction (a cursor lives in one)")
        }
        cursorCount += 1
        let name = "soc2bot_cursor_\(cursorCount)"
        try query("DECLARE \(name) BINARY NO SCROLL CURSOR FOR " + sql, parameters)
        while true {
            let batch = try query("FETCH FORWARD \(max(1, batchSize)) FROM \(name)")
            for index in 0..<batch.rowCount { try body(batch[index]) }
            if batch.rowCount < batchSize { break }
        }
        try execute("CLOSE \(name)")
    }

    // MARK: LISTEN / NOTIFY

    /// Waits up to `timeout` for a notification on a channel this session `LISTEN`s to; nil when none came. Sleeps
    /// in `poll(2)` on the session's socket, so it wakes as soon as one arrives. Throws `connectionLost` when the
    /// session ends while waiting.
    package func nextNotification(timeout: Duration) throws -> PostgresNotification? {
        let deadline = ContinuousClock.now + timeout
        while true {
            guard PQconsumeInput(connection) == 1 else { throw lost() }
            if let notification = PQnotifies(connection) {
                defer { PQfreemem(notification) }
                return PostgresNotification(channel: String(cString: notification.pointee.relname),
                                            payload: String(cString: notification.pointee.extra),
                                            senderPID: notification.pointee.be_pid)
            }
            if isBroken { throw lost() }
            let remaining = deadline - .now
            if remaining <= .zero { return nil }
            let (seconds, attoseconds) = remaining.components
            let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1
            _ = try waitReadable(timeoutMilliseconds: Int32(min(milliseconds, Int64(Int32.max))))
        }
    }

    // MARK: Internals

    /// The libpq handle, for this module's extensions.
    var pointer: OpaquePointer { connection }

    /// Runs a `COPY … TO STDOUT` statement; throws unless the server starts sending rows.
    func startCopyOut(_ sql: String) throws {
        guard let result = PQexec(connection, sql) else { throw isBroken ? lost() : PostgresError(.server, message: Self.errorText(connection)) }
        if PQresultStatus(result) == PGRES_COPY_OUT {
            PQclear(result)
            return
        }
        _ = try checked(result)
        throw PostgresError(.misuse, message: "not a COPY … TO STDOUT statement")
    }

    /// After the last row of a `COPY`: reads the statement's outcome (an error the server reported while sending).
    func finishCopy() throws {
        while let result = PQgetResult(connection) {
            _ = try checked(result)
        }
    }

    /// What went wrong while reading a `COPY`'s rows.
    func copyFailure() -> PostgresError {
        if isBroken { return lost() }
        if let result = PQgetResult(connection) {
            do { _ = try checked(result) } catch let error as PostgresError { return error } catch {}
        }
        return PostgresError(.server, message: "COPY failed: " + Self.errorText(connection))
    }

    /// Whether the socket became readable within the timeout (0: just look).
    private func waitReadable(timeoutMilliseconds: Int32) throws -> Bool {
        var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&descriptor, 1, timeoutMilliseconds)
            if ready >= 0 { return ready > 0 }
            if errno != EINTR { throw PostgresError(.connectionLost, message: "poll on the session's socket failed: errno \(errno)") }
        }
    }

    private func lost() -> PostgresError {
        PostgresError(.connectionLost, message: "the session with \(redactedTarget) ended: \(Self.errorText(connection))")
    }

    /// The result when it succeeded (owned by the returned value); otherwise frees it and throws what the server said.
    private func checked(_ result: OpaquePointer?) throws -> PostgresResult {
        guard let result else {
            throw isBroken ? lost() : PostgresError(.server, message: Self.errorText(connection))
        }
        let status = PQresultStatus(result)
        if status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY {
            return PostgresResult(taking: result)
        }
        defer { PQclear(result) }
        func field(_ code: UInt8) -> String? {
            PQresultErrorField(result, Int32(code)).map { String(cString: $0) }
        }
        let sqlState = field(UInt8(ascii: "C"))
        let message = field(UInt8(ascii: "M")) ?? Self.errorText(connection)
        // A session the server ended (57P01 admin shutdown, 57P02/57P03) or whose socket failed cannot be used again.
        let kind: PostgresError.Kind = isBroken || sqlState?.hasPrefix("57P") == true ? .connectionLost : .server
        throw PostgresError(kind, sqlState: sqlState, message: message, detail: field(UInt8(ascii: "D")), hint: field(UInt8(ascii: "H")))
    }

    private static func errorText(_ connection: OpaquePointer) -> String {
        guard let text = PQerrorMessage(connection) else { return "unknown error" }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `body` with `strings` as a NULL-terminated array of C strings.
    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        return body(copies.map { UnsafePointer($0) } + [nil])
    }
}

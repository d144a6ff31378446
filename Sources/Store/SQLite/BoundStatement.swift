import Foundation
import GRDB
import GRDBSQLite

/// One of a step's hot statements (a control run's row, a ledger entry) bound and stepped through SQLite's C API, on
/// the statement GRDB prepared and cached on this connection. GRDB's own execution boxes each argument and passes it
/// through several generic layers; for the two rows written per control per step that was a tenth of the step's
/// write. Only for statements that change rows and return none; the statement is reset and unbound afterwards, as
/// GRDB leaves its statements, so GRDB may use it again.
struct BoundStatement {
    /// Kept so the prepared statement lives as long as this value, whatever GRDB's cache does meanwhile.
    private let statement: Statement
    private let raw: OpaquePointer
    private let db: Database

    init(_ db: Database, sql: String) throws {
        self.db = db
        statement = try db.cachedStatement(sql: sql)
        raw = statement.sqliteStatement
    }

    /// The step's hot statements, each prepared once per write (`WriteScope`): finding a cached statement by its text
    /// hashes the text, three times a control run.
    enum Hot: Int, CaseIterable {
        case runInsert, spanLatest, ledgerInsert

        var sql: String {
            switch self {
            case .runInsert: "INSERT INTO check_run (control_id, at, passed, failed, errors, digest) VALUES (?, ?, ?, ?, ?, ?)"
            case .spanLatest: """
                UPDATE control_run_span SET last_id = ?1, last_at = ?2
                WHERE control_id = ?3 AND (last_at < ?2 OR (last_at = ?2 AND last_id < ?1))
                """
            case .ledgerInsert: "INSERT INTO ledger (seq, at, kind, subject, entry, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)"
            }
        }
    }

    /// `hot`'s statement on `db`, kept in `scope` for the rest of its write (prepared or found in GRDB's cache once).
    static func hot(_ hot: Hot, _ db: Database, scope: WriteScope?) throws -> BoundStatement {
        if let kept = scope?.hotStatements[hot.rawValue] { return kept }
        let statement = try BoundStatement(db, sql: hot.sql)
        scope?.hotStatements[hot.rawValue] = statement
        return statement
    }

    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(raw, index, value) }
    func bind(_ index: Int32, _ value: Int) { sqlite3_bind_int64(raw, index, Int64(value)) }
    func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(raw, index, value) }

    /// Text, or NULL for nil, bound as GRDB binds it (as a C string: up to a NUL, if any), so what is stored here is
    /// what GRDB's lookups of it compare with.
    func bind(_ index: Int32, _ value: String?) {
        guard let value else { sqlite3_bind_null(raw, index); return }
        value.withCString { _ = sqlite3_bind_text(raw, index, $0, -1, boundTransient) }
    }

    /// A blob; the empty one stays a blob (SQLite reads a null pointer as NULL).
    func bind(_ index: Int32, _ value: Data) {
        value.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress {
                _ = sqlite3_bind_blob(raw, index, base, Int32(bytes.count), boundTransient)
            } else {
                _ = sqlite3_bind_zeroblob(raw, index, 0)
            }
        }
    }

    /// Runs the bound statement to its end; an error is GRDB's `DatabaseError` with SQLite's code and message. Only
    /// inside a transaction (GRDB refuses a statement after SQLite rolled its transaction back; this checks the same):
    /// outside one, a row would commit on its own.
    func run() throws {
        defer {
            sqlite3_reset(raw)
            sqlite3_clear_bindings(raw)
        }
        guard sqlite3_get_autocommit(db.sqliteConnection) == 0 else {
            throw DatabaseError(resultCode: .SQLITE_ABORT, message: "a row of the step written outside a transaction (the transaction was rolled back)",
                                sql: String(cString: sqlite3_sql(raw)))
        }
        let code = sqlite3_step(raw)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                                sql: String(cString: sqlite3_sql(raw)))
        }
    }
}

/// SQLite copies the bytes before the bind returns (`SQLITE_TRANSIENT`).
private let boundTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

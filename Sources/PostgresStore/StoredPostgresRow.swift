import Foundation
import Postgres
import Store

/// One row read back from one of the store's tables on PostgreSQL, decoded strictly: a value of another type, a
/// NULL where none may be, an implausible time or an unreadable body is `StoreError.corrupt` naming the table, the
/// row and the column, as `StoredRow` does on SQLite.
struct StoredPostgresRow {
    let row: PostgresRow
    let table: String
    /// The column that names the row for a person (its id or key).
    var keyColumn = 0

    /// "table check_run, row 3".
    var location: String {
        let name = (try? row.decode(Int64?.self, at: keyColumn)).flatMap { $0.map(String.init) }
            ?? (try? row.decode(String?.self, at: keyColumn)).flatMap { $0.map { "“\($0.prefix(80))”" } } ?? "?"
        return "table \(table), row \(name)"
    }

    private func corrupt(_ column: Int, _ what: String) -> StoreError {
        .corrupt("\(location): column \(row.result.columnName(column)) \(what)")
    }

    /// Column `column` as `T` (`T?` for a nullable column).
    func callAsFunction<T: PostgresDecodable>(_ column: Int, _ type: T.Type = T.self) throws -> T {
        do { return try row.decode(T.self, at: column) } catch { throw corrupt(column, "cannot be read as \(T.self) (\(error))") }
    }

    /// A time stored as seconds since 2001-01-01: finite and within years 1…9999 (`StoredTime`).
    func date(_ column: Int) throws -> Date {
        let seconds = try self(column, Double.self)
        guard let date = StoredTime.date(seconds: seconds) else { throw corrupt(column, "holds \(seconds), not a time") }
        return date
    }

    func optionalDate(_ column: Int) throws -> Date? {
        row.bytes(at: column) == nil ? nil : try date(column)
    }

    /// Column `column` holds `T` as `StoreJSON`.
    func json<T: Decodable>(_ column: Int, _ type: T.Type) throws -> T {
        let data = try self(column, Data.self)
        do { return try StoreJSON.decode(type, from: data) } catch {
            throw corrupt(column, "is not a readable \(T.self) (\(error))")
        }
    }
}

extension PostgresResult {
    /// The rows as `StoredPostgresRow`s of `table`.
    func stored(_ table: String) -> [StoredPostgresRow] {
        (0..<rowCount).map { StoredPostgresRow(row: self[$0], table: table) }
    }

    /// The first column of the first row as `T` (nil: no row, or NULL), for counts, maxima and single values.
    func single<T: PostgresDecodable>(_ type: T.Type, table: String) throws -> T? {
        guard rowCount > 0 else { return nil }
        return try StoredPostgresRow(row: self[0], table: table)(0, T?.self)
    }
}

import Foundation
import GRDB

/// One row read back from a table, decoded column by column without ever trapping.
///
/// GRDB's `row[i]` subscripts stop the process when a value has the wrong type (`try!` inside), and its fast path
/// for cursors silently turns text into 0. A database edited or damaged outside soc2bot (`at = 'garbage'`,
/// `failed = 'NaN'`) must instead give `StoreError.corrupt` naming the table, the row and the column, so every read
/// of a stored value goes through here and is strict: the value must have the column's type.
struct StoredRow {
    let row: Row
    let table: String
    /// The index of the column that names the row for a person (its id, seq or key).
    let keyColumn: Int

    init(_ row: Row, table: String, key keyColumn: Int = 0) {
        self.row = row
        self.table = table
        self.keyColumn = keyColumn
    }

    /// The raw value of column `index`: never fails.
    private func raw(_ index: Int) -> DatabaseValue {
        (try? row.decode(DatabaseValue.self, atIndex: index)) ?? .null
    }

    /// "table check_run, row 3".
    var location: String {
        let key = raw(keyColumn)
        let name: String = switch key.storage {
        case .int64(let n): String(n)
        case .string(let s): "“\(s.prefix(80))”"
        default: key.description
        }
        return "table \(table), row \(name)"
    }

    private func column(_ index: Int) -> String {
        index < row.count ? Array(row.columnNames)[index] : "#\(index)"
    }

    private func corrupt(_ index: Int, _ expected: String) -> StoreError {
        let shown = String(raw(index).description.prefix(60))
        return StoreError.corrupt("\(location): column \(column(index)) holds \(shown), not \(expected)")
    }

    /// Column `index` as `T` (`T?` for a nullable column): the stored value must have that type.
    func callAsFunction<T: DatabaseValueConvertible>(_ index: Int, _ type: T.Type = T.self) throws -> T {
        guard let value = T.fromDatabaseValue(raw(index)) else { throw corrupt(index, "a \(T.self)") }
        return value
    }

    /// Column `index` as text, NULL allowed.
    func optionalString(_ index: Int) throws -> String? {
        if raw(index).isNull { return nil }
        return try self(index, String.self)
    }

    /// A time stored as seconds since 2001-01-01 (REAL): finite and within years 1…9999, which every report can print.
    func date(_ index: Int) throws -> Date {
        guard let seconds = Double.fromDatabaseValue(raw(index)), let date = StoredTime.date(seconds: seconds) else {
            throw corrupt(index, "a time")
        }
        return date
    }

    /// A nullable time column.
    func optionalDate(_ index: Int) throws -> Date? {
        raw(index).isNull ? nil : try date(index)
    }

    /// Column `index` holds `T` as `StoreJSON`.
    func json<T: Decodable>(_ index: Int, _ type: T.Type) throws -> T {
        let data: Data = try self(index)
        do { return try StoreJSON.decode(type, from: data) } catch {
            throw StoreError.corrupt("\(location): column \(column(index)) is not a readable \(T.self) (\(Self.reason(error)))")
        }
    }

    private static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context), DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return (path.isEmpty ? "" : path + ": ") + context.debugDescription
        case DecodingError.keyNotFound(let key, _):
            return "no \(key.stringValue)"
        default:
            return "\(error)"
        }
    }
}

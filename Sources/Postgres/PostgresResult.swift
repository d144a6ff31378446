import CLibPQ
import Foundation

/// The rows of one statement, in binary format; owns its `PGresult` (freed when the last reference goes).
/// Not `Sendable`: read it on the thread that ran the statement, or copy the values out.
package final class PostgresResult {
    private let result: OpaquePointer
    package let rowCount: Int
    package let columnCount: Int
    private let types: [UInt32]

    /// Takes ownership of `result` (a successful one: `PGRES_TUPLES_OK` or `PGRES_COMMAND_OK`).
    init(taking result: OpaquePointer) {
        self.result = result
        rowCount = Int(PQntuples(result))
        columnCount = Int(PQnfields(result))
        types = (0..<Int32(columnCount)).map { PQftype(result, $0) }
    }

    deinit { PQclear(result) }

    /// Row `index`; valid while this result lives.
    package subscript(index: Int) -> PostgresRow { PostgresRow(result: self, index: index) }

    package var rows: [PostgresRow] { (0..<rowCount).map { self[$0] } }

    /// The number of rows a command touched (`INSERT`, `UPDATE`, `DELETE`, `FETCH`…); 0 when it says none.
    package var affectedRows: Int { Int(String(cString: PQcmdTuples(result))) ?? 0 }

    package func columnName(_ column: Int) -> String { String(cString: PQfname(result, Int32(column))) }

    /// The value's bytes in place (nil for NULL), valid while this result lives: the hot path of a verification
    /// reads them without copying.
    package func bytes(row: Int, column: Int) -> UnsafeRawBufferPointer? {
        precondition(row >= 0 && row < rowCount && column >= 0 && column < columnCount, "row \(row), column \(column) out of range")
        if PQgetisnull(result, Int32(row), Int32(column)) != 0 { return nil }
        return UnsafeRawBufferPointer(start: PQgetvalue(result, Int32(row), Int32(column)), count: Int(PQgetlength(result, Int32(row), Int32(column))))
    }

    package func decode<T: PostgresDecodable>(_ type: T.Type, row: Int, column: Int) throws -> T {
        guard let bytes = bytes(row: row, column: column) else {
            if let null = T.nullValue, T.acceptsNull { return null }
            throw PostgresError(.decoding, message: "column \(columnName(column)) of row \(row) is NULL, read as \(T.self)")
        }
        guard let value = T.decode(bytes, type: types[column]) else {
            throw PostgresError(.decoding, message: "column \(columnName(column)) (type OID \(types[column])) cannot be read as \(T.self)")
        }
        return value
    }
}

/// One row of a `PostgresResult`.
package struct PostgresRow {
    package let result: PostgresResult
    package let index: Int

    /// Column `column` as `T` (an `Optional` for a column that may be NULL).
    package func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at column: Int) throws -> T {
        try result.decode(type, row: index, column: column)
    }

    /// Column `column`'s bytes in place (nil for NULL); see `PostgresResult.bytes(row:column:)`.
    package func bytes(at column: Int) -> UnsafeRawBufferPointer? { result.bytes(row: index, column: column) }
}

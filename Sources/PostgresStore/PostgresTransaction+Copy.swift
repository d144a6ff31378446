import Foundation
import Postgres
import Store

/// Whole tables in and out of PostgreSQL, for `StoreCopy`. The `leader` row (this database's replicas' epoch) is
/// coordination, like the ledger head's lock row: never copied, a new deployment elects its own.
extension PostgresTransaction: CopyRepository {
    package func storedTables() throws -> [String: [String]] {
        var tables: [String: [String]] = [:]
        for row in try connection.query("""
            SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
                AND c.table_name NOT IN ('soc2bot_migration', 'ledger_head', 'leader')
            ORDER BY c.table_name, c.ordinal_position
            """).rows {
            tables[try row.decode(String.self, at: 0), default: []].append(try row.decode(String.self, at: 1))
        }
        return tables
    }

    package func rowCount(_ table: StoreTable) throws -> Int {
        Int(try connection.query("SELECT COUNT(*) FROM \(table.rawValue)").single(Int64.self, table: table.rawValue) ?? 0)
    }

    package func copyRows(of table: StoreTable, columns: [String], _ body: ([StoredValue]) throws -> Void) throws {
        let sql = "SELECT \(try CopySQL.columnList(columns)) FROM \(table.rawValue) ORDER BY \(try CopySQL.columnList(table.key))"
        try connection.forEachRow(sql, batchSize: 2_000) { row in
            try body(try (0..<columns.count).map { column in
                do { return try row.decode(CopiedValue.self, at: column).value } catch {
                    throw StoreError.corrupt("table \(table.rawValue): column \(columns[column]) cannot be copied (\(error))")
                }
            })
        }
    }

    /// One multi-row `INSERT` per batch (at most 30,000 parameters, PostgreSQL's limit being 65,535). Ledger rows are
    /// written holding the head's lock, as an append does; the chain trigger checks they continue the head.
    package func insertCopiedRows(_ rows: [[StoredValue]], into table: StoreTable, columns: [String]) throws {
        guard !rows.isEmpty, !columns.isEmpty else { return }
        var kinds: [String: CopySQL.ColumnKind] = [:]
        for row in try connection.query("""
            SELECT column_name::text, udt_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1
            """, [.text(table.rawValue)]).rows {
            kinds[try row.decode(String.self, at: 0)] = switch try row.decode(String.self, at: 1) {
            case "int8", "int4", "int2": .integer
            case "float8", "float4": .real
            case "text", "varchar": .text
            case "bytea": .blob
            default: .other
            }
        }
        try CopySQL.checkKinds(rows, columns: columns, kinds: kinds, table: table)
        if table == .ledger { try connection.query("SELECT one FROM ledger_head FOR UPDATE") }
        let list = try CopySQL.columnList(columns)
        let perStatement = max(1, 30_000 / columns.count)
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + perStatement)]
            var sql = "INSERT INTO \(table.rawValue) (\(list)) VALUES "
            var parameters: [PostgresValue] = []
            parameters.reserveCapacity(chunk.count * columns.count)
            for (index, row) in chunk.enumerated() {
                let n = index * columns.count
                sql += (index == 0 ? "(" : ", (") + (1...columns.count).map { "$\(n + $0)" }.joined(separator: ", ") + ")"
                parameters += row.map { value in
                    switch value {
                    case .null: .null
                    case .integer(let n): .int(n)
                    case .real(let d): .double(d)
                    case .text(let s): .text(s)
                    case .blob(let data): .bytes(data)
                    }
                }
            }
            try connection.query(sql, parameters)
            start += chunk.count
        }
    }

    /// The identity sequence's last value (`pg_sequence_last_value`: NULL until it handed one out) or the largest id
    /// present, whichever is larger.
    package func rowNumberHighWaterMark(_ table: StoreTable) throws -> Int64 {
        try connection.query("""
            SELECT GREATEST(COALESCE(pg_sequence_last_value(pg_get_serial_sequence($1, 'id')::regclass), 0),
                            COALESCE((SELECT MAX(id) FROM \(table.rawValue)), 0))::bigint
            """, [.text(table.rawValue)]).single(Int64.self, table: table.rawValue) ?? 0
    }

    /// Moves the identity sequence on to `mark` (`setval`), unless it is there already: rows inserted with their ids
    /// do not move it.
    package func raiseRowNumberHighWaterMark(_ table: StoreTable, to mark: Int64) throws {
        let current = try connection.query("SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence($1, 'id')::regclass), 0)::bigint",
                                           [.text(table.rawValue)]).single(Int64.self, table: table.rawValue) ?? 0
        guard mark > current else { return }
        try connection.query("SELECT setval(pg_get_serial_sequence($1, 'id'), $2)", [.text(table.rawValue), .int(mark)])
    }
}

/// A column's value whatever its type, read by its type OID: what the copy moves without interpreting.
private struct CopiedValue: PostgresDecodable {
    var value: StoredValue

    static func decode(_ bytes: UnsafeRawBufferPointer, type: UInt32) -> CopiedValue? {
        switch type {
        case PostgresValue.OID.int8, PostgresValue.OID.int4, PostgresValue.OID.int2:
            Int64.decode(bytes, type: type).map { CopiedValue(value: .integer($0)) }
        case PostgresValue.OID.float8, PostgresValue.OID.float4:
            Double.decode(bytes, type: type).map { CopiedValue(value: .real($0)) }
        case PostgresValue.OID.text, PostgresValue.OID.varchar, PostgresValue.OID.name, PostgresValue.OID.bpchar:
            String.decode(bytes, type: type).map { CopiedValue(value: .text($0)) }
        case PostgresValue.OID.bytea:
            Data.decode(bytes, type: type).map { CopiedValue(value: .blob($0)) }
        case PostgresValue.OID.bool:
            Bool.decode(bytes, type: type).map { CopiedValue(value: .integer($0 ? 1 : 0)) }
        default:
            nil
        }
    }

    static var acceptsNull: Bool { true }
    static var nullValue: CopiedValue? { CopiedValue(value: .null) }
}

import Foundation
import GRDB

/// Whole tables in and out of SQLite, for `StoreCopy`.
extension SQLiteTransaction: CopyRepository {
    /// Without `control_run_span`: it holds no state of its own (triggers keep it from `check_run`, so the copied runs
    /// fill the target's).
    package func storedTables() throws -> [String: [String]] {
        var tables: [String: [String]] = [:]
        for table in try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations'
                AND name <> 'control_run_span'
            """) {
            tables[table] = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?) ORDER BY cid", arguments: [table])
        }
        return tables
    }

    package func rowCount(_ table: StoreTable) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table.rawValue)") ?? 0
    }

    package func copyRows(of table: StoreTable, columns: [String], _ body: ([StoredValue]) throws -> Void) throws {
        let rows = try Row.fetchCursor(db, sql: "SELECT \(try CopySQL.columnList(columns)) FROM \(table.rawValue) ORDER BY \(try CopySQL.columnList(table.key))")
        while let row = try rows.next() {
            try body((0..<row.count).map { index in
                switch ((try? row.decode(DatabaseValue.self, atIndex: index)) ?? .null).storage {
                case .null: .null
                case .int64(let n): .integer(n)
                case .double(let d): .real(d)
                case .string(let s): .text(s)
                case .blob(let data): .blob(data)
                }
            })
        }
    }

    package func insertCopiedRows(_ rows: [[StoredValue]], into table: StoreTable, columns: [String]) throws {
        // Ledger rows copied in move the head under any this write kept.
        scope?.ledgerHead = nil
        var kinds: [String: CopySQL.ColumnKind] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, type FROM pragma_table_info(?)", arguments: [table.rawValue]) {
            let name: String = row[0], type: String = row[1]
            kinds[name] = switch type.uppercased() {
            case "INTEGER": .integer
            case "REAL": .real
            case "TEXT": .text
            case "BLOB": .blob
            default: .other
            }
        }
        try CopySQL.checkKinds(rows, columns: columns, kinds: kinds, table: table)
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        let statement = try db.cachedStatement(sql: "INSERT INTO \(table.rawValue) (\(try CopySQL.columnList(columns))) VALUES (\(placeholders))")
        // A run copied in moves its control's span (`control_run_span`), as `recordRun` does.
        let spanColumns = table == .checkRun ? (columns.firstIndex(of: "id"), columns.firstIndex(of: "control_id"), columns.firstIndex(of: "at")) : (nil, nil, nil)
        for row in rows {
            let values = row.map { value -> DatabaseValue in
                switch value {
                case .null: .null
                case .integer(let n): n.databaseValue
                case .real(let d): d.databaseValue
                case .text(let s): s.databaseValue
                case .blob(let data): data.databaseValue
                }
            }
            try statement.execute(arguments: StatementArguments(values))
            if let control = spanColumns.1, let at = spanColumns.2 {
                try noteInSpan(id: spanColumns.0.flatMap { Int64.fromDatabaseValue(values[$0]) } ?? db.lastInsertedRowID, control: values[control], at: values[at])
            }
        }
    }

    /// `sqlite_sequence` remembers the largest id AUTOINCREMENT handed out, even of a row deleted since.
    package func rowNumberHighWaterMark(_ table: StoreTable) throws -> Int64 {
        let counter = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = ?", arguments: [table.rawValue]) ?? 0
        let highest = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM \(table.rawValue)") ?? 0
        return max(counter, highest)
    }

    package func raiseRowNumberHighWaterMark(_ table: StoreTable, to mark: Int64) throws {
        guard mark > 0 else { return }
        try db.execute(sql: "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", arguments: [mark, table.rawValue])
        if db.changesCount == 0 {
            try db.execute(sql: "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", arguments: [table.rawValue, mark])
        }
    }
}

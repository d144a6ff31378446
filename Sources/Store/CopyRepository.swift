import Foundation

/// A value as a row of the store holds it, whichever database: what `StoreCopy` moves, column by column, without
/// interpreting it, so nothing is decoded and encoded again on the way (a body, a hash or a canonical ledger entry
/// arrives byte for byte). SQLite's storage classes; PostgreSQL's `bigint`, `double precision`, `text` and `bytea`.
package enum StoredValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)

    /// What it is, for messages ("an integer").
    package var kind: String {
        switch self {
        case .null: "NULL"
        case .integer: "an integer"
        case .real: "a real number"
        case .text: "text"
        case .blob: "bytes"
        }
    }
}

/// The tables of the bot's state, in the order `StoreCopy` moves them (an alert before the messages that name it),
/// each read in the order of its primary key. Their columns are read from each database's schema, so a column a
/// later migration adds to both stores is copied without a change here. A table both databases have that is not
/// listed here is refused by the copy rather than left behind; a table or column only one kind of store has (what a
/// PostgreSQL replica keeps for its own coordination) has nowhere to go in the other and stays behind, named in the
/// copy's summary.
package enum StoreTable: String, CaseIterable, Sendable {
    case alert
    case alertMessage = "alert_message"
    case resourceTrack = "resource_track"
    case checkRun = "check_run"
    case outbox
    case cursor
    case matrixPrompt = "matrix_prompt"
    case seenRequest = "seen_request"
    case ledger

    /// The primary key's columns: the order rows are read and written in.
    package var key: [String] {
        switch self {
        case .alert, .checkRun, .outbox: ["id"]
        case .alertMessage: ["alert_id", "platform", "channel"]
        case .resourceTrack: ["control_id", "resource_id"]
        case .cursor: ["name"]
        case .matrixPrompt: ["sender", "root"]
        case .seenRequest: ["key"]
        case .ledger: ["seq"]
        }
    }

    /// Whether the store numbers the rows itself (`id`: SQLite's AUTOINCREMENT, PostgreSQL's identity column): a copy
    /// carries the numbers and the counter, so ids go on growing from where the source left them.
    package var numbersRows: Bool { key == ["id"] }
}

/// Every row of every table as it is stored, for moving a deployment from one database to another (`StoreCopy`,
/// `soc2bot store copy`). Not for the bot's steps: these read and write whole tables.
package protocol CopyRepository {
    /// The tables of the bot's state in this database, each with its columns in the table's order; the store's own
    /// bookkeeping (the migrations it applied, SQLite's `sqlite_sequence`, PostgreSQL's `ledger_head` and `leader`, the
    /// replicas' leadership epoch, which belongs to the database's own replicas) left out.
    func storedTables() throws -> [String: [String]]

    /// The rows of `table`: a full count.
    func rowCount(_ table: StoreTable) throws -> Int

    /// Calls `body` with each row of `table` — the values of `columns`, in that order — in the order of its key,
    /// streaming (a million ledger rows are never held at once).
    func copyRows(of table: StoreTable, columns: [String], _ body: ([StoredValue]) throws -> Void) throws

    /// Inserts `rows` (values of `columns`, in that order) into `table` exactly as given: ids, times, hashes and bytes.
    /// Ledger rows must continue the chain this database holds (on PostgreSQL its trigger refuses any that does not).
    /// A value of another kind than its column holds is refused (`StoreError.corrupt`), never converted.
    func insertCopiedRows(_ rows: [[StoredValue]], into table: StoreTable, columns: [String]) throws

    /// The highest id the store has handed out in `table` (one that `numbersRows`), counting numbers a rolled-back or
    /// deleted row used where the database remembers them; 0 when none.
    func rowNumberHighWaterMark(_ table: StoreTable) throws -> Int64

    /// Makes every id the store hands out in `table` from now on greater than `mark` (never lowers its counter).
    func raiseRowNumberHighWaterMark(_ table: StoreTable, to mark: Int64) throws
}

/// Column lists for the copy's statements: names as the schema gives them, checked to be plain identifiers before
/// they are written into SQL.
package enum CopySQL {
    /// `"a", "b"`; a name that is not a plain lower-case identifier is refused.
    package static func columnList(_ columns: [String]) throws -> String {
        for column in columns where column.isEmpty || !column.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLowercase || $0.isNumber)) }) {
            throw StoreError.corrupt("a column named “\(column.prefix(80))”, which the copy does not know how to name")
        }
        return columns.map { "\"\($0)\"" }.joined(separator: ", ")
    }
}

extension CopySQL {
    /// What a column holds, as far as the copy checks it.
    package enum ColumnKind: Sendable {
        case integer, real, text, blob
        /// A type the copy does not check (the database's own constraints still apply).
        case other
    }

    /// Whether `value` may be written into a column of `kind` as it is: a whole number into a real column is exact;
    /// anything else of another kind would be converted by the database, and is refused instead. NULL is left to the
    /// column's constraint.
    package static func accepts(_ kind: ColumnKind, _ value: StoredValue) -> Bool {
        switch (kind, value) {
        case (_, .null), (.other, _), (.integer, .integer), (.real, .real), (.real, .integer), (.text, .text), (.blob, .blob): true
        default: false
        }
    }

    /// Refuses the first value of `rows` that its column cannot take as it is, naming the table, the row (by its
    /// first column) and the column.
    package static func checkKinds(_ rows: [[StoredValue]], columns: [String], kinds: [String: ColumnKind], table: StoreTable) throws {
        let columnKinds = columns.map { kinds[$0] ?? .other }
        for row in rows {
            for (index, value) in row.enumerated() where index < columnKinds.count && !accepts(columnKinds[index], value) {
                let key: String = switch row.first {
                case .integer(let n): String(n)
                case .text(let s): "“\(s.prefix(80))”"
                default: "?"
                }
                throw StoreError.corrupt("table \(table.rawValue), row \(key): column \(columns[index]) holds \(value.kind), which its column in the target does not take as it is")
            }
        }
    }
}

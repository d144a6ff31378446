import Foundation

/// Moves a deployment from one database to another (`soc2bot store copy`): SQLite to PostgreSQL, PostgreSQL to
/// SQLite, or between two of a kind. Every row of every table (`StoreTable`) goes as it is stored — alerts with their
/// ids and bodies, their messages, tracks, check runs, the outbox with each message's state, cursors (the Matrix sync
/// token and run requests among them), Matrix prompts, seen requests, and the ledger byte for byte, same sequence
/// numbers, hashes and canonical entries — and ids go on from where the source's counters were.
///
/// The source is read on one snapshot, its ledger verified first; the target must hold nothing, and everything is
/// written in one target transaction that, before it commits, verifies the copied ledger and compares its head and
/// every table's row count with the source's: a copy that does not match is rolled back and leaves the target empty.
package enum StoreCopy {
    /// What was copied.
    package struct Summary: Sendable, Equatable {
        /// Rows per table, in `StoreTable` order.
        package var rows: [(table: StoreTable, count: Int)]
        /// The ledger as verified in the source, and found again in the target before it committed.
        package var ledger: LedgerVerdict
        /// What the source holds that the target's kind of store has no place for, so it stays behind: a table or
        /// column one store keeps for its own coordination (a PostgreSQL replica's), as `table` or `table.column`.
        package var leftBehind: [String] = []

        package static func == (a: Summary, b: Summary) -> Bool {
            a.ledger == b.ledger && a.rows.map(\.table) == b.rows.map(\.table) && a.rows.map(\.count) == b.rows.map(\.count)
                && a.leftBehind == b.leftBehind
        }
    }

    /// Why a copy was refused or undone; the target is left as it was.
    package enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// The target already holds rows (another deployment's, or an earlier copy's).
        case targetNotEmpty(location: String, rows: [String])
        /// Both databases have a table this build does not copy (from a newer soc2bot).
        case unknownTables(location: String, tables: [String])
        /// A table is missing, or lacks columns the other database's has (schemas from different builds).
        case schemaDiffers(location: String, what: String)
        /// The target did not match the source after the rows were written (nothing was committed).
        case mismatch(String)

        package var description: String {
            switch self {
            case .targetNotEmpty(let location, let rows):
                "\(location) is not empty (\(rows.joined(separator: ", "))); store copy writes only into an empty database, so nothing was copied. Point --to at a new database (createdb, or a new file)."
            case .unknownTables(let location, let tables):
                "\(location) has tables this soc2bot does not copy (\(tables.joined(separator: ", "))); it was written by a newer version. Copy with that version."
            case .schemaDiffers(let location, let what):
                "\(location): \(what); both databases must be at this soc2bot's schema (start `soc2bot run` on the source once to upgrade it)."
            case .mismatch(let what):
                "the copy does not match its source (\(what)); nothing was committed to the target."
            }
        }
    }

    /// Copies everything in `source` into the empty `target`; see the type's description. Throws `BrokenLedgerError`
    /// (naming the source) when the source's ledger does not verify, and `Refusal` when the target is not empty or
    /// the copy does not match; in every case the target keeps nothing of the attempt.
    package static func copy(from source: BotDatabase, to target: BotDatabase, batchSize: Int = 500) throws -> Summary {
        try source.read { from in
            let verdict = try from.verifyLedger()
            guard verdict.isIntact else { throw BrokenLedgerError(path: source.path, verdict: verdict) }
            let sourceTables = try from.storedTables()
            var counts: [StoreTable: Int] = [:]
            var marks: [StoreTable: Int64] = [:]
            for table in StoreTable.allCases {
                counts[table] = try from.rowCount(table)
                if table.numbersRows { marks[table] = try from.rowNumberHighWaterMark(table) }
            }
            return try target.write { to in
                let targetTables = try to.storedTables()
                let known = Set(StoreTable.allCases.map(\.rawValue))
                let unknown = Set(sourceTables.keys).intersection(targetTables.keys).subtracting(known).sorted()
                guard unknown.isEmpty else { throw Refusal.unknownTables(location: source.path, tables: unknown) }
                for (tables, location) in [(sourceTables, source.path), (targetTables, target.path)] {
                    let absent = known.filter { tables[$0] == nil }.sorted()
                    guard absent.isEmpty else {
                        throw Refusal.schemaDiffers(location: location, what: "table\(absent.count == 1 ? "" : "s") \(absent.joined(separator: ", ")) missing")
                    }
                }
                var leftBehind = Set(sourceTables.keys).subtracting(targetTables.keys).sorted()
                let occupied = try StoreTable.allCases.compactMap { table in
                    let rows = try to.rowCount(table)
                    return rows > 0 ? "\(rows) \(table.rawValue) row\(rows == 1 ? "" : "s")" : nil
                }
                guard occupied.isEmpty else { throw Refusal.targetNotEmpty(location: target.path, rows: occupied) }

                for table in StoreTable.allCases {
                    // The columns both have; one only the source's kind of store keeps is named in the summary.
                    let targetColumns = Set(targetTables[table.rawValue] ?? [])
                    let columns = (sourceTables[table.rawValue] ?? []).filter(targetColumns.contains)
                    leftBehind += (sourceTables[table.rawValue] ?? []).filter { !targetColumns.contains($0) }.map { "\(table.rawValue).\($0)" }
                    var batch: [[StoredValue]] = []
                    batch.reserveCapacity(batchSize)
                    var copied = 0
                    try from.copyRows(of: table, columns: columns) { row in
                        batch.append(row)
                        if batch.count >= batchSize {
                            try to.insertCopiedRows(batch, into: table, columns: columns)
                            copied += batch.count
                            batch.removeAll(keepingCapacity: true)
                        }
                    }
                    if !batch.isEmpty {
                        try to.insertCopiedRows(batch, into: table, columns: columns)
                        copied += batch.count
                    }
                    guard copied == counts[table] else {
                        throw Refusal.mismatch("\(copied) \(table.rawValue) rows read, \(counts[table] ?? 0) counted")
                    }
                    if let mark = marks[table] { try to.raiseRowNumberHighWaterMark(table, to: mark) }
                }

                // Checked in the target's own transaction, before it commits: what is verified is what lands.
                let copiedVerdict = try to.verifyLedger()
                guard copiedVerdict == verdict else {
                    throw Refusal.mismatch("the source's \(verdict); the target's \(copiedVerdict)")
                }
                for table in StoreTable.allCases {
                    let rows = try to.rowCount(table)
                    guard rows == counts[table] else {
                        throw Refusal.mismatch("\(table.rawValue): \(counts[table] ?? 0) rows in the source, \(rows) in the target")
                    }
                }
                return Summary(rows: StoreTable.allCases.map { ($0, counts[$0] ?? 0) }, ledger: verdict, leftBehind: leftBehind)
            }
        }
    }
}

import Core
import Foundation
import GRDB

extension SQLiteTransaction: LedgerRepository {
    // MARK: Evidence

    @discardableResult
    package func appendEvidence<P: Encodable>(kind: String, subject: String?, at: Date, data: P) throws -> LedgerHead {
        try appendEvidence(kind: kind, subject: subject, at: at, canonicalData: Array(try CanonicalJSON.encode(data)))
    }

    /// Appends after the head this write appended last (`WriteScope`), read from the table only for its first entry.
    @discardableResult
    package func appendEvidence(kind: String, subject: String?, at: Date, canonicalData: [UInt8]) throws -> LedgerHead {
        guard let scope else { return try EvidenceLedger.append(db, kind: kind, subject: subject, at: at, canonicalData: canonicalData) }
        return try EvidenceLedger.append(db, head: &scope.ledgerHead, scope: scope, kind: kind, subject: subject, at: at, canonicalData: canonicalData)
    }

    package func verifyLedger() throws -> LedgerVerdict { try EvidenceLedger.verify(db) }
    package func ledgerHead() throws -> LedgerHead? { try EvidenceLedger.head(db) }
    /// The head entry's time (nil: empty ledger); no entry appended later is dated before it.
    package func ledgerHeadTime() throws -> Date? { try EvidenceLedger.headTime(db) }

    /// The ledger entries of `kind` recorded in `period` (half-open), in order. Reads the period's rows only by their
    /// `at` text (ISO 8601 sorts as time); for reports, not for a step.
    package func evidence(kind: String, in period: DateInterval) throws -> [Data] {
        try Row.fetchAll(db, sql: "SELECT seq, entry FROM ledger WHERE kind = ? AND at >= ? AND at < ? ORDER BY seq",
                         arguments: [kind, TimeText.iso(period.start), TimeText.iso(period.end)])
            .map { try StoredRow($0, table: "ledger")(1, Data.self) }
    }

    /// Ledger entries about `subject` (e.g. `A-3`), oldest first, as their canonical JSON.
    ///
    /// `ledger_subject` leaves control runs' entries out (`indexedSubject`, migration `v9-ledger-subject-without-runs`):
    /// they are read by the second arm, whose condition `?2` SQLite evaluates once before reading any row, so it costs
    /// nothing unless the subject is a control's (`control:<id>`), when it reads the ledger through. No report or step
    /// asks for those.
    package func evidence(subject: String) throws -> [Data] {
        try Data.fetchAll(db.cachedStatement(sql: Self.evidenceBySubjectSQL), arguments: [subject, Self.bytes(of: subject, startWith: Self.runSubjects)])
    }

    /// `evidence(subject:)`'s query (`?1` the subject, `?2` whether it may name a control run), exposed so a test can
    /// check that it reads no more than the subject's entries otherwise.
    package static let evidenceBySubjectSQL = """
        SELECT entry FROM (
            SELECT seq, entry FROM ledger WHERE subject = ?1 AND \(indexedSubject)
            UNION ALL
            SELECT seq, entry FROM ledger WHERE ?2 AND NOT \(indexedSubject) AND subject = ?1
        ) ORDER BY seq
        """

    /// Entries whose subject starts with `prefix` (`review:` → every access review), in chain order. Control runs'
    /// entries as in `evidence(subject:)`: read only when the prefix could name a control.
    package func evidence(subjectPrefix prefix: String) throws -> [Data] {
        let mayNameARun = Self.bytes(of: Self.runSubjects, startWith: prefix) || Self.bytes(of: prefix, startWith: Self.runSubjects)
        return try Data.fetchAll(db.cachedStatement(sql: """
            SELECT entry FROM (
                SELECT seq, entry FROM ledger WHERE subject >= ?1 AND subject < ?2 AND \(Self.indexedSubject)
                UNION ALL
                SELECT seq, entry FROM ledger WHERE ?3 AND NOT \(Self.indexedSubject) AND subject >= ?1 AND subject < ?2
            ) ORDER BY seq
            """), arguments: [prefix, prefix + "\u{10FFFF}", mayNameARun])
    }

    /// The subjects of control runs' entries (`AlertEngine.recordRun`) start with this.
    static let runSubjects = "control:"
    /// Whether `text`'s UTF-8 starts with `prefix`'s, as SQLite compares text (`String.hasPrefix` compares characters:
    /// `control:` followed by a combining accent does not start with `control:` for it, but does for SQLite).
    static func bytes(of text: String, startWith prefix: String) -> Bool { text.utf8.starts(with: prefix.utf8) }
    /// The entries `ledger_subject` holds (besides a subject): all but a control run's about a control. Written the
    /// same in the index and in the queries, which SQLite needs to use a partial index (`;` follows `:`).
    package static let indexedSubject = "NOT (kind = 'control_run' AND subject >= 'control:' AND subject < 'control;')"

    /// Ledger rows of the period [from, to), in chain order, for export: every entry from the first with `at ≥ from`
    /// to the last with `at < to`. A slice by seq, not by `at`, so it stays one unbroken chain even when two writers
    /// stamped entries a few milliseconds out of order at the period's edge.
    package func ledgerRows(from: Date?, to: Date?, _ body: (LedgerRow) throws -> Void) throws {
        var sql = "SELECT seq, at, kind, subject, entry, prev_hash, hash FROM ledger"
        var args: [any DatabaseValueConvertible] = []
        var conditions: [String] = []
        if let from { conditions.append("seq >= (SELECT MIN(seq) FROM ledger WHERE at >= ?)"); args.append(TimeText.iso(from)) }
        if let to { conditions.append("seq <= (SELECT MAX(seq) FROM ledger WHERE at < ?)"); args.append(TimeText.iso(to)) }
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY seq"
        let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(args))
        while let row = try rows.next() { try body(try LedgerRow(StoredRow(row, table: "ledger"))) }
    }

    /// Ledger rows from sequence number `seq` on, in order (the dashboard's latest entries).
    package func ledgerRows(fromSeq seq: Int64, _ body: (LedgerRow) throws -> Void) throws {
        let rows = try Row.fetchCursor(db, sql: "SELECT seq, at, kind, subject, entry, prev_hash, hash FROM ledger WHERE seq >= ? ORDER BY seq", arguments: [seq])
        while let row = try rows.next() { try body(try LedgerRow(StoredRow(row, table: "ledger"))) }
    }

    /// The hash of entry `seq`, used to anchor an exported slice that does not start at the genesis.
    package func ledgerHash(seq: Int64) throws -> Data? {
        try Data.fetchOne(db, sql: "SELECT hash FROM ledger WHERE seq = ?", arguments: [seq])
    }

    /// When the latest ledger entry about `subject` of `kind` was written (nil: none).
    package func lastEvidenceAt(subject: String, kind: String) throws -> Date? {
        try String.fetchOne(db.cachedStatement(sql: Self.latestOfKind("at", subject: subject, kind: kind)), arguments: [subject, kind]).flatMap(TimeText.parse)
    }

    /// The latest entry about `?1` of kind `?2`, its `column`: along `ledger_subject` from the newest entry; a control
    /// run's (left out of that index) from the ledger's end backwards, which finds a control that runs at all within
    /// its last few steps.
    private static func latestOfKind(_ column: String, subject: String, kind: String) -> String {
        kind == "control_run" && bytes(of: subject, startWith: runSubjects)
            ? "SELECT \(column) FROM ledger WHERE kind = ?2 AND subject = ?1 ORDER BY seq DESC LIMIT 1"
            : "SELECT \(column) FROM ledger WHERE subject = ?1 AND kind = ?2 AND \(indexedSubject) ORDER BY seq DESC LIMIT 1"
    }

    /// Ledger entries of `kind`: a full count, for benchmarks and diagnostics, never for a step.
    package func evidenceCount(kind: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger WHERE kind = ?", arguments: [kind]) ?? 0
    }

    /// The latest ledger entry about `subject` of `kind` (canonical JSON; nil: none). Walks the `ledger_subject` index
    /// from the newest entry (a control run's: the ledger from its end, `latestOfKind`), so it costs the same with a
    /// year of entries as with a day.
    package func latestEvidence(subject: String, kind: String) throws -> Data? {
        try Data.fetchOne(db.cachedStatement(sql: Self.latestOfKind("entry", subject: subject, kind: kind)), arguments: [subject, kind])
    }
}

extension LedgerRow {
    /// Reads `seq, at, kind, subject, entry, prev_hash, hash`, in that order.
    init(_ row: StoredRow) throws {
        self.init(seq: try row(0), at: try row(1), kind: try row(2), subject: try row(3), entry: try row(4), prevHash: try row(5), hash: try row(6))
    }
}

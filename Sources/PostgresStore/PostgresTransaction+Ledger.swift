import Core
import Foundation
import Postgres
import Store

/// The evidence ledger on PostgreSQL: the same canonical entries and hashes as on SQLite (both stores call
/// `EvidenceLedger.nextEntry`), verified by the same `ChainVerifier`.
extension PostgresTransaction: LedgerRepository {
    /// Appends one entry in this transaction and returns the new head. The first append locks the head row
    /// (`SELECT … FOR UPDATE`): a concurrent appender, on any session or replica, waits until this transaction ends,
    /// then continues from the head it left. Ledger time never goes backwards (see `EvidenceLedger.append`).
    ///
    /// The row is held back and written with up to 499 others in one statement, before the transaction's next
    /// statement or its commit (`flushAppends`): a failure to write it fails the transaction there.
    @discardableResult
    package func appendEvidence<P: Encodable>(kind: String, subject: String?, at: Date, data: P) throws -> LedgerHead {
        try appendEvidence(kind: kind, subject: subject, at: at, canonicalData: Array(try CanonicalJSON.encode(data)))
    }

    /// The same with the payload already in `CanonicalJSON`'s bytes.
    @discardableResult
    package func appendEvidence(kind: String, subject: String?, at: Date, canonicalData: [UInt8]) throws -> LedgerHead {
        let head = try lockedHead ?? lockHead()
        let next = EvidenceLedger.nextEntry(headSeq: head.seq, headHash: head.hash, headTime: head.at.isEmpty ? nil : head.at,
                                            kind: kind, subject: subject, at: at, canonicalData: canonicalData)
        pendingAppends.append((next, kind, subject))
        lockedHead = (next.seq, next.hash, next.at)
        if pendingAppends.count >= Self.appendBatch { try flushAppends() }
        return LedgerHead(seq: next.seq, hash: next.hash.hexString)
    }

    /// Locks the head (waiting for another appender's transaction to end), then reads it: a statement after the lock
    /// sees what that transaction committed (read committed takes a snapshot per statement).
    private func lockHead() throws -> (seq: Int64, hash: Data, at: String) {
        try sessionForAppending.query("SELECT one FROM ledger_head FOR UPDATE")
        let last = try sessionForAppending.query("SELECT seq, hash, at FROM ledger ORDER BY seq DESC LIMIT 1")
        guard last.rowCount > 0 else { return (0, EvidenceLedger.genesis, "") }
        return (try last[0].decode(Int64.self, at: 0), try last[0].decode(Data.self, at: 1), try last[0].decode(String.self, at: 2))
    }

    /// Locks the head now, as the first append does (nothing when this transaction holds it already): what
    /// `PostgresBackend.prepareLedgerForAppending` takes first, so replicas starting together check and restore the
    /// ledger one after the other, and no appender writes in between.
    func holdLedgerHead() throws {
        if lockedHead == nil { lockedHead = try lockHead() }
    }

    /// Recomputes the whole chain from the first entry and names the first entry that does not verify (see
    /// `EvidenceLedger.verify`). Streams the rows (binary `COPY`, the server sending while this checks) and checks
    /// their bytes in place.
    package func verifyLedger() throws -> LedgerVerdict {
        var verifier = ChainVerifier()
        var verdict: LedgerVerdict?
        try connection.copyOut("SELECT seq, entry, prev_hash, hash, at, kind, subject FROM ledger ORDER BY seq") { row in
            guard verdict == nil else { return }
            guard let seq = row.int64(at: 0) else { throw PostgresError(.decoding, message: "a ledger row without its seq") }
            guard let entry = row.bytes(at: 1), let prev = row.bytes(at: 2), let hash = row.bytes(at: 3),
                  let at = row.bytes(at: 4), let kind = row.bytes(at: 5) else {
                verdict = .broken(seq: seq, reason: "a column that is never NULL is NULL: the row was edited")
                return
            }
            if let problem = verifier.check(seq: seq, entry: entry, prevHash: prev, hash: hash, at: at, kind: kind, subject: row.bytes(at: 6)) {
                verdict = .broken(seq: seq, reason: problem)
            }
        }
        return verdict ?? verifier.verdict
    }

    /// The current head, or nil for an empty ledger.
    package func ledgerHead() throws -> LedgerHead? {
        let result = try connection.query("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")
        guard result.rowCount > 0 else { return nil }
        return LedgerHead(seq: try result[0].decode(Int64.self, at: 0), hash: try result[0].decode(Data.self, at: 1).hexString)
    }

    /// The head entry's time (nil: empty ledger); no entry appended later is dated before it.
    package func ledgerHeadTime() throws -> Date? {
        let result = try connection.query("SELECT at FROM ledger ORDER BY seq DESC LIMIT 1")
        guard result.rowCount > 0 else { return nil }
        return TimeText.parse(try result[0].decode(String.self, at: 0))
    }

    /// The ledger entries of `kind` recorded in `period` (half-open), in order, as their canonical JSON.
    package func evidence(kind: String, in period: DateInterval) throws -> [Data] {
        try entries("SELECT entry FROM ledger WHERE kind = $1 AND at >= $2 AND at < $3 ORDER BY seq",
                    [.text(kind), .text(TimeText.iso(period.start)), .text(TimeText.iso(period.end))])
    }

    /// Ledger entries about `subject` (e.g. `A-3`), oldest first, as their canonical JSON.
    package func evidence(subject: String) throws -> [Data] {
        try entries("SELECT entry FROM ledger WHERE subject = $1 ORDER BY seq", [.text(subject)])
    }

    /// The newest entry about `subject` of `kind` (nil: none), as its canonical JSON.
    package func latestEvidence(subject: String, kind: String) throws -> Data? {
        try entries("SELECT entry FROM ledger WHERE subject = $1 AND kind = $2 ORDER BY seq DESC LIMIT 1", [.text(subject), .text(kind)]).first
    }

    /// When the newest entry about `subject` of `kind` was recorded (nil: none).
    package func lastEvidenceAt(subject: String, kind: String) throws -> Date? {
        let result = try connection.query("SELECT at FROM ledger WHERE subject = $1 AND kind = $2 ORDER BY seq DESC LIMIT 1", [.text(subject), .text(kind)])
        guard result.rowCount > 0 else { return nil }
        return TimeText.parse(try result[0].decode(String.self, at: 0))
    }

    /// Ledger entries of `kind`: a full count, for benchmarks and diagnostics, never for a step.
    package func evidenceCount(kind: String) throws -> Int {
        let result = try connection.query("SELECT count(*) FROM ledger WHERE kind = $1", [.text(kind)])
        return Int(try result[0].decode(Int64.self, at: 0))
    }

    /// Entries whose subject starts with `prefix` (`review:` → every access review), in chain order.
    package func evidence(subjectPrefix prefix: String) throws -> [Data] {
        try entries("SELECT entry FROM ledger WHERE starts_with(subject, $1) ORDER BY seq", [.text(prefix)])
    }

    /// Ledger rows of the period [from, to), in chain order, for export: every entry from the first with `at ≥ from`
    /// to the last with `at < to` (a slice by seq, as on SQLite).
    package func ledgerRows(from: Date? = nil, to: Date? = nil, _ body: (LedgerRow) throws -> Void) throws {
        var sql = "SELECT seq, at, kind, subject, entry, prev_hash, hash FROM ledger"
        var parameters: [PostgresValue] = []
        var conditions: [String] = []
        if let from {
            parameters.append(.text(TimeText.iso(from)))
            conditions.append("seq >= (SELECT MIN(seq) FROM ledger WHERE at >= $\(parameters.count))")
        }
        if let to {
            parameters.append(.text(TimeText.iso(to)))
            conditions.append("seq <= (SELECT MAX(seq) FROM ledger WHERE at < $\(parameters.count))")
        }
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        try forEachLedgerRow(sql + " ORDER BY seq", parameters, body)
    }

    /// Ledger rows from sequence number `seq` on, in order (the dashboard's latest entries).
    package func ledgerRows(fromSeq seq: Int64, _ body: (LedgerRow) throws -> Void) throws {
        try forEachLedgerRow("SELECT seq, at, kind, subject, entry, prev_hash, hash FROM ledger WHERE seq >= $1 ORDER BY seq", [.int(seq)], body)
    }

    /// The hash of entry `seq`, used to anchor an exported slice that does not start at the genesis.
    package func ledgerHash(seq: Int64) throws -> Data? {
        let result = try connection.query("SELECT hash FROM ledger WHERE seq = $1", [.int(seq)])
        return result.rowCount > 0 ? try result[0].decode(Data.self, at: 0) : nil
    }

    private func entries(_ sql: String, _ parameters: [PostgresValue]) throws -> [Data] {
        var entries: [Data] = []
        try connection.forEachRow(sql, parameters) { entries.append(try $0.decode(Data.self, at: 0)) }
        return entries
    }

    private func forEachLedgerRow(_ sql: String, _ parameters: [PostgresValue], _ body: (LedgerRow) throws -> Void) throws {
        try connection.forEachRow(sql, parameters) { row in
            try body(LedgerRow(seq: try row.decode(at: 0), at: try row.decode(at: 1), kind: try row.decode(at: 2), subject: try row.decode(at: 3),
                               entry: try row.decode(at: 4), prevHash: try row.decode(at: 5), hash: try row.decode(at: 6)))
        }
    }
}

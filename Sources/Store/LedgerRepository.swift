import Foundation

/// The append-only, hash-chained evidence ledger (`EvidenceLedger` describes the chain): appends in the caller's
/// transaction, verification, and the queries reports and exports make.
package protocol LedgerRepository {
    /// Appends one entry in this transaction and returns the new head. Ledger time never goes backwards: an entry
    /// stamped before the head is recorded at the head's time.
    @discardableResult
    func appendEvidence<P: Encodable>(kind: String, subject: String?, at: Date, data: P) throws -> LedgerHead

    /// The same with the payload already in `CanonicalJSON`'s bytes (an entry written by hand on a hot path).
    @discardableResult
    func appendEvidence(kind: String, subject: String?, at: Date, canonicalData: [UInt8]) throws -> LedgerHead

    /// Recomputes the whole chain and names the first entry that does not verify.
    func verifyLedger() throws -> LedgerVerdict

    /// The head of the chain (nil: empty ledger).
    func ledgerHead() throws -> LedgerHead?

    /// The head entry's time (nil: empty ledger); no entry appended later is dated before it.
    func ledgerHeadTime() throws -> Date?

    /// The ledger entries of `kind` recorded in `period` (half-open), in order, as their canonical JSON. For
    /// reports, not for a step.
    func evidence(kind: String, in period: DateInterval) throws -> [Data]

    /// Ledger entries about `subject` (e.g. `A-3`), oldest first, as their canonical JSON.
    func evidence(subject: String) throws -> [Data]

    /// Entries whose subject starts with `prefix` (`review:` → every access review), in chain order.
    func evidence(subjectPrefix prefix: String) throws -> [Data]

    /// The latest ledger entry about `subject` of `kind` (canonical JSON; nil: none). Costs the same with a year of
    /// entries as with a day.
    func latestEvidence(subject: String, kind: String) throws -> Data?

    /// When the latest ledger entry about `subject` of `kind` was written (nil: none).
    func lastEvidenceAt(subject: String, kind: String) throws -> Date?

    /// Ledger entries of `kind`: a full count, for benchmarks and diagnostics, never for a step.
    func evidenceCount(kind: String) throws -> Int

    /// Ledger rows of the period [from, to) (nil: unbounded), in chain order, for export: every entry from the first
    /// with `at ≥ from` to the last with `at < to`. A slice by seq, not by `at`, so it stays one unbroken chain even
    /// when two writers stamped entries a few milliseconds out of order at the period's edge.
    func ledgerRows(from: Date?, to: Date?, _ body: (LedgerRow) throws -> Void) throws

    /// Ledger rows from sequence number `seq` on, in order (the dashboard's latest entries).
    func ledgerRows(fromSeq seq: Int64, _ body: (LedgerRow) throws -> Void) throws

    /// The hash of entry `seq`, used to anchor an exported slice that does not start at the genesis.
    func ledgerHash(seq: Int64) throws -> Data?
}

extension LedgerRepository {
    /// Every ledger row, in chain order.
    package func ledgerRows(_ body: (LedgerRow) throws -> Void) throws { try ledgerRows(from: nil, to: nil, body) }
}

import Core
import Crypto
import Foundation
import Store
import Testing
import TestSupport

/// The evidence ledger on every store: one hash chain from the genesis, the same canonical bytes whichever store
/// holds it, verification that finds an entry changed behind the bot's back, and the reads of reports and exports.
@Suite("Ledger repository")
struct LedgerConformanceTests {
    /// Appends notes `n` at `t0 + n minutes` about the subjects given, one transaction each.
    func append(_ database: BotDatabase, _ entries: [(kind: String, subject: String?)]) throws -> [LedgerHead] {
        let start = try database.read { try $0.ledgerHead()?.seq ?? 0 }
        return try entries.enumerated().map { i, entry in
            let n = Int(start) + i + 1
            return try database.write { try $0.appendEvidence(kind: entry.kind, subject: entry.subject, at: Sample.at(Double(n) * Sample.minute), data: Note(n: n)) }
        }
    }

    @Test(arguments: StoreFactory.all)
    func appendBuildsAHashChainFromTheGenesis(_ store: StoreFactory) throws {
        let database = try store.make()
        #expect(try database.read { try $0.ledgerHead() } == nil)
        #expect(try database.read { try $0.ledgerHeadTime() } == nil)
        #expect(try database.read { try $0.verifyLedger() } == .intact(entries: 0, head: EvidenceLedger.genesis.hexString))

        let heads = try append(database, Array(repeating: ("note", nil), count: 5))

        let rows = try ledgerRows(database)
        #expect(rows.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(rows[0].prevHash == Data(repeating: 0, count: 32))
        for (i, row) in rows.enumerated() {
            // hash = SHA-256(prev_hash ‖ entry), computed here independently of the store.
            var hasher = SHA256()
            hasher.update(data: row.prevHash)
            hasher.update(data: row.entry)
            #expect(row.hash == Data(hasher.finalize()))
            if i > 0 { #expect(row.prevHash == rows[i - 1].hash) }
            #expect(heads[i].seq == row.seq && heads[i].hash == row.hash.hexString)
            #expect(try database.read { try $0.ledgerHash(seq: row.seq) } == row.hash)
        }
        // The hashed bytes are canonical JSON naming their own position: the same on every store.
        #expect(String(decoding: rows[2].entry, as: UTF8.self) == #"{"at":"2026-02-25T06:16:20.000Z","data":{"n":3},"kind":"note","seq":3}"#)
        #expect(rows[2].at == "2026-02-25T06:16:20.000Z" && rows[2].kind == "note" && rows[2].subject == nil)
        #expect(try database.read { try $0.ledgerHead() } == heads.last)
        #expect(try database.read { try $0.ledgerHeadTime() } == Sample.at(5 * Sample.minute))
        #expect(try database.read { try $0.ledgerHash(seq: 6) } == nil)
        #expect(try database.read { try $0.verifyLedger() } == .intact(entries: 5, head: heads[4].hash))
    }

    /// An entry whose bytes were changed where the store keeps them breaks the chain at that entry.
    @Test(arguments: StoreFactory.all)
    func anEntryChangedBehindTheBotsBackBreaksTheChainThere(_ store: StoreFactory) throws {
        let database = try store.make()
        _ = try append(database, Array(repeating: ("note", "control:mfa"), count: 6))
        let original = try ledgerRows(database)[3].entry

        try store.alterLedgerEntry(database, 4, Data(String(decoding: original, as: UTF8.self).replacingOccurrences(of: #""n":4"#, with: #""n":5"#).utf8))

        let verdict = try database.read { try $0.verifyLedger() }
        guard case .broken(let seq, _) = verdict else {
            Issue.record("the altered ledger verified: \(verdict)")
            return
        }
        #expect(seq == 4)
    }

    /// A write that fails takes its entries with it: the chain goes on from the last committed head.
    @Test(arguments: StoreFactory.all)
    func entriesOfARolledBackWriteLeaveNoGap(_ store: StoreFactory) throws {
        let database = try store.make()
        _ = try append(database, [("note", nil)])
        #expect(throws: StoreError.self) {
            try database.write { tx in
                try tx.appendEvidence(kind: "note", subject: nil, at: Sample.at(Sample.hour), data: Note(n: 99))
                throw StoreError.notFound("the alert")
            }
        }
        let heads = try append(database, [("note", nil)])

        #expect(heads.map(\.seq) == [2])
        #expect(try database.read { try $0.verifyLedger() } == .intact(entries: 2, head: heads[0].hash))
    }

    /// A savepoint that throws takes its entries back, and the entries after it continue the chain from the head
    /// before it: a step's failed control loses its own evidence, not the step's. Also when the failed savepoint
    /// was the transaction's first append (PostgreSQL: the head lock it took goes with it).
    @Test(arguments: StoreFactory.all)
    func entriesOfAFailedSavepointLeaveNoGap(_ store: StoreFactory) throws {
        let database = try store.make()
        func failedSavepoint(_ tx: StoreTransaction) {
            #expect(throws: StoreError.self) {
                try tx.savepoint {
                    try tx.appendEvidence(kind: "note", subject: nil, at: Sample.at(Sample.hour), data: Note(n: 99))
                    throw StoreError.notFound("the control's facts")
                }
            }
        }
        let heads = try database.write { tx in
            let first = try tx.appendEvidence(kind: "note", subject: nil, at: Sample.at(Sample.minute), data: Note(n: 1))
            failedSavepoint(tx)
            let kept = try tx.savepoint { try tx.appendEvidence(kind: "note", subject: nil, at: Sample.at(2 * Sample.minute), data: Note(n: 2)) }
            return [first, kept]
        } + database.write { tx in
            failedSavepoint(tx)
            return [try tx.appendEvidence(kind: "note", subject: nil, at: Sample.at(3 * Sample.minute), data: Note(n: 3))]
        }

        #expect(heads.map(\.seq) == [1, 2, 3])
        #expect(try ledgerRows(database).map(\.seq) == [1, 2, 3])
        #expect(try database.read { try $0.verifyLedger() } == .intact(entries: 3, head: heads[2].hash))
    }

    /// A process starts appending only on a chain that verifies; a broken one is refused, naming the entry, and left
    /// as it was.
    @Test(arguments: StoreFactory.all)
    func appendingStartsOnlyOnAChainThatVerifies(_ store: StoreFactory) throws {
        let database = try store.make()
        _ = try append(database, Array(repeating: ("note", nil), count: 3))
        #expect(try database.prepareLedgerForAppending(now: Sample.at(Sample.hour)) == LedgerStartCheck(entries: 3, restoredTriggers: [], recordedAt: nil))

        let original = try ledgerRows(database)[1].entry
        try store.alterLedgerEntry(database, 2, Data(String(decoding: original, as: UTF8.self).replacingOccurrences(of: #""n":2"#, with: #""n":7"#).utf8))

        let error = #expect(throws: BrokenLedgerError.self) { try database.prepareLedgerForAppending(now: Sample.at(Sample.hour)) }
        guard case .broken(let seq, _) = error?.verdict else {
            Issue.record("the altered ledger was accepted: \(String(describing: error))")
            return
        }
        #expect(seq == 2)
        #expect(try database.read { try $0.ledgerHead()?.seq } == 3)
    }

    /// Protection against changing entries, taken away outside soc2bot, is put back before a process appends, and
    /// the ledger records that; the next start finds it in place.
    @Test(arguments: StoreFactory.all)
    func updateProtectionTakenAwayIsRestoredAndRecorded(_ store: StoreFactory) throws {
        let database = try store.make()
        _ = try append(database, Array(repeating: ("note", nil), count: 2))
        try store.removeUpdateProtection(database)

        let check = try database.prepareLedgerForAppending(now: Sample.at(Sample.hour))

        #expect(check.entries == 2 && check.restoredTriggers == ["ledger_no_update"] && check.recordedAt?.seq == 3)
        let recorded = try database.read { try $0.latestEvidence(subject: "ledger", kind: EvidenceLedger.triggersRestoredKind) }
        #expect(recorded.map { String(decoding: $0, as: UTF8.self).contains(#""triggers":["ledger_no_update"]"#) } == true)
        #expect(try database.read { try $0.verifyLedger() }.isIntact)
        #expect(try database.prepareLedgerForAppending(now: Sample.at(2 * Sample.hour)) == LedgerStartCheck(entries: 3, restoredTriggers: [], recordedAt: nil))
    }

    @Test(arguments: StoreFactory.all)
    func aTimeBeforeTheHeadIsRecordedAtTheHeadsTime(_ store: StoreFactory) throws {
        // Given a ledger whose head was recorded at t0 + 10 min
        let database = try store.make()
        _ = try database.write { try $0.appendEvidence(kind: "note", subject: nil, at: Sample.at(10 * Sample.minute), data: Note(n: 1)) }

        // When an entry stamped 5 minutes earlier is appended (a clock stepped back, a demo resumed from an old save)
        _ = try database.write { try $0.appendEvidence(kind: "note", subject: nil, at: Sample.at(5 * Sample.minute), data: Note(n: 2)) }

        // Then ledger time does not go backwards: it is recorded at the head's time, column and hashed bytes alike
        let rows = try ledgerRows(database)
        #expect(rows.map(\.at) == [TimeText.iso(Sample.at(10 * Sample.minute)), TimeText.iso(Sample.at(10 * Sample.minute))])
        #expect(String(decoding: rows[1].entry, as: UTF8.self).hasPrefix(#"{"at":"\#(TimeText.iso(Sample.at(10 * Sample.minute)))","#))
        #expect(try database.read { try $0.ledgerHeadTime() } == Sample.at(10 * Sample.minute))
        #expect(try database.read { try $0.verifyLedger() }.isIntact)
    }

    @Test(arguments: StoreFactory.all)
    func evidenceIsFoundBySubjectKindAndPeriod(_ store: StoreFactory) throws {
        let database = try store.make()
        // entries 1…6 at 1…6 minutes
        _ = try append(database, [("run", "control:mfa"), ("review", "review:q1"), ("run", "control:mfa"), ("run", "control:sso"),
                                  ("review", "review:q2"), ("note", nil)])
        func ns(_ entries: [Data]) -> [Int] {
            entries.map { entry in
                let text = String(decoding: entry, as: UTF8.self)
                guard let range = text.range(of: #""seq":"#) else { return -1 }
                return Int(text[range.upperBound...].prefix { $0.isNumber }) ?? -1
            }
        }

        #expect(ns(try database.read { try $0.evidence(subject: "control:mfa") }) == [1, 3])
        #expect(ns(try database.read { try $0.evidence(subject: "control:none") }) == [])
        #expect(ns(try database.read { try $0.evidence(subjectPrefix: "review:") }) == [2, 5])
        #expect(ns(try database.read { try $0.evidence(subjectPrefix: "control:") }) == [1, 3, 4])
        // half-open: the entry at 3 minutes is in [2 min, 4 min), the one at 4 minutes is not
        let period = DateInterval(start: Sample.at(2 * Sample.minute), end: Sample.at(4 * Sample.minute))
        #expect(ns(try database.read { try $0.evidence(kind: "run", in: period) }) == [3])
        #expect(ns([try database.read { try $0.latestEvidence(subject: "control:mfa", kind: "run") }].compactMap { $0 }) == [3])
        #expect(try database.read { try $0.latestEvidence(subject: "control:mfa", kind: "review") } == nil)
        #expect(try database.read { try $0.lastEvidenceAt(subject: "control:mfa", kind: "run") } == Sample.at(3 * Sample.minute))
        #expect(try database.read { try $0.lastEvidenceAt(subject: "review:q3", kind: "review") } == nil)
        #expect(try database.read { try $0.evidenceCount(kind: "run") } == 3)
        #expect(try database.read { try $0.evidenceCount(kind: "absent") } == 0)
    }

    /// An export's slice is one unbroken run of seq from the first entry at or after its start to the last before its
    /// end; the dashboard reads the newest entries from a seq.
    @Test(arguments: StoreFactory.all)
    func ledgerRowsAreSlicedBySeqBetweenThePeriodsEdges(_ store: StoreFactory) throws {
        let database = try store.make()
        _ = try append(database, Array(repeating: ("note", nil), count: 6))
        func seqs(from: Date?, to: Date?) throws -> [Int64] {
            try database.read { tx in
                var seqs: [Int64] = []
                try tx.ledgerRows(from: from, to: to) { seqs.append($0.seq) }
                return seqs
            }
        }

        #expect(try seqs(from: Sample.at(2 * Sample.minute), to: Sample.at(5 * Sample.minute)) == [2, 3, 4])
        #expect(try seqs(from: Sample.at(2.5 * Sample.minute), to: nil) == [3, 4, 5, 6])
        #expect(try seqs(from: nil, to: Sample.at(2 * Sample.minute)) == [1])
        #expect(try seqs(from: nil, to: nil) == [1, 2, 3, 4, 5, 6])
        let newest = try database.read { tx in
            var seqs: [Int64] = []
            try tx.ledgerRows(fromSeq: 5) { seqs.append($0.seq) }
            return seqs
        }
        #expect(newest == [5, 6])
    }
}

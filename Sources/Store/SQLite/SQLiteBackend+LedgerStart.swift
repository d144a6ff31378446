import Core
import Foundation
import GRDB

extension SQLiteBackend {
    /// Run before a process starts appending to the ledger (`run`, `demo`): the whole chain must verify, every column
    /// against its hashed entry, or `BrokenLedgerError` is thrown and nothing is changed; the append-only triggers
    /// are recreated if someone dropped or replaced them, and that is recorded in the ledger (kind
    /// `ledger_triggers_restored`, at `now`): a dropped trigger is how ledger tampering starts, so an auditor sees it
    /// even when no entry was changed. One write transaction, so no other writer appends in between.
    ///
    /// Costs one full verification: 1.1 s for a million entries (release build, the 2-core development VM; see
    /// `soc2bot-bench --only verify`, which times this too).
    package func prepareLedgerForAppending(now: Date) throws -> LedgerStartCheck {
        try writer.write { db in
            let verdict = try EvidenceLedger.verify(db)
            guard case .intact(let entries, _) = verdict else { throw BrokenLedgerError(path: path, verdict: verdict) }
            let restored = try EvidenceLedger.restoreAppendOnlyTriggers(db)
            guard !restored.isEmpty else { return LedgerStartCheck(entries: entries, restoredTriggers: [], recordedAt: nil) }
            let head = try EvidenceLedger.append(db, kind: EvidenceLedger.triggersRestoredKind, subject: "ledger", at: now,
                                                 data: TriggersRestoredEvidence(triggers: restored, verifiedEntries: entries))
            return LedgerStartCheck(entries: entries, restoredTriggers: restored, recordedAt: head)
        }
    }
}

/// What `prepareLedgerForAppending` found and did.
package struct LedgerStartCheck: Sendable, Equatable {
    /// Entries verified.
    package var entries: Int64
    /// Append-only triggers that were missing or altered and are now back (empty: all were in place).
    package var restoredTriggers: [String]
    /// The ledger entry recording the restoration (nil when nothing was restored).
    package var recordedAt: LedgerHead?
    package init(entries: Int64, restoredTriggers: [String], recordedAt: LedgerHead?) {
        self.entries = entries; self.restoredTriggers = restoredTriggers; self.recordedAt = recordedAt
    }
}

/// The evidence of a restoration: which triggers were missing or altered, and that the chain verified before; the
/// ledger entry (`EvidenceLedger.triggersRestoredKind`) is the same on every store.
package struct TriggersRestoredEvidence: Encodable {
    package var triggers: [String]
    package var verifiedEntries: Int64
    package var note = "append-only triggers were missing or altered outside soc2bot; recreated before appending"
    package init(triggers: [String], verifiedEntries: Int64) {
        self.triggers = triggers; self.verifiedEntries = verifiedEntries
    }
}

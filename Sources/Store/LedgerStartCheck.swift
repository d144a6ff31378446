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

import Foundation

/// A raw ledger row, for export and offline verification.
package struct LedgerRow: Sendable {
    package var seq: Int64
    package var at: String
    package var kind: String
    package var subject: String?
    package var entry: Data
    package var prevHash: Data
    package var hash: Data

    package init(seq: Int64, at: String, kind: String, subject: String?, entry: Data, prevHash: Data, hash: Data) {
        self.seq = seq; self.at = at; self.kind = kind; self.subject = subject; self.entry = entry; self.prevHash = prevHash; self.hash = hash
    }
}

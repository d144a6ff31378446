import Foundation
import GRDB

extension StoreTransaction {
    /// The latest ledger entry about `subject` of `kind` (canonical JSON; nil: none). Walks the `ledger_subject` index
    /// from the newest entry, so it costs the same with a year of entries as with a day.
    package func latestEvidence(subject: String, kind: String) throws -> Data? {
        try Data.fetchOne(db, sql: "SELECT entry FROM ledger WHERE subject = ? AND kind = ? ORDER BY seq DESC LIMIT 1", arguments: [subject, kind])
    }
}

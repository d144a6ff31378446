import Core
import Foundation

/// A chat message waiting to be delivered (or delivered). Written in the same transaction as the change that
/// caused it, so a crash can delay a message but never lose it.
package struct OutboxMessage: Sendable, Equatable {
    package typealias Kind = DeliveryKind

    package var id: Int64
    package var alert: AlertID?
    package var kind: Kind
    package var destination: ChatDestination
    /// The platform-neutral message, JSON-encoded by the engine.
    package var payload: Data
    /// Unique per message, fixed before the first attempt and reused on every retry (Matrix txnId).
    package var txnID: String
    package var createdAt: Date
    package var attempts: Int
    package var nextAttemptAt: Date
    package var deliveredAt: Date?
    package var lastError: String?
    /// Who holds the message for delivery (`OutboxRepository.claimOutbox`), nil when nobody does: a dispatcher's
    /// claimer, one per process sharing the database.
    package var claimedBy: String?
    /// When that claim lapses: after it, another claimer may take the message (its claimer stopped).
    package var claimedUntil: Date?
    /// When its claimer began sending it (`beginAttempt`) without an outcome recorded since: set on a message taken
    /// over from a claimer that stopped mid-send, which the platform may already show once.
    package var sendingSince: Date?

    package init(id: Int64, alert: AlertID?, kind: Kind, destination: ChatDestination, payload: Data, txnID: String, createdAt: Date,
                 attempts: Int, nextAttemptAt: Date, deliveredAt: Date?, lastError: String?, claimedBy: String? = nil,
                 claimedUntil: Date? = nil, sendingSince: Date? = nil) {
        self.id = id; self.alert = alert; self.kind = kind; self.destination = destination; self.payload = payload; self.txnID = txnID
        self.createdAt = createdAt; self.attempts = attempts; self.nextAttemptAt = nextAttemptAt; self.deliveredAt = deliveredAt
        self.lastError = lastError; self.claimedBy = claimedBy; self.claimedUntil = claimedUntil; self.sendingSince = sendingSince
    }
}

/// One control run, as recorded in `check_run` and the ledger.
package struct CheckRunRecord: Sendable, Equatable, Codable {
    package var control: ControlID
    package var at: Date
    package var passed: Int
    package var failed: Int
    package var errors: Int
    /// SHA-256 (hex) of the canonical JSON of every result of the run: evidence of exactly what was observed.
    package var digest: String
    package init(control: ControlID, at: Date, passed: Int, failed: Int, errors: Int, digest: String) {
        self.control = control; self.at = at; self.passed = passed; self.failed = failed; self.errors = errors; self.digest = digest
    }
}

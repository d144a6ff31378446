import Core
import Foundation

/// A chat message waiting to be delivered (or delivered). Written in the same transaction as the change that
/// caused it, so a crash can delay a message but never lose it.
package struct OutboxMessage: Sendable, Equatable {
    /// What the delivery does on the platform.
    package enum Kind: String, Sendable, Codable {
        /// A new top-level message for an alert; its reference is stored on the alert.
        case post
        /// Edit the alert's message in place and add a line to its thread.
        case update
        /// A direct message to a person (escalation).
        case direct
        /// A reply to a command, not tied to an alert message.
        case reply
    }

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
}

/// A delivered message's address on its platform: Slack channel + ts, Matrix room + event id, terminal line.
package struct MessageRef: Sendable, Equatable, Codable {
    package var platform: ChatPlatform
    package var channel: String
    package var messageID: String
    package init(platform: ChatPlatform, channel: String, messageID: String) {
        self.platform = platform; self.channel = channel; self.messageID = messageID
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

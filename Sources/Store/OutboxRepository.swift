import Core
import Foundation

/// Chat messages waiting for delivery, written in the transaction of the change they announce and delivered
/// afterwards in order, retried, deferred (Retry-After) or given up on with a reason.
package protocol OutboxRepository {
    /// Queues a message; its txnID is fixed now, before any attempt. Returns the message's id.
    @discardableResult
    func enqueue(alert: AlertID?, kind: OutboxMessage.Kind, destination: ChatDestination, payload: Data, at: Date) throws -> Int64

    /// Queues a message whose txnID the caller derives from what it answers (a Matrix command's event id), unless a
    /// message with that txnID is already queued or sent: a batch of commands seen again after a crash answers once.
    /// True when queued now.
    @discardableResult
    func enqueueOnce(txnID: String, alert: AlertID?, kind: OutboxMessage.Kind, destination: ChatDestination, payload: Data,
                     at: Date) throws -> Bool

    /// Makes the messages to `destination` that wait for a retry due at `at` (the bot just joined the Matrix room they
    /// wait for). Messages given up on stay given up on.
    func retryPending(to destination: ChatDestination, at: Date) throws

    /// Messages on `platforms` still to deliver, oldest first, at most `limit`: undelivered and not given up on
    /// (`markUndeliverable`), so messages that failed for good never crowd the newer ones out of the limit.
    func pendingOutbox(platforms: Set<ChatPlatform>, limit: Int) throws -> [OutboxMessage]

    /// Number of undelivered messages (all platforms).
    func outboxDepth() throws -> Int

    /// Undelivered messages whose last attempt failed (waiting for a retry).
    func outboxFailing() throws -> Int

    /// Every message, delivered or not, oldest first.
    func allOutbox() throws -> [OutboxMessage]

    /// Every message ever queued: a full count, for benchmarks and diagnostics, never for a step.
    func outboxCount() throws -> Int

    /// Claims for `claimer`, until `until`, the messages on `platforms` due at `now` that no other claimer holds (a
    /// claim that lapsed before `now` is free: its claimer stopped), at most `limit`, oldest first; claims `claimer`
    /// already holds are renewed. Each alert's order per platform is kept across claimers: a channel message of an
    /// alert is not claimed while an earlier undelivered one of the same alert and platform (not given up on) is left
    /// out of this claim — waiting for its retry, or held by another claimer. Direct messages belong to no such chain.
    /// On PostgreSQL the rows are taken `FOR UPDATE SKIP LOCKED`, so replicas claiming at once take disjoint messages
    /// without waiting for each other.
    func claimOutbox(platforms: Set<ChatPlatform>, claimer: String, now: Date, until: Date, limit: Int) throws -> [OutboxMessage]

    /// Records that `claimer` is about to send message `id` (`sendingSince` = `at`) and renews its claim to `until`.
    /// True when the claim is still its own and the message still to deliver; false when another claimer took it (the
    /// lease lapsed) or it was settled: then it must not be sent. Recorded before the platform call, so a claimer that
    /// stops between the call and its record leaves a claim that lapses and a message sent once more by the next
    /// claimer: at most one duplicate (none on Matrix, where the same txnId makes the resend a no-op).
    func beginAttempt(_ id: Int64, claimer: String, at: Date, until: Date) throws -> Bool

    /// Takes back `beginAttempt` when nothing was sent after all (the surface's own pacing refused it before the wire):
    /// `sendingSince` cleared, the claim kept. Only while `claimer` holds the message.
    func abandonAttempt(_ id: Int64, claimer: String) throws

    /// Records the delivery and ends the message's claim. With a `claimer`, only while that claimer holds the message
    /// (false, nothing written, once another took it over); nil records it whoever holds it.
    @discardableResult
    func markDelivered(_ id: Int64, at: Date, claimer: String?) throws -> Bool

    /// Records a failed attempt (the error kept, at most 500 characters) and when to try again, and ends the claim
    /// (any claimer may retry it). With a `claimer`, only while that claimer holds the message.
    @discardableResult
    func markFailed(_ id: Int64, error: String, retryAt: Date, claimer: String?) throws -> Bool

    /// Gives up on a message that retrying cannot deliver (channel gone, person unknown): it stays in the outbox with
    /// the reason, counted as a delivery failure, and is no longer pending. With a `claimer`, only while that claimer
    /// holds the message.
    @discardableResult
    func markUndeliverable(_ id: Int64, error: String, claimer: String?) throws -> Bool

    /// Messages given up on (`markUndeliverable`) whose alert has not reached that destination since: no later
    /// message of the same alert to the same destination was delivered (the alert's next edit posts it anew).
    /// Messages of no alert (replies, reminders, notices) are listed until a later message to the same destination is
    /// delivered. Oldest first, at most `limit`; `status`, the dashboard and `/metrics` name them.
    func undeliverableOutbox(limit: Int) throws -> [OutboxMessage]

    /// Holds every undelivered message to `destination` until at least `until` (a platform's Retry-After).
    func deferPending(to destination: ChatDestination, until: Date) throws
}

extension OutboxRepository {
    /// Messages on `platforms` still to deliver, oldest first, at most 500.
    package func pendingOutbox(platforms: Set<ChatPlatform>) throws -> [OutboxMessage] {
        try pendingOutbox(platforms: platforms, limit: 500)
    }

    /// Messages given up on, oldest first, at most 200.
    package func undeliverableOutbox() throws -> [OutboxMessage] { try undeliverableOutbox(limit: 200) }

    /// Records the delivery whoever holds the message.
    package func markDelivered(_ id: Int64, at: Date) throws { try markDelivered(id, at: at, claimer: nil) }

    /// Records a failed attempt whoever holds the message.
    package func markFailed(_ id: Int64, error: String, retryAt: Date) throws { try markFailed(id, error: error, retryAt: retryAt, claimer: nil) }

    /// Gives up on a message whoever holds it.
    package func markUndeliverable(_ id: Int64, error: String) throws { try markUndeliverable(id, error: error, claimer: nil) }
}

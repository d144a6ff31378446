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

    func markDelivered(_ id: Int64, at: Date) throws

    /// Records a failed attempt (the error kept, at most 500 characters) and when to try again.
    func markFailed(_ id: Int64, error: String, retryAt: Date) throws

    /// Gives up on a message that retrying cannot deliver (channel gone, person unknown): it stays in the outbox with
    /// the reason, counted as a delivery failure, and is no longer pending.
    func markUndeliverable(_ id: Int64, error: String) throws

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
}

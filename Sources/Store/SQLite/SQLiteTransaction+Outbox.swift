import Core
import Foundation
import GRDB

extension SQLiteTransaction: OutboxRepository {
    // MARK: Outbox

    /// Queues a message; its txnID is fixed now, before any attempt.
    @discardableResult
    package func enqueue(alert: AlertID?, kind: OutboxMessage.Kind, destination: ChatDestination, payload: Data, at: Date) throws -> Int64 {
        try insertOutbox(alert: alert, kind: kind, destination: destination, payload: payload, at: at,
                         txnID: "soc2bot-" + UUID().uuidString.lowercased())
        return db.lastInsertedRowID
    }

    /// Queues a message whose txnID the caller derives from what it answers (a Matrix command's event id), unless a
    /// message with that txnID is already queued or sent: a batch of commands seen again after a crash answers once.
    /// True when queued now.
    @discardableResult
    package func enqueueOnce(txnID: String, alert: AlertID?, kind: OutboxMessage.Kind, destination: ChatDestination, payload: Data,
                             at: Date) throws -> Bool {
        try insertOutbox(alert: alert, kind: kind, destination: destination, payload: payload, at: at, txnID: txnID)
        return db.changesCount > 0
    }

    private func insertOutbox(alert: AlertID?, kind: OutboxMessage.Kind, destination: ChatDestination, payload: Data, at: Date,
                              txnID: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO outbox (alert_id, kind, platform, destination, payload, txn_id, created_at, next_attempt_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (txn_id) DO NOTHING
            """).execute(arguments: [alert?.rawValue, kind.rawValue, destination.platform.rawValue, try StoreJSON.encode(destination),
                                     payload, txnID, at.timeIntervalSinceReferenceDate, at.timeIntervalSinceReferenceDate])
    }

    /// Makes the messages to `destination` that wait for a retry due at `at` (the bot just joined the Matrix room they
    /// wait for). Messages given up on stay given up on.
    package func retryPending(to destination: ChatDestination, at: Date) throws {
        try db.execute(sql: """
            UPDATE outbox SET next_attempt_at = ? WHERE delivered_at IS NULL AND destination = ? AND next_attempt_at > ? AND next_attempt_at < ?
            """, arguments: [at.timeIntervalSinceReferenceDate, try StoreJSON.encode(destination), at.timeIntervalSinceReferenceDate, Self.undeliverable])
    }

    /// Messages on `platforms` still to deliver, oldest first: undelivered and not given up on (`markUndeliverable`),
    /// so messages that failed for good never crowd the newer ones out of the `limit`.
    package func pendingOutbox(platforms: Set<ChatPlatform>, limit: Int) throws -> [OutboxMessage] {
        guard !platforms.isEmpty else { return [] }
        let list = platforms.map { "'\($0.rawValue)'" }.joined(separator: ",")
        return try Row.fetchAll(db.cachedStatement(sql: Self.pendingOutboxSQL.replacingOccurrences(of: "$platforms", with: list)), arguments: [limit])
            .map(Self.outboxMessage)
    }

    /// `pendingOutbox`'s query (`$platforms` stands for the quoted platform list), exposed so a test can check that it
    /// reads the `outbox_due` index: the literal bound is the partial index's, so the messages given up on are never walked.
    package static let pendingOutboxSQL = """
        SELECT \(outboxColumns)
        FROM outbox INDEXED BY outbox_due WHERE delivered_at IS NULL AND next_attempt_at < 63113904000 AND platform IN ($platforms) ORDER BY id LIMIT ?
        """

    /// The columns `outboxMessage` reads, in order.
    package static let outboxColumns = """
        id, alert_id, kind, destination, payload, txn_id, created_at, attempts, next_attempt_at, delivered_at, last_error, \
        claimed_by, claimed_until, sending_since
        """

    /// `next_attempt_at` of a message given up on: kept, with its error, and never attempted again. The `outbox_due`
    /// index and `pendingOutboxSQL` write it as the literal 63113904000.
    private static let undeliverable = Date.distantFuture.timeIntervalSinceReferenceDate

    /// Number of undelivered messages (all platforms).
    package func outboxDepth() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL") ?? 0
    }

    /// Undelivered messages whose last attempt failed (waiting for a retry).
    package func outboxFailing() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND last_error IS NOT NULL") ?? 0
    }

    package func allOutbox() throws -> [OutboxMessage] {
        try Row.fetchAll(db, sql: """
            SELECT \(Self.outboxColumns)
            FROM outbox ORDER BY id
            """).map(Self.outboxMessage)
    }

    /// Claims the due messages for `claimer` (see `OutboxRepository.claimOutbox`). The write transaction is the
    /// database's only one at a time, so claims never overlap; the candidates are read through `outbox_due`.
    package func claimOutbox(platforms: Set<ChatPlatform>, claimer: String, now: Date, until: Date, limit: Int) throws -> [OutboxMessage] {
        guard !platforms.isEmpty else { return [] }
        let list = platforms.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",")
        return try Row.fetchAll(db, sql: """
            WITH candidate AS MATERIALIZED (
                SELECT id FROM outbox INDEXED BY outbox_due
                WHERE delivered_at IS NULL AND next_attempt_at < 63113904000 AND next_attempt_at <= ?1 AND platform IN (\(list))
                AND (claimed_by IS NULL OR claimed_by = ?2 OR claimed_until <= ?1)
                ORDER BY id LIMIT ?4)
            UPDATE outbox SET claimed_by = ?2, claimed_until = ?3
            WHERE id IN (SELECT id FROM candidate)
            AND NOT (kind <> 'direct' AND alert_id IS NOT NULL AND EXISTS (
                SELECT 1 FROM outbox earlier WHERE earlier.alert_id = outbox.alert_id AND earlier.id < outbox.id
                AND earlier.platform = outbox.platform AND earlier.kind <> 'direct' AND earlier.delivered_at IS NULL
                AND earlier.next_attempt_at < 63113904000 AND earlier.id NOT IN (SELECT id FROM candidate)))
            RETURNING \(Self.outboxColumns)
            """, arguments: [now.timeIntervalSinceReferenceDate, claimer, until.timeIntervalSinceReferenceDate, limit])
            .map(Self.outboxMessage).sorted { $0.id < $1.id }
    }

    package func beginAttempt(_ id: Int64, claimer: String, at: Date, until: Date) throws -> Bool {
        try db.execute(sql: """
            UPDATE outbox SET sending_since = ?, claimed_until = ?
            WHERE id = ? AND claimed_by = ? AND delivered_at IS NULL AND next_attempt_at < 63113904000
            """, arguments: [at.timeIntervalSinceReferenceDate, until.timeIntervalSinceReferenceDate, id, claimer])
        return db.changesCount > 0
    }

    package func abandonAttempt(_ id: Int64, claimer: String) throws {
        try db.execute(sql: "UPDATE outbox SET sending_since = NULL WHERE id = ? AND claimed_by = ?", arguments: [id, claimer])
    }

    @discardableResult
    package func markDelivered(_ id: Int64, at: Date, claimer: String?) throws -> Bool {
        try db.execute(sql: """
            UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL, \(Self.claimEnded) WHERE id = ? \(Self.heldBy(claimer))
            """, arguments: [at.timeIntervalSinceReferenceDate, id, claimer])
        return db.changesCount > 0
    }

    @discardableResult
    package func markFailed(_ id: Int64, error: String, retryAt: Date, claimer: String?) throws -> Bool {
        try db.execute(sql: """
            UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, \(Self.claimEnded) WHERE id = ? \(Self.heldBy(claimer))
            """, arguments: [String(error.prefix(500)), retryAt.timeIntervalSinceReferenceDate, id, claimer])
        return db.changesCount > 0
    }

    /// Gives up on a message that retrying cannot deliver (channel gone, person unknown): it stays in the outbox with
    /// the reason, counted as a delivery failure, and is no longer pending.
    @discardableResult
    package func markUndeliverable(_ id: Int64, error: String, claimer: String?) throws -> Bool {
        try markFailed(id, error: error, retryAt: .distantFuture, claimer: claimer)
    }

    /// What ends a message's claim when its attempt's outcome is recorded.
    private static let claimEnded = "claimed_by = NULL, claimed_until = NULL, sending_since = NULL"

    /// The condition that the message is held by `claimer` (its argument follows the id's), or none when nil.
    private static func heldBy(_ claimer: String?) -> String { claimer == nil ? "AND ? IS NULL" : "AND claimed_by = ?" }

    /// Messages given up on (`markUndeliverable`) whose alert has not reached that destination since: no later
    /// message of the same alert to the same destination was delivered (the alert's next edit posts it anew).
    /// Messages of no alert (replies, reminders, notices) are listed until a later message to the same destination is
    /// delivered. Oldest first; `status`, the dashboard and `/metrics` name them.
    package func undeliverableOutbox(limit: Int) throws -> [OutboxMessage] {
        try Row.fetchAll(db, sql: """
            SELECT \(Self.outboxColumns)
            FROM outbox o WHERE delivered_at IS NULL AND next_attempt_at >= ?
            AND NOT EXISTS (SELECT 1 FROM outbox later WHERE later.alert_id IS o.alert_id AND later.destination = o.destination
                            AND later.id > o.id AND later.delivered_at IS NOT NULL)
            ORDER BY id LIMIT ?
            """, arguments: [Self.undeliverable, limit]).map(Self.outboxMessage)
    }

    /// Holds every undelivered message to `destination` until at least `until` (a platform's Retry-After).
    package func deferPending(to destination: ChatDestination, until: Date) throws {
        try db.execute(sql: "UPDATE outbox SET next_attempt_at = MAX(next_attempt_at, ?) WHERE delivered_at IS NULL AND destination = ?",
                       arguments: [until.timeIntervalSinceReferenceDate, try StoreJSON.encode(destination)])
    }

    private static func outboxMessage(_ raw: Row) throws -> OutboxMessage {
        let row = StoredRow(raw, table: "outbox")
        return OutboxMessage(
            id: try row(0), alert: try row(1, Int64?.self).map(AlertID.init), kind: OutboxMessage.Kind(rawValue: try row(2)) ?? .reply,
            destination: try row.json(3, ChatDestination.self), payload: try row(4), txnID: try row(5),
            createdAt: try row.date(6), attempts: try row(7),
            nextAttemptAt: try row.date(8),
            deliveredAt: try row.optionalDate(9), lastError: try row(10, String?.self), claimedBy: try row(11, String?.self),
            claimedUntil: try row.optionalDate(12), sendingSince: try row.optionalDate(13))
    }

    package func outboxCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0
    }
}

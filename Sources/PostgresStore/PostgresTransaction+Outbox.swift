import Core
import Foundation
import Postgres
import Store

/// The outbox on PostgreSQL: `SQLiteTransaction+Outbox`, statement for statement. A transaction that queues a message
/// also notifies every replica (`NOTIFY soc2bot_outbox`, delivered when it commits; see `PostgresOutboxChanges`).
extension PostgresTransaction: OutboxRepository {
    @discardableResult
    package func enqueue(alert: AlertID?, kind: OutboxMessage.Kind, destination: ChatDestination, payload: Data, at: Date) throws -> Int64 {
        let inserted = try insertOutbox(alert: alert, kind: kind, destination: destination, payload: payload, at: at,
                                        txnID: "soc2bot-" + UUID().uuidString.lowercased())
        guard let id = try inserted.single(Int64.self, table: "outbox") else { throw StoreError.corrupt("table outbox: an insert returned no id") }
        try notifyOutbox()
        return id
    }

    @discardableResult
    package func enqueueOnce(txnID: String, alert: AlertID?, kind: OutboxMessage.Kind, destination: ChatDestination, payload: Data,
                             at: Date) throws -> Bool {
        guard try insertOutbox(alert: alert, kind: kind, destination: destination, payload: payload, at: at, txnID: txnID).rowCount > 0 else {
            return false
        }
        try notifyOutbox()
        return true
    }

    /// Tells every replica's delivery, when this transaction commits, that messages were queued (once per transaction).
    private func notifyOutbox() throws {
        guard !notifiedOutbox else { return }
        try connection.notify(PostgresOutboxChanges.channel)
        notifiedOutbox = true
    }

    /// Inserts the message unless its txnID is taken; returns the new row's id (no row when it was taken).
    private func insertOutbox(alert: AlertID?, kind: OutboxMessage.Kind, destination: ChatDestination, payload: Data, at: Date,
                              txnID: String) throws -> PostgresResult {
        try connection.query("""
            INSERT INTO outbox (alert_id, kind, platform, destination, payload, txn_id, created_at, next_attempt_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (txn_id) DO NOTHING RETURNING id
            """, [alert.map { .int($0.rawValue) } ?? .null, .text(kind.rawValue), .text(destination.platform.rawValue),
                  .bytes(try StoreJSON.encode(destination)), .bytes(payload), .text(txnID), .double(at.timeIntervalSinceReferenceDate)])
    }

    package func retryPending(to destination: ChatDestination, at: Date) throws {
        try connection.query("""
            UPDATE outbox SET next_attempt_at = $1 WHERE delivered_at IS NULL AND destination = $2 AND next_attempt_at > $1 AND next_attempt_at < $3
            """, [.double(at.timeIntervalSinceReferenceDate), .bytes(try StoreJSON.encode(destination)), .double(Self.undeliverable)])
    }

    /// The literal bound is the `outbox_due` partial index's, so the messages given up on are never walked.
    package func pendingOutbox(platforms: Set<ChatPlatform>, limit: Int) throws -> [OutboxMessage] {
        guard !platforms.isEmpty else { return [] }
        let list = platforms.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",")
        return try outboxMessages("""
            SELECT \(Self.outboxColumns) FROM outbox
            WHERE delivered_at IS NULL AND next_attempt_at < 63113904000 AND platform IN (\(list)) ORDER BY id LIMIT $1
            """, [.int(Int64(limit))])
    }

    /// `next_attempt_at` of a message given up on (`Date.distantFuture`): kept, with its error, never attempted again.
    private static let undeliverable = Date.distantFuture.timeIntervalSinceReferenceDate

    private static let outboxColumns =
        "id, alert_id, kind, destination, payload, txn_id, created_at, attempts, next_attempt_at, delivered_at, last_error, claimed_by, claimed_until, sending_since"

    package func outboxDepth() throws -> Int {
        Int(try connection.query("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL").single(Int64.self, table: "outbox") ?? 0)
    }

    package func outboxFailing() throws -> Int {
        Int(try connection.query("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND last_error IS NOT NULL")
            .single(Int64.self, table: "outbox") ?? 0)
    }

    package func allOutbox() throws -> [OutboxMessage] {
        try outboxMessages("SELECT \(Self.outboxColumns) FROM outbox ORDER BY id")
    }

    package func outboxCount() throws -> Int {
        Int(try connection.query("SELECT COUNT(*) FROM outbox").single(Int64.self, table: "outbox") ?? 0)
    }

    /// Takes the candidates `FOR UPDATE SKIP LOCKED`: rows another replica is claiming at this moment are passed over,
    /// not waited for; an earlier message of a chain that is locked by another replica's claim reads as still pending
    /// (its claim is not committed), so the chain's later messages are left to that replica.
    package func claimOutbox(platforms: Set<ChatPlatform>, claimer: String, now: Date, until: Date, limit: Int) throws -> [OutboxMessage] {
        guard !platforms.isEmpty else { return [] }
        let list = platforms.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",")
        return try outboxMessages("""
            WITH candidate AS MATERIALIZED (
                SELECT id FROM outbox
                WHERE delivered_at IS NULL AND next_attempt_at < 63113904000 AND next_attempt_at <= $1 AND platform IN (\(list))
                AND (claimed_by IS NULL OR claimed_by = $2 OR claimed_until <= $1)
                ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
            UPDATE outbox o SET claimed_by = $2, claimed_until = $3
            WHERE o.id IN (SELECT id FROM candidate)
            AND NOT (o.kind <> 'direct' AND o.alert_id IS NOT NULL AND EXISTS (
                SELECT 1 FROM outbox earlier WHERE earlier.alert_id = o.alert_id AND earlier.id < o.id
                AND earlier.platform = o.platform AND earlier.kind <> 'direct' AND earlier.delivered_at IS NULL
                AND earlier.next_attempt_at < 63113904000 AND earlier.id NOT IN (SELECT id FROM candidate)))
            RETURNING \(Self.outboxColumns)
            """, [.double(now.timeIntervalSinceReferenceDate), .text(claimer), .double(until.timeIntervalSinceReferenceDate), .int(Int64(limit))])
            .sorted { $0.id < $1.id }
    }

    package func beginAttempt(_ id: Int64, claimer: String, at: Date, until: Date) throws -> Bool {
        try connection.query("""
            UPDATE outbox SET sending_since = $1, claimed_until = $2
            WHERE id = $3 AND claimed_by = $4 AND delivered_at IS NULL AND next_attempt_at < 63113904000
            """, [.double(at.timeIntervalSinceReferenceDate), .double(until.timeIntervalSinceReferenceDate), .int(id), .text(claimer)]).affectedRows > 0
    }

    package func abandonAttempt(_ id: Int64, claimer: String) throws {
        try connection.query("UPDATE outbox SET sending_since = NULL WHERE id = $1 AND claimed_by = $2", [.int(id), .text(claimer)])
    }

    @discardableResult
    package func markDelivered(_ id: Int64, at: Date, claimer: String?) throws -> Bool {
        try connection.query("""
            UPDATE outbox SET delivered_at = $1, attempts = attempts + 1, last_error = NULL, \(Self.claimEnded)
            WHERE id = $2 AND ($3::text IS NULL OR claimed_by = $3)
            """, [.double(at.timeIntervalSinceReferenceDate), .int(id), claimer.map(PostgresValue.text) ?? .null]).affectedRows > 0
    }

    @discardableResult
    package func markFailed(_ id: Int64, error: String, retryAt: Date, claimer: String?) throws -> Bool {
        try connection.query("""
            UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, \(Self.claimEnded)
            WHERE id = $3 AND ($4::text IS NULL OR claimed_by = $4)
            """, [.text(String(error.prefix(500))), .double(retryAt.timeIntervalSinceReferenceDate), .int(id),
                  claimer.map(PostgresValue.text) ?? .null]).affectedRows > 0
    }

    @discardableResult
    package func markUndeliverable(_ id: Int64, error: String, claimer: String?) throws -> Bool {
        try markFailed(id, error: error, retryAt: .distantFuture, claimer: claimer)
    }

    /// What ends a message's claim when its attempt's outcome is recorded.
    private static let claimEnded = "claimed_by = NULL, claimed_until = NULL, sending_since = NULL"

    package func undeliverableOutbox(limit: Int) throws -> [OutboxMessage] {
        try outboxMessages("""
            SELECT \(Self.outboxColumns) FROM outbox o WHERE delivered_at IS NULL AND next_attempt_at >= $1
            AND NOT EXISTS (SELECT 1 FROM outbox later WHERE later.alert_id IS NOT DISTINCT FROM o.alert_id AND later.destination = o.destination
                            AND later.id > o.id AND later.delivered_at IS NOT NULL)
            ORDER BY id LIMIT $2
            """, [.double(Self.undeliverable), .int(Int64(limit))])
    }

    package func deferPending(to destination: ChatDestination, until: Date) throws {
        try connection.query("UPDATE outbox SET next_attempt_at = GREATEST(next_attempt_at, $1) WHERE delivered_at IS NULL AND destination = $2",
                             [.double(until.timeIntervalSinceReferenceDate), .bytes(try StoreJSON.encode(destination))])
    }

    private func outboxMessages(_ sql: String, _ parameters: [PostgresValue] = []) throws -> [OutboxMessage] {
        try connection.query(sql, parameters).stored("outbox").map { row in
            OutboxMessage(
                id: try row(0), alert: try row(1, Int64?.self).map(AlertID.init), kind: OutboxMessage.Kind(rawValue: try row(2, String.self)) ?? .reply,
                destination: try row.json(3, ChatDestination.self), payload: try row(4), txnID: try row(5),
                createdAt: try row.date(6), attempts: try row(7, Int.self), nextAttemptAt: try row.date(8),
                deliveredAt: try row.optionalDate(9), lastError: try row(10, String?.self), claimedBy: try row(11, String?.self),
                claimedUntil: try row.optionalDate(12), sendingSince: try row.optionalDate(13))
        }
    }
}

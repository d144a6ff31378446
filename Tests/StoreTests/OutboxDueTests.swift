import Chat
import Core
import Foundation
import GRDB
import Store
import Testing

/// The loop reads the pending outbox every step; the messages given up on stay in the outbox for ever (with their
/// reason), so that read must not walk them.
@Suite("Outbox due index")
struct OutboxDueTests {
    let t0 = Date(timeIntervalSinceReferenceDate: 800_000_000)

    @Test func thePendingReadSeeksTheDueIndexNotTheMessagesGivenUpOn() throws {
        let database = try BotDatabase.inMemory()
        let plan = try database.writer.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SQLiteTransaction.pendingOutboxSQL.replacingOccurrences(of: "$platforms", with: "'slack'"),
                             arguments: [500]).map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.hasPrefix("SEARCH outbox USING INDEX outbox_due") || $0.hasPrefix("SCAN outbox USING INDEX outbox_due") }, "plan: \(plan)")
    }

    @Test func messagesGivenUpOnAreNotPendingAndTheOthersAreInOrder() throws {
        // Given messages given up on, delivered, waiting for a retry and due
        let database = try BotDatabase.inMemory()
        let destination = ChatDestination.channel(.slack, "C1")
        let ids = try database.write { tx in
            try (0..<6).map { i in try tx.enqueue(alert: nil, kind: .post, destination: destination, payload: Data("\(i)".utf8), at: t0) }
        }
        try database.write { tx in
            try tx.markUndeliverable(ids[0], error: "channel_not_found")
            try tx.markUndeliverable(ids[2], error: "channel_not_found")
            try tx.markDelivered(ids[3], at: t0)
            try tx.markFailed(ids[4], error: "timeout", retryAt: t0 + 60)
        }

        // Then the pending read lists the due and the waiting ones, oldest first, and nothing given up on or delivered
        let pending = try database.read { try $0.pendingOutbox(platforms: [.slack]) }
        #expect(pending.map(\.id) == [ids[1], ids[4], ids[5]])
        #expect(try database.read { try $0.pendingOutbox(platforms: [.matrix]) }.isEmpty)
    }
}

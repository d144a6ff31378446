import Chat
import Core
import Foundation
import Store
import Testing
import TestSupport

/// The outbox on every store: messages written with the change that caused them, each with a transaction id fixed
/// at insert and reused on every retry; pending in order, retried, deferred and given up on.
@Suite("Outbox repository")
struct OutboxConformanceTests {
    let slack = ChatDestination.channel(.slack, Sample.slackChannel)
    let terminal = ChatDestination.channel(.terminal, Sample.terminalChannel)
    let danaDM = ChatDestination.direct(.slack, "U0DANA")

    /// Queues a post on Slack, one on the terminal and a Slack DM; returns their row ids.
    func enqueueThree(_ database: BotDatabase) throws -> [Int64] {
        try database.write { tx in
            [
                try tx.enqueue(alert: AlertID(1), kind: .post, destination: slack, payload: Data("post".utf8), at: Sample.t0),
                try tx.enqueue(alert: AlertID(1), kind: .post, destination: terminal, payload: Data("post".utf8), at: Sample.t0),
                try tx.enqueue(alert: nil, kind: .direct, destination: danaDM, payload: Data("dm".utf8), at: Sample.at(1)),
            ]
        }
    }

    @Test(arguments: StoreFactory.all)
    func enqueueGivesEachMessageItsOwnTransactionID(_ store: StoreFactory) throws {
        let database = try store.make()

        let ids = try enqueueThree(database)
        let all = try database.read { try $0.allOutbox() }

        #expect(all.map(\.id) == ids)
        #expect(Set(all.map(\.txnID)).count == 3)
        #expect(all.allSatisfy { $0.txnID.hasPrefix("soc2bot-") })
        let dm = all[2]
        #expect(dm.alert == nil)
        #expect(dm.kind == .direct)
        #expect(dm.destination == danaDM)
        #expect(dm.payload == Data("dm".utf8))
        #expect(dm.createdAt == Sample.at(1))
        #expect(dm.nextAttemptAt == Sample.at(1))
        #expect(dm.attempts == 0)
        #expect(dm.deliveredAt == nil)
        #expect(dm.lastError == nil)
        #expect(all[0].alert == AlertID(1))
    }

    @Test(arguments: StoreFactory.all)
    func pendingListsUndeliveredMessagesOfThePlatformsAskedOldestFirst(_ store: StoreFactory) throws {
        let database = try store.make()
        let ids = try enqueueThree(database)

        #expect(try database.read { try $0.pendingOutbox(platforms: [.slack]) }.map(\.id) == [ids[0], ids[2]])
        #expect(try database.read { try $0.pendingOutbox(platforms: [.terminal]) }.map(\.id) == [ids[1]])
        #expect(try database.read { try $0.pendingOutbox(platforms: [.slack, .terminal, .matrix]) }.map(\.id) == ids)
        #expect(try database.read { try $0.pendingOutbox(platforms: []) }.isEmpty)
        #expect(try database.read { try $0.pendingOutbox(platforms: [.slack], limit: 1) }.map(\.id) == [ids[0]])
        #expect(try database.read { try $0.outboxDepth() } == 3)
    }

    /// Messages given up on stay on record but are no longer pending, so however many pile up they never fill the
    /// pending list's limit and starve newer messages.
    @Test(arguments: StoreFactory.all)
    func undeliverableMessagesLeaveThePendingListButStayOnRecord(_ store: StoreFactory) throws {
        let database = try store.make()
        let ids = try enqueueThree(database)

        try database.write { try $0.markUndeliverable(ids[0], error: "channel_not_found") }

        #expect(try database.read { try $0.pendingOutbox(platforms: [.slack], limit: 1) }.map(\.id) == [ids[2]])
        #expect(try database.read { try $0.outboxFailing() } == 1)
        let given = try #require(try database.read { try $0.allOutbox() }.first { $0.id == ids[0] })
        #expect(given.deliveredAt == nil && given.lastError == "channel_not_found" && given.attempts == 1)
    }

    @Test(arguments: StoreFactory.all)
    func deliveredMessagesLeaveThePendingList(_ store: StoreFactory) throws {
        let database = try store.make()
        let ids = try enqueueThree(database)

        try database.write { try $0.markDelivered(ids[0], at: Sample.at(5)) }

        #expect(try database.read { try $0.pendingOutbox(platforms: [.slack]) }.map(\.id) == [ids[2]])
        #expect(try database.read { try $0.outboxDepth() } == 2)
        let delivered = try #require(try database.read { try $0.allOutbox() }.first { $0.id == ids[0] })
        #expect(delivered.deliveredAt == Sample.at(5))
        #expect(delivered.attempts == 1)
        #expect(delivered.lastError == nil)
    }

    @Test(arguments: StoreFactory.all)
    func failedMessagesStayPendingUntilRetriedWithTheSameTransactionID(_ store: StoreFactory) throws {
        let database = try store.make()
        let ids = try enqueueThree(database)
        let txnID = try database.read { try $0.allOutbox() }[0].txnID

        // Given two failed attempts, the second with a later retry time and a very long error
        try database.write { try $0.markFailed(ids[0], error: "rate limited", retryAt: Sample.at(30)) }
        try database.write { try $0.markFailed(ids[0], error: String(repeating: "x", count: 2_000), retryAt: Sample.at(90)) }

        // Then it is still pending, due at the last retry time, with its attempts counted and its error capped
        let failed = try #require(try database.read { try $0.pendingOutbox(platforms: [.slack]) }.first)
        #expect(failed.id == ids[0])
        #expect(failed.attempts == 2)
        #expect(failed.nextAttemptAt == Sample.at(90))
        #expect(failed.lastError?.count == 500)
        #expect(failed.deliveredAt == nil)
        #expect(failed.txnID == txnID)

        // When the retry succeeds, the error is cleared and the transaction id is the one fixed at insert
        try database.write { try $0.markDelivered(ids[0], at: Sample.at(91)) }
        let delivered = try database.read { try $0.allOutbox() }[0]
        #expect(delivered.attempts == 3)
        #expect(delivered.lastError == nil)
        #expect(delivered.txnID == txnID)
    }

    @Test(arguments: StoreFactory.all)
    func aMessageThatCanNeverBeDeliveredIsParkedInTheFarFuture(_ store: StoreFactory) throws {
        let database = try store.make()
        let ids = try enqueueThree(database)

        try database.write { try $0.markFailed(ids[2], error: "user_not_found", retryAt: .distantFuture) }

        let parked = try #require(try database.read { try $0.allOutbox() }.first { $0.id == ids[2] })
        #expect(parked.nextAttemptAt == .distantFuture)
        #expect(parked.lastError == "user_not_found")
    }

    /// A Matrix command's answer is queued under a txnId derived from the command's event: the same event handled
    /// again (its batch seen again after a crash) queues nothing new.
    @Test(arguments: StoreFactory.all)
    func aMessageQueuedOnceUnderItsTransactionIDIsNotQueuedAgain(_ store: StoreFactory) throws {
        let database = try store.make()
        let room = ChatDestination.channel(.matrix, "!infra:hs")
        let first = try database.write {
            try $0.enqueueOnce(txnID: "soc2bot-reply-$e1", alert: nil, kind: .reply, destination: room, payload: Data("a".utf8), at: Sample.t0)
        }
        let again = try database.write {
            try $0.enqueueOnce(txnID: "soc2bot-reply-$e1", alert: nil, kind: .reply, destination: room, payload: Data("b".utf8), at: Sample.at(1))
        }
        #expect(first && !again)
        let all = try database.read { try $0.allOutbox() }
        #expect(all.map(\.txnID) == ["soc2bot-reply-$e1"] && all.first?.payload == Data("a".utf8))
    }

    /// When the bot joins the Matrix room its messages waited for, they become due at once; messages given up on
    /// and messages to other rooms keep their times.
    @Test(arguments: StoreFactory.all)
    func retryingADestinationMakesItsWaitingMessagesDue(_ store: StoreFactory) throws {
        let database = try store.make()
        let room = ChatDestination.channel(.matrix, "!infra:hs")
        let other = ChatDestination.channel(.matrix, "!other:hs")
        let ids = try database.write { tx in
            [try tx.enqueue(alert: AlertID(1), kind: .post, destination: room, payload: Data(), at: Sample.t0),
             try tx.enqueue(alert: AlertID(2), kind: .post, destination: room, payload: Data(), at: Sample.t0),
             try tx.enqueue(alert: AlertID(3), kind: .post, destination: other, payload: Data(), at: Sample.t0)]
        }
        try database.write { tx in
            try tx.markFailed(ids[0], error: "not deliverable yet", retryAt: Sample.at(Sample.hour))
            try tx.markUndeliverable(ids[1], error: "given up")
            try tx.markFailed(ids[2], error: "not deliverable yet", retryAt: Sample.at(Sample.hour))
            try tx.retryPending(to: room, at: Sample.at(60))
        }
        let all = try database.read { try $0.allOutbox() }
        #expect(all[0].nextAttemptAt == Sample.at(60))
        #expect(all[1].nextAttemptAt == .distantFuture)
        #expect(all[2].nextAttemptAt == Sample.at(Sample.hour))
    }

    /// A platform's Retry-After holds every undelivered message to that destination until then; a message already
    /// waiting longer keeps its time, and delivered messages and other destinations are left alone.
    @Test(arguments: StoreFactory.all)
    func deferringADestinationHoldsItsUndeliveredMessagesUntilThen(_ store: StoreFactory) throws {
        let database = try store.make()
        let ids = try database.write { tx in
            try (0..<4).map { _ in try tx.enqueue(alert: AlertID(1), kind: .update, destination: slack, payload: Data(), at: Sample.t0) }
                + [try tx.enqueue(alert: AlertID(1), kind: .post, destination: terminal, payload: Data(), at: Sample.t0)]
        }
        try database.write { tx in
            try tx.markDelivered(ids[0], at: Sample.at(1))
            try tx.markFailed(ids[2], error: "rate limited", retryAt: Sample.at(90))
            try tx.deferPending(to: slack, until: Sample.at(60))
        }

        let all = try database.read { try $0.allOutbox() }
        #expect(all.map(\.nextAttemptAt) == [Sample.t0, Sample.at(60), Sample.at(90), Sample.at(60), Sample.t0])
        // Still pending, in order: deferred is not given up on
        #expect(try database.read { try $0.pendingOutbox(platforms: [.slack]) }.map(\.id) == [ids[1], ids[2], ids[3]])
    }

    /// Messages given up on are listed until the alert reaches that destination again (a later message of the same
    /// alert delivered there); a message of no alert until any later message reaches its destination.
    @Test(arguments: StoreFactory.all)
    func messagesGivenUpOnAreListedUntilALaterOneReachesTheirDestination(_ store: StoreFactory) throws {
        let database = try store.make()
        let ids = try database.write { tx in
            [try tx.enqueue(alert: AlertID(1), kind: .post, destination: slack, payload: Data(), at: Sample.t0),
             try tx.enqueue(alert: AlertID(2), kind: .post, destination: slack, payload: Data(), at: Sample.t0),
             try tx.enqueue(alert: nil, kind: .direct, destination: danaDM, payload: Data(), at: Sample.t0),
             try tx.enqueue(alert: AlertID(1), kind: .update, destination: slack, payload: Data(), at: Sample.at(60)),
             try tx.enqueue(alert: AlertID(2), kind: .update, destination: terminal, payload: Data(), at: Sample.at(60))]
        }
        try database.write { tx in
            for id in ids[0...2] { try tx.markUndeliverable(id, error: "channel_not_found") }
        }
        #expect(try database.read { try $0.undeliverableOutbox() }.map(\.id) == Array(ids[0...2]))
        #expect(try database.read { try $0.undeliverableOutbox(limit: 2) }.map(\.id) == Array(ids[0...1]))
        #expect(try database.read { try $0.undeliverableOutbox() }.first?.lastError == "channel_not_found")

        // Alert 1's next edit reaches Slack; alert 2's reaches only the terminal: alert 1 is no longer listed
        try database.write { tx in
            try tx.markDelivered(ids[3], at: Sample.at(61))
            try tx.markDelivered(ids[4], at: Sample.at(61))
        }
        #expect(try database.read { try $0.undeliverableOutbox() }.map(\.id) == [ids[1], ids[2]])

        // A later direct message reaches Dana: the one of no alert is no longer listed either
        let later = try database.write { try $0.enqueue(alert: nil, kind: .direct, destination: danaDM, payload: Data(), at: Sample.at(120)) }
        try database.write { try $0.markDelivered(later, at: Sample.at(121)) }
        #expect(try database.read { try $0.undeliverableOutbox() }.map(\.id) == [ids[1]])
        #expect(try database.read { try $0.outboxFailing() } == 3)
        #expect(try database.read { try $0.outboxDepth() } == 3)
        #expect(try database.read { try $0.outboxCount() } == 6)
    }
}

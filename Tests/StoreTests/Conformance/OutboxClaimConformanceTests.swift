import Core
import Foundation
import Store
import Testing
import TestSupport

/// Outbox claims on every store: the due messages are claimed for one claimer until its lease lapses; nobody else
/// takes them meanwhile, a lapsed claim is free, each alert's messages per platform are claimed in order, and only the
/// current claimer records an outcome.
@Suite("Outbox claims")
struct OutboxClaimConformanceTests {
    let slack = ChatDestination.channel(.slack, Sample.slackChannel)
    let terminal = ChatDestination.channel(.terminal, Sample.terminalChannel)
    let danaDM = ChatDestination.direct(.slack, "U0DANA")

    func claim(_ database: BotDatabase, _ claimer: String, at: Date, until: Date, platforms: Set<ChatPlatform> = [.slack],
               limit: Int = 100) throws -> [Int64] {
        try database.write { try $0.claimOutbox(platforms: platforms, claimer: claimer, now: at, until: until, limit: limit) }.map(\.id)
    }

    @Test(arguments: StoreFactory.all)
    func aClaimTakesTheDueMessagesOfItsPlatformsOldestFirstAndHoldsThemFromOthers(_ store: StoreFactory) throws {
        let database = try store.make()
        let ids = try database.write { tx in
            [try tx.enqueue(alert: AlertID(1), kind: .post, destination: slack, payload: Data(), at: Sample.t0),
             try tx.enqueue(alert: AlertID(1), kind: .post, destination: terminal, payload: Data(), at: Sample.t0),
             try tx.enqueue(alert: nil, kind: .direct, destination: danaDM, payload: Data(), at: Sample.at(1))]
        }

        // At t0 the DM is not due yet
        #expect(try claim(database, "a", at: Sample.t0, until: Sample.at(60)) == [ids[0]])
        // Once due it is claimed too, and a's own claim is renewed
        #expect(try claim(database, "a", at: Sample.at(1), until: Sample.at(61)) == [ids[0], ids[2]])
        let held = try database.read { try $0.pendingOutbox(platforms: [.slack]) }
        #expect(held.map(\.claimedBy) == ["a", "a"] && held.map(\.claimedUntil) == [Sample.at(61), Sample.at(61)])
        #expect(held.allSatisfy { $0.sendingSince == nil })
        // Another claimer finds nothing on Slack while a's lease lasts, and the terminal's message is its own
        #expect(try claim(database, "b", at: Sample.at(2), until: Sample.at(62)).isEmpty)
        #expect(try claim(database, "b", at: Sample.at(2), until: Sample.at(62), platforms: [.slack, .terminal]) == [ids[1]])
        #expect(try claim(database, "c", at: Sample.at(2), until: Sample.at(62), limit: 1).isEmpty)
    }

    /// A claimer that stopped leaves claims that lapse: from the end of its lease another claimer takes them.
    @Test(arguments: StoreFactory.all)
    func aLapsedClaimIsTakenByAnotherClaimer(_ store: StoreFactory) throws {
        let database = try store.make()
        let id = try database.write { try $0.enqueue(alert: AlertID(1), kind: .post, destination: slack, payload: Data(), at: Sample.t0) }
        #expect(try claim(database, "a", at: Sample.t0, until: Sample.at(60)) == [id])

        #expect(try claim(database, "b", at: Sample.at(59), until: Sample.at(119)).isEmpty)
        #expect(try claim(database, "b", at: Sample.at(60), until: Sample.at(120)) == [id])
        let row = try #require(try database.read { try $0.allOutbox() }.first)
        #expect(row.claimedBy == "b" && row.claimedUntil == Sample.at(120))
    }

    /// An alert's channel messages on one platform are claimed in order: not while an earlier one waits for its retry
    /// or is held by another claimer. Direct messages, other platforms and other alerts are not held back, and a
    /// message given up on holds back nothing.
    @Test(arguments: StoreFactory.all)
    func anAlertsMessagesOnAPlatformAreClaimedInOrderAcrossClaimers(_ store: StoreFactory) throws {
        let database = try store.make()
        let ids = try database.write { tx in
            [try tx.enqueue(alert: AlertID(1), kind: .post, destination: slack, payload: Data(), at: Sample.t0),
             try tx.enqueue(alert: AlertID(1), kind: .update, destination: slack, payload: Data(), at: Sample.t0),
             try tx.enqueue(alert: AlertID(1), kind: .direct, destination: danaDM, payload: Data(), at: Sample.t0),
             try tx.enqueue(alert: AlertID(1), kind: .update, destination: terminal, payload: Data(), at: Sample.t0),
             try tx.enqueue(alert: AlertID(2), kind: .post, destination: slack, payload: Data(), at: Sample.t0)]
        }
        // Given alert 1's Slack post waiting for a retry at 60 s
        try database.write { try $0.markFailed(ids[0], error: "timed out", retryAt: Sample.at(60)) }

        // Its Slack update waits; its DM, its terminal update and alert 2 do not
        #expect(try claim(database, "a", at: Sample.t0, until: Sample.at(120), platforms: [.slack, .terminal]) == [ids[2], ids[3], ids[4]])
        // When the post is due, both are claimed together, by whoever claims
        #expect(try claim(database, "b", at: Sample.at(60), until: Sample.at(180)) == [ids[0], ids[1]])

        // Given a new chain whose post is held by b: c may not take its update
        let chain = try database.write { tx in
            [try tx.enqueue(alert: AlertID(3), kind: .post, destination: slack, payload: Data(), at: Sample.at(61)),
             try tx.enqueue(alert: AlertID(3), kind: .update, destination: slack, payload: Data(), at: Sample.at(61))]
        }
        #expect(try claim(database, "b", at: Sample.at(61), until: Sample.at(181), limit: 3) == [ids[0], ids[1], chain[0]])
        #expect(try claim(database, "c", at: Sample.at(62), until: Sample.at(182)).isEmpty)
        // Once the post is delivered, the update is free to claim
        #expect(try database.write { try $0.markDelivered(chain[0], at: Sample.at(63), claimer: "b") })
        #expect(try claim(database, "c", at: Sample.at(64), until: Sample.at(184)) == [chain[1]])

        // A post given up on holds back nothing
        let given = try database.write { tx in
            [try tx.enqueue(alert: AlertID(4), kind: .post, destination: slack, payload: Data(), at: Sample.at(65)),
             try tx.enqueue(alert: AlertID(4), kind: .update, destination: slack, payload: Data(), at: Sample.at(65))]
        }
        try database.write { try $0.markUndeliverable(given[0], error: "channel_not_found") }
        #expect(try claim(database, "c", at: Sample.at(66), until: Sample.at(186)) == [chain[1], given[1]])
    }

    /// Only the claimer holding a message records its attempt and outcome: one whose lease lapsed and was taken over
    /// changes nothing, whatever it tries; the holder's outcome ends the claim.
    @Test(arguments: StoreFactory.all)
    func onlyTheCurrentClaimerRecordsAnAttemptOrAnOutcome(_ store: StoreFactory) throws {
        let database = try store.make()
        let id = try database.write { try $0.enqueue(alert: AlertID(1), kind: .post, destination: slack, payload: Data(), at: Sample.t0) }
        _ = try claim(database, "a", at: Sample.t0, until: Sample.at(60))
        _ = try claim(database, "b", at: Sample.at(60), until: Sample.at(120))

        // The late claimer a is refused everything, and the row is b's as it was
        #expect(try !database.write { try $0.beginAttempt(id, claimer: "a", at: Sample.at(61), until: Sample.at(121)) })
        #expect(try !database.write { try $0.markDelivered(id, at: Sample.at(61), claimer: "a") })
        #expect(try !database.write { try $0.markFailed(id, error: "late", retryAt: Sample.at(90), claimer: "a") })
        #expect(try !database.write { try $0.markUndeliverable(id, error: "late", claimer: "a") })
        let untouched = try #require(try database.read { try $0.allOutbox() }.first)
        #expect(untouched.claimedBy == "b" && untouched.claimedUntil == Sample.at(120) && untouched.attempts == 0)
        #expect(untouched.deliveredAt == nil && untouched.lastError == nil && untouched.sendingSince == nil && untouched.nextAttemptAt == Sample.t0)

        // An attempt taken back (nothing was sent) leaves the claim and no trace of sending; a's taking back changes nothing
        #expect(try database.write { try $0.beginAttempt(id, claimer: "b", at: Sample.at(61), until: Sample.at(181)) })
        try database.write { try $0.abandonAttempt(id, claimer: "a") }
        #expect(try database.read { try $0.allOutbox() }.first?.sendingSince == Sample.at(61))
        try database.write { try $0.abandonAttempt(id, claimer: "b") }
        let abandoned = try #require(try database.read { try $0.allOutbox() }.first)
        #expect(abandoned.sendingSince == nil && abandoned.claimedBy == "b" && abandoned.claimedUntil == Sample.at(181) && abandoned.attempts == 0)

        // b records its attempt (its claim renewed), then the delivery, which ends the claim
        #expect(try database.write { try $0.beginAttempt(id, claimer: "b", at: Sample.at(62), until: Sample.at(182)) })
        let sending = try #require(try database.read { try $0.allOutbox() }.first)
        #expect(sending.sendingSince == Sample.at(62) && sending.claimedUntil == Sample.at(182))
        #expect(try database.write { try $0.markDelivered(id, at: Sample.at(63), claimer: "b") })
        let delivered = try #require(try database.read { try $0.allOutbox() }.first)
        #expect(delivered.deliveredAt == Sample.at(63) && delivered.attempts == 1)
        #expect(delivered.claimedBy == nil && delivered.claimedUntil == nil && delivered.sendingSince == nil)
        // Settled: no claimer may begin it again
        #expect(try !database.write { try $0.beginAttempt(id, claimer: "b", at: Sample.at(64), until: Sample.at(184)) })
        #expect(try claim(database, "b", at: Sample.at(64), until: Sample.at(184)).isEmpty)
    }

    /// An attempt begun and never recorded (its claimer stopped while sending) is visible to the next claimer, with
    /// the same txnID; a failure recorded ends the claim, so any claimer retries it when due.
    @Test(arguments: StoreFactory.all)
    func anAttemptLeftWithoutOutcomeReachesTheNextClaimerWithItsTransactionID(_ store: StoreFactory) throws {
        let database = try store.make()
        let id = try database.write { try $0.enqueue(alert: AlertID(1), kind: .post, destination: slack, payload: Data(), at: Sample.t0) }
        let txnID = try #require(try database.read { try $0.allOutbox() }.first?.txnID)
        _ = try claim(database, "a", at: Sample.t0, until: Sample.at(60))
        #expect(try database.write { try $0.beginAttempt(id, claimer: "a", at: Sample.at(1), until: Sample.at(61)) })

        let taken = try database.write { try $0.claimOutbox(platforms: [.slack], claimer: "b", now: Sample.at(61), until: Sample.at(121), limit: 10) }
        #expect(taken.map(\.id) == [id] && taken.first?.sendingSince == Sample.at(1) && taken.first?.txnID == txnID)

        #expect(try database.write { try $0.markFailed(id, error: "timed out", retryAt: Sample.at(90), claimer: "b") })
        let failed = try #require(try database.read { try $0.allOutbox() }.first)
        #expect(failed.claimedBy == nil && failed.sendingSince == nil && failed.attempts == 1)
        #expect(try claim(database, "c", at: Sample.at(89), until: Sample.at(149)).isEmpty)
        #expect(try claim(database, "c", at: Sample.at(90), until: Sample.at(150)) == [id])
    }
}

import Chat
import Core
import Engine
import Foundation
import Reports
import Store
import Testing
import TestSupport

@Suite("Dispatcher: outbox to chat")
struct DispatcherTests {
    let t0 = EngineFixtures.t0

    func setup() throws -> (AlertEngine, VirtualClock) {
        let engine = try EngineFixtures.engine()
        try engine.reconcile(engine.config.controls[0], results: [EngineFixtures.result("b1", .fail)], at: t0)
        try engine.apply(AlertRequest(.acknowledge, by: .person("dana"), via: .chat(.terminal), at: t0 + 1), to: AlertID(1))
        return (engine, VirtualClock(start: t0 + 2))
    }

    @Test func deliversInOrderStoresTheMessageRefAndRecordsEvidence() async throws {
        let (engine, clock) = try setup()
        let surface = RecordingSurface()
        let dispatcher = Dispatcher(database: engine.database, surfaces: [surface], clock: clock, logger: EngineFixtures.logger)
        #expect(try await dispatcher.drain() == 2)
        #expect(await surface.delivered.map(\.kind) == [.post, .update])
        #expect(try engine.database.read { try $0.messageRefs(alert: AlertID(1)) }.map(\.messageID) == ["m1"])
        #expect(try engine.database.read { try $0.outboxDepth() } == 0)
        let deliveries = try engine.database.read { try $0.evidence(subject: "A-1") }.filter { String(decoding: $0, as: UTF8.self).contains("chat_delivery") }
        #expect(deliveries.count == 2)
        #expect(try await dispatcher.drain() == 0)   // delivered once
    }

    @Test func aFailedPostHoldsBackTheAlertsLaterMessagesAndRetriesWithBackoff() async throws {
        let (engine, clock) = try setup()
        let surface = RecordingSurface()
        await surface.failNext([TestError()])
        let dispatcher = Dispatcher(database: engine.database, surfaces: [surface], clock: clock, logger: EngineFixtures.logger)
        #expect(try await dispatcher.drain() == 0)   // the update must not overtake the failed post
        let retry = try #require(try await dispatcher.nextAttempt())
        #expect(retry > clock.now() && retry <= clock.now() + 3)
        clock.advance(to: retry)
        #expect(try await dispatcher.drain() == 2)
        #expect(await surface.delivered.map(\.kind) == [.post, .update])
    }

    @Test func retryAfterIsHonoured() async throws {
        let (engine, clock) = try setup()
        let surface = RecordingSurface()
        await surface.failNext([DeliveryError.retryAfter(30)])
        let dispatcher = Dispatcher(database: engine.database, surfaces: [surface], clock: clock, logger: EngineFixtures.logger)
        try await dispatcher.drain()
        #expect(try await dispatcher.nextAttempt() == clock.now() + 30)
        clock.advance(by: 29)
        #expect(try await dispatcher.drain() == 0)
        clock.advance(by: 1)
        #expect(try await dispatcher.drain() == 2)
    }

    /// The surface's own pacing sent nothing: the message keeps no attempt in flight (`sendingSince`), so its later
    /// sending, by this process or another replica, is not taken for a possible duplicate.
    @Test func aPacedMessageKeepsNoAttemptInFlight() async throws {
        let (engine, clock) = try setup()
        let surface = RecordingSurface()
        await surface.failNext([DeliveryError.paced(1)])
        let dispatcher = Dispatcher(database: engine.database, surfaces: [surface], clock: clock, logger: EngineFixtures.logger)
        #expect(try await dispatcher.drain() == 0)
        let row = try #require(try engine.database.read { try $0.allOutbox() }.first)
        #expect(row.sendingSince == nil && row.attempts == 0 && row.deliveredAt == nil && row.claimedBy == dispatcher.claimer)
        clock.advance(by: 1)
        #expect(try await dispatcher.drain() == 2)
    }

    @Test func aPermanentFailureIsKeptNotRetried() async throws {
        let (engine, clock) = try setup()
        let surface = RecordingSurface()
        await surface.failNext([DeliveryError.permanent("channel_not_found")])
        let dispatcher = Dispatcher(database: engine.database, surfaces: [surface], clock: clock, logger: EngineFixtures.logger)
        try await dispatcher.drain()
        #expect(try await dispatcher.nextAttempt() == nil)
        let row = try #require(try engine.database.read { try $0.allOutbox() }.first)
        #expect(row.deliveredAt == nil && row.lastError == "channel_not_found")
    }

    /// A post that failed for good (channel archived, bot not in it) must not silence the alert for ever: its next
    /// edit is posted as the alert's message, and later edits edit that one.
    @Test func aPermanentlyFailedPostHoldsNothingBackAndTheNextEditPostsAnew() async throws {
        let (engine, clock) = try setup()
        let surface = RecordingSurface()
        await surface.failNext([DeliveryError.permanent("not_in_channel")])
        let dispatcher = Dispatcher(database: engine.database, surfaces: [surface], clock: clock, logger: EngineFixtures.logger)
        #expect(try await dispatcher.drain() == 1)
        #expect(await surface.delivered.map(\.kind) == [.update])
        #expect(try engine.database.read { try $0.messageRefs(alert: AlertID(1)) }.map(\.messageID) == ["m1"], "the edit became the message")
        #expect(try await dispatcher.nextAttempt() == nil)
        #expect(try engine.database.read { try $0.outboxFailing() } == 1, "the failed post stays on record")

        try engine.apply(AlertRequest(.snooze(until: t0 + 86_400, rationale: "vendor fix due"), by: .person("dana"), via: .chat(.terminal), at: t0 + 3), to: AlertID(1))
        clock.advance(by: 1)
        #expect(try await dispatcher.drain() == 1)
        #expect(await surface.delivered.last?.kind == .update)
        #expect(try engine.database.read { try $0.messageRefs(alert: AlertID(1)) }.map(\.messageID) == ["m1"], "edited, not posted again")
    }

    /// The alert's message was deleted (or its channel archived) after it was posted: the edit that cannot be
    /// applied forgets it and is posted as the alert's message at once, so the alert is not silenced from then on.
    @Test func aMessageThatCanNoLongerBeEditedIsPostedAnew() async throws {
        let engine = try EngineFixtures.engine()
        try engine.reconcile(engine.config.controls[0], results: [EngineFixtures.result("b1", .fail)], at: t0)
        let clock = VirtualClock(start: t0 + 1)
        let surface = RecordingSurface()
        let dispatcher = Dispatcher(database: engine.database, surfaces: [surface], clock: clock, logger: EngineFixtures.logger)
        #expect(try await dispatcher.drain() == 1)
        try engine.apply(AlertRequest(.acknowledge, by: .person("dana"), via: .chat(.terminal), at: t0 + 1), to: AlertID(1))
        try engine.apply(AlertRequest(.snooze(until: t0 + 86_400, rationale: "vendor fix due"), by: .person("dana"), via: .chat(.terminal), at: t0 + 1),
                         to: AlertID(1))
        await surface.failNext([DeliveryError.permanent("message_not_found")])
        #expect(try await dispatcher.drain() == 0, "the snooze's edit waits for the acknowledgement's")
        #expect(try engine.database.read { try $0.messageRefs(alert: AlertID(1)) }.isEmpty, "the deleted message is forgotten")
        #expect(try await dispatcher.nextAttempt() == clock.now(), "and the edit tried again at once")
        #expect(try await dispatcher.drain() == 2)
        #expect(try engine.database.read { try $0.messageRefs(alert: AlertID(1)) }.map(\.messageID) == ["m2"], "posted as the alert's message")
        #expect(await surface.delivered.map(\.kind) == [.post, .update, .update], "then edited by the snooze, in order")
        #expect(try engine.database.read { try $0.alert(AlertID(1)) }?.state == .snoozed)
    }

    /// Escalation DMs do not wait for the alert's channel messages, and a DM that cannot be delivered yet does not
    /// hold back the alert's edits.
    @Test func directMessagesNeitherWaitForNorHoldBackTheAlertsChannelMessages() async throws {
        let engine = try EngineFixtures.engine()
        try engine.reconcile(engine.config.controls[0], results: [EngineFixtures.result("b1", .fail)], at: t0)
        try engine.fireTimers(at: t0 + 3_600)   // the ack timeout: the alert's edit and a DM to the manager
        let clock = VirtualClock(start: t0 + 3_601)
        let surface = RecordingSurface()
        await surface.failNext([TestError()])   // the post waits for a retry
        let dispatcher = Dispatcher(database: engine.database, surfaces: [surface], clock: clock, logger: EngineFixtures.logger)
        #expect(try await dispatcher.drain() == 1)
        #expect(await surface.delivered.map(\.kind) == [.direct], "the DM went; the edit waits for its post")

        // The post and its edit go; the SLA's DM fails and waits, and the next edit does not wait for it.
        clock.advance(to: try #require(try await dispatcher.nextAttempt()))
        #expect(try await dispatcher.drain() == 2)
        try engine.fireTimers(at: t0 + 86_400)  // the SLA: an edit, then a DM to the security lead
        clock.advance(to: t0 + 86_400)
        await surface.failDirect(true)
        #expect(try await dispatcher.drain() == 1)
        try engine.apply(AlertRequest(.acknowledge, by: .person("dana"), via: .chat(.terminal), at: t0 + 86_401), to: AlertID(1))
        clock.advance(by: 1)
        #expect(try await dispatcher.drain() == 1, "the acknowledgement's edit is not held back by the DM waiting to retry")
        #expect(await surface.delivered.map(\.kind) == [.direct, .post, .update, .update, .update])
    }

    /// An alert whose message fails for good is news in its own right: the security leads hear of it, the ledger
    /// records it, and `status`, `/metrics` and the dashboard name it by alert until the alert reaches its channel.
    @Test func aMessageThatFailsForGoodIsRaisedRecordedAndListedByAlert() async throws {
        let engine = try EngineFixtures.engine()
        try engine.reconcile(engine.config.controls[0], results: [EngineFixtures.result("b1", .fail)], at: t0)
        let clock = VirtualClock(start: t0 + 60)
        let surface = RecordingSurface()
        await surface.failNext([DeliveryError.permanent("Slack chat.postMessage: not_in_channel")])
        let dispatcher = Dispatcher(database: engine.database, surfaces: [surface], clock: clock, logger: EngineFixtures.logger,
                                    undeliveredTo: Routing.deliveryFailureDestinations(config: engine.config))
        #expect(try await dispatcher.drain() == 1, "the notice is delivered in the same drain")
        let told = await surface.delivered
        #expect(told.map(\.kind) == [.direct] && told.first?.destination == .direct(.terminal, "priya") && told.first?.alert == nil)
        let notice = try #require(try engine.database.read { try $0.allOutbox() }.last)
        let content = try StoreJSON.decode(ChatMessage.self, from: notice.payload)
        #expect(content.title == "Undelivered: A-1 alert to terminal #infra" && content.purpose == .undelivered)
        #expect(content.fields.contains(.init("Reason", "Slack chat.postMessage: not_in_channel")))

        let ledger = try engine.database.read { try $0.evidence(subject: "A-1") }.map { String(decoding: $0, as: UTF8.self) }
        #expect(ledger.contains { $0.contains("chat_undeliverable") && $0.contains("not_in_channel") && $0.contains("terminal:dm:priya") })
        #expect(try engine.database.read { try $0.verifyLedger() }.isIntact)

        let status = try engine.database.read { try StatusReport.build(config: engine.config, store: $0, now: clock.now()) }.message.body ?? ""
        #expect(status.contains("A-1 alert → terminal:#infra · Slack chat.postMessage: not_in_channel · since 2026-03-02 08:00 UTC"), "\(status)")
        let metrics = try engine.database.read { try PrometheusMetrics.render(config: engine.config, store: $0, now: clock.now()) }
        #expect(metrics.contains("soc2bot_undelivered_message_since_timestamp_seconds{alert=\"A-1\",kind=\"post\",platform=\"terminal\",destination=\"terminal:#infra\","))
        let dashboard = try engine.database.read { try Dashboard.main(config: engine.config, store: $0, now: clock.now(), link: { $0 }) }
        #expect(dashboard.contains("Undelivered for good (1)") && dashboard.contains("<a href=\"/dashboard/alerts/A-1\">A-1</a>"))

        // The alert's next change posts it to its channel: no longer undelivered.
        try engine.apply(AlertRequest(.acknowledge, by: .person("dana"), via: .chat(.terminal), at: clock.now()), to: AlertID(1))
        #expect(try await dispatcher.drain() == 1)
        #expect(try engine.database.read { try $0.undeliverableOutbox() }.isEmpty)
        let after = try engine.database.read { try StatusReport.build(config: engine.config, store: $0, now: clock.now()) }.message.body ?? ""
        #expect(!after.contains("Undelivered for good"))
    }

    /// The notice that a message failed for good cannot be delivered either: recorded, and no notice of the notice.
    @Test func aNoticeThatFailsForGoodRaisesNoOther() async throws {
        let engine = try EngineFixtures.engine()
        try engine.reconcile(engine.config.controls[0], results: [EngineFixtures.result("b1", .fail)], at: t0)
        let clock = VirtualClock(start: t0 + 60)
        let surface = RecordingSurface()
        await surface.failNext([DeliveryError.permanent("channel_not_found"), DeliveryError.permanent("user_not_found")])
        let dispatcher = Dispatcher(database: engine.database, surfaces: [surface], clock: clock, logger: EngineFixtures.logger,
                                    undeliveredTo: Routing.deliveryFailureDestinations(config: engine.config))
        #expect(try await dispatcher.drain() == 0)
        #expect(try await dispatcher.drain() == 0)
        #expect(try await dispatcher.nextAttempt() == nil)
        let outbox = try engine.database.read { try $0.allOutbox() }
        #expect(outbox.count == 2, "the alert's post and one notice, nothing more")
        #expect(outbox.allSatisfy { $0.deliveredAt == nil && $0.lastError != nil })
        var undeliverable = 0
        try engine.database.read { try $0.ledgerRows { if $0.kind == "chat_undeliverable" { undeliverable += 1 } } }
        #expect(undeliverable == 2)
    }

    @Test func messagesForPlatformsWithoutASurfaceStayQueued() async throws {
        let (engine, clock) = try setup()
        let dispatcher = Dispatcher(database: engine.database, surfaces: [RecordingSurface(platform: .slack)], clock: clock, logger: EngineFixtures.logger)
        #expect(try await dispatcher.drain() == 0)
        #expect(try engine.database.read { try $0.outboxDepth() } == 2)
    }

    @Test func backoffIsCappedAndJittered() {
        #expect(Dispatcher.backoff(attempts: 1, jitter: 0) == 2)
        #expect(Dispatcher.backoff(attempts: 5, jitter: 0) == 32)
        #expect(Dispatcher.backoff(attempts: 30, jitter: 0) == 900)
        #expect(Dispatcher.backoff(attempts: 30, jitter: 0.2) == 1080)
    }
}

import Core
import Engine
import Foundation
import Store
import Testing
import TestSupport

@Suite("Escalator timers on a test clock")
struct EscalatorTests {
    let t0 = EngineFixtures.t0

    func openAlert() throws -> AlertEngine {
        let engine = try EngineFixtures.engine()
        try engine.reconcile(engine.config.controls[0], results: [EngineFixtures.result("b1", .fail)], at: t0)
        return engine
    }

    /// A control taken out of the manifests is tested no more: its open alerts stop escalating (no DMs for ever)
    /// and stay listed until someone closes them.
    @Test func alertsOfARemovedControlNoLongerEscalate() throws {
        let engine = try openAlert()
        var config = engine.config
        config.controls.removeAll()
        let restarted = AlertEngine(config: config, database: engine.database)
        try restarted.refreshTimers()
        #expect(try restarted.nextTimer() == nil)
        #expect(try restarted.fireTimers(at: t0 + 30 * 86_400) == 0)
        #expect(try restarted.database.read { try $0.liveAlerts() }.map(\.id) == [AlertID(1)])
    }

    @Test func anUnacknowledgedAlertEscalatesToTheManagerThenTheSecurityLead() throws {
        let engine = try openAlert()
        // Given the ack timeout (1 h) and SLA (24 h) of the fixture policy
        #expect(try engine.nextTimer() == t0 + 3_600)
        #expect(try engine.fireTimers(at: t0 + 3_599) == 0)
        // When the ack timeout passes: level 1, a DM to the team manager
        #expect(try engine.fireTimers(at: t0 + 3_600) == 1)
        var alert = try #require(try engine.database.read { try $0.alert(AlertID(1)) })
        #expect(alert.state == .escalated && alert.escalationLevel == 1)
        var directs = try engine.database.read { try $0.allOutbox() }.filter { $0.kind == .direct }
        #expect(Set(directs.map(\.destination)) == [.direct(.terminal, "dana"), .direct(.slack, "UDANA")])
        // When the SLA passes: level 2, a DM to the security lead
        #expect(try engine.nextTimer() == t0 + 86_400)
        try engine.fireTimers(at: t0 + 86_400)
        alert = try #require(try engine.database.read { try $0.alert(AlertID(1)) })
        #expect(alert.escalationLevel == 2 && alert.slaBreachedAt == t0 + 86_400)
        directs = try engine.database.read { try $0.allOutbox() }.filter { $0.kind == .direct }
        #expect(directs.last?.destination == .direct(.terminal, "priya"))
        // And nothing more is due
        #expect(try engine.nextTimer() == nil)
    }

    @Test func anAcknowledgedAlertStillEscalatesOnSLABreach() throws {
        let engine = try openAlert()
        try engine.apply(AlertRequest(.acknowledge, by: .person("omar"), via: .chat(.terminal), at: t0 + 60), to: AlertID(1))
        #expect(try engine.nextTimer() == t0 + 86_400)
        try engine.fireTimers(at: t0 + 90_000)
        let alert = try #require(try engine.database.read { try $0.alert(AlertID(1)) })
        #expect(alert.state == .escalated && alert.escalationLevel == 1)
    }

    @Test func aSnoozeExpiresAndReFiresToTheChannel() throws {
        let engine = try openAlert()
        try engine.apply(AlertRequest(.snooze(until: t0 + 7_200, rationale: "change window"), by: .person("dana"), via: .chat(.terminal), at: t0 + 60), to: AlertID(1))
        #expect(try engine.nextTimer() == t0 + 7_200)
        #expect(try engine.fireTimers(at: t0 + 3_600) == 0)   // no ack escalation while snoozed
        try engine.fireTimers(at: t0 + 7_200)
        let alert = try #require(try engine.database.read { try $0.alert(AlertID(1)) })
        #expect(alert.state == .open && alert.awakeSince == t0 + 7_200)
        let last = try #require(try engine.database.read { try $0.allOutbox() }.last)
        #expect(last.kind == .update)
        let content = try StoreJSON.decode(Chat.ChatMessage.self, from: last.payload)
        #expect(content.broadcast && (content.threadLine ?? "").contains("snooze expired"))
        // The ack window restarts from the wake-up
        #expect(try engine.nextTimer() == t0 + 7_200 + 3_600)
    }

    @Test func aRiskAcceptanceExpiresAndReFires() throws {
        let engine = try openAlert()
        try engine.apply(AlertRequest(.acceptRisk(until: t0 + 10 * 86_400, rationale: "bridge letter"), by: .person("priya"), via: .chat(.terminal), at: t0), to: AlertID(1))
        #expect(try engine.nextTimer() == t0 + 10 * 86_400)
        try engine.fireTimers(at: t0 + 10 * 86_400)
        // It wakes, and since its 24 h SLA passed meanwhile, the breach escalates it at once.
        let alert = try #require(try engine.database.read { try $0.alert(AlertID(1)) })
        #expect(alert.state == .escalated && alert.slaBreachedAt == t0 + 10 * 86_400)
        let actions = try engine.database.read { try $0.evidence(subject: "A-1") }.map { String(decoding: $0, as: UTF8.self) }
        #expect(actions.contains { $0.contains("\"action\":\"wake\"") })
    }
}

@Suite("Control scheduler")
struct ControlSchedulerTests {
    let t0 = EngineFixtures.t0

    @Test func controlsRunAtStartThenEveryCadenceAndResumeFromTheStore() async throws {
        let config = EngineFixtures.config()
        let plan = SchedulePlan(controls: config.controls)
        let control = config.controls[0]
        #expect(plan.nextDue(lastRuns: [:], start: t0) == t0)
        #expect(plan.due(at: t0, lastRuns: [:], start: t0).map(\.id) == [control.id])
        #expect(plan.due(at: t0 + 3_599, lastRuns: [control.id: t0], start: t0).isEmpty)
        #expect(plan.nextDue(lastRuns: [control.id: t0], start: t0) == t0 + 3_600)
        // Manual controls are evaluated (has their evidence come in?) daily, or at their cadence when shorter.
        var manual = control
        manual.check = nil
        manual.cadence = 90 * 86_400
        #expect(SchedulePlan(controls: [manual]).nextDue(lastRuns: [:], start: t0) == t0)
        #expect(SchedulePlan(controls: [manual]).nextDue(lastRuns: [manual.id: t0], start: t0) == t0 + 86_400)
    }

    @Test func theLoopRunsControlsOnAVirtualClockAndStopsAtUntil() async throws {
        let engine = try EngineFixtures.engine()
        let clock = VirtualClock(start: t0)
        let surface = RecordingSurface()
        let bot = Bot.make(config: engine.config, database: engine.database, sources: [StaticBuckets()], surfaces: [surface],
                           clock: clock, logger: EngineFixtures.logger, start: t0, until: t0 + 5 * 3_600)
        try await bot.loop.run()
        let runs = try engine.database.read { try $0.lastRuns() }
        #expect(runs[engine.config.controls[0].id] == t0 + 5 * 3_600)
        // One alert, posted once, escalated once to the manager (1 h ack timeout): no repeated posts.
        let kinds = await surface.delivered.map(\.kind)
        #expect(kinds.filter { $0 == .post }.count == 1)
        #expect(kinds.filter { $0 == .direct }.count == 1)
        #expect(clock.now() == t0 + 5 * 3_600)
    }
}

/// A timed work due now that holds its step until released: a slow source read.
struct HeldWork: TimedWork {
    let started: AsyncStream<Void>.Continuation
    let release: AsyncStream<Void>
    func nextDue() async throws -> Date? { .distantPast }
    func run(at now: Date) async throws {
        started.yield()
        for await _ in release { return }
    }
}

@Suite("Delivering while controls run")
struct DeliveryDuringWorkTests {
    /// In production a step may spend minutes in slow source reads; what a chat action queues meanwhile (a clicked
    /// Ack's edit) goes out when the doorbell rings, not after the step: the dispatcher is a service of its own.
    /// Tells each delivery as it happens, so the test waits for the event rather than polling the clock.
    struct AnnouncingSurface: ChatSurface {
        let inner: RecordingSurface
        let delivered: AsyncStream<DeliveryKind>.Continuation
        var platform: ChatPlatform { inner.platform }
        func deliver(_ delivery: ChatDelivery) async throws -> MessageRef? {
            let ref = try await inner.deliver(delivery)
            delivered.yield(delivery.kind)
            return ref
        }
    }

    // A safety limit only: were the delivery held by the step, the update would never come and the wait would hang.
    // The services' hour-long idle sleeps are on a test clock nobody advances: only rings and cancellation end them.
    @Test(.timeLimit(.minutes(1))) func aRingDuringALongStepDeliversAtOnce() async throws {
        let engine = try EngineFixtures.engine()
        try engine.reconcile(engine.config.controls[0], results: [EngineFixtures.result("b1", .fail)], at: EngineFixtures.t0)
        let clock = TestClock(start: EngineFixtures.t0)
        let surface = RecordingSurface()
        let (deliveries, announce) = AsyncStream.makeStream(of: DeliveryKind.self)
        let doorbell = Doorbell()
        let dispatcher = Dispatcher(database: engine.database, surfaces: [AnnouncingSurface(inner: surface, delivered: announce)], clock: clock,
                                    logger: EngineFixtures.logger, doorbell: doorbell)
        let (started, startedSignal) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
        let scheduler = TimedService(name: "scheduler", works: [HeldWork(started: startedSignal, release: release)], clock: clock,
                                     doorbell: doorbell, listensFor: .runs, causes: [.outbox, .timers], idlePoll: 3_600, logger: EngineFixtures.logger)
        let delivery = DeliveryService(dispatcher: dispatcher, clock: clock, doorbell: doorbell, idlePoll: 3_600)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await delivery.run() }
            group.addTask { try await scheduler.run() }
            for await _ in started { break }

            // While the scheduler's work is held, a person acknowledges and the handler rings.
            try engine.apply(AlertRequest(.acknowledge, by: .person("dana"), via: .chat(.terminal), at: EngineFixtures.t0), to: AlertID(1))
            doorbell.ring()
            var kinds: [DeliveryKind] = []
            for await kind in deliveries {
                kinds.append(kind)
                if kind == .update { break }
            }
            #expect(kinds == [.post, .update], "the acknowledgement's edit went out while the scheduler's step was still running")
            releaseSignal.yield()
            group.cancelAll()
        }
    }
}

/// One unencrypted bucket, always.
struct StaticBuckets: FactSources.FactSource {
    let id: SourceID = "aws"
    var provides: Set<FactKind> { [.buckets] }
    func facts(_ kinds: Set<FactKind>) async throws -> FactSources.Facts {
        var facts = FactSources.Facts()
        facts.buckets = [FactSources.Bucket(provider: "S3", name: "exports", encryption: .none, isPublic: false)]
        return facts
    }
}

import Chat
import Checks
import FactSources

import Core
import Engine
import Foundation
import Store
import Testing

/// Each live alert's next timer is recorded with it, so the loop finds the earliest without decoding every alert;
/// a changed escalation policy is applied to the recorded timers at start.
@Suite("Recorded alert timers")
struct AlertTimerStoreTests {
    @Test func timersFollowTheAlertAndAPolicyChangeIsAppliedAtStart() throws {
        let database = try BotDatabase.inMemory()
        let config = EngineFixtures.config()   // high: ack timeout 1 h, SLA 24 h
        let engine = AlertEngine(config: config, database: database)
        try engine.reconcile(config.controls[0], results: [EngineFixtures.result("b1", .fail)], at: EngineFixtures.t0)
        #expect(try engine.nextTimer() == EngineFixtures.t0.addingTimeInterval(3_600))

        // The manifests now want an acknowledgement within 10 minutes: a restart recomputes the recorded timer.
        var stricter = config
        stricter.policy.ackTimeout[.high] = 600
        let restarted = AlertEngine(config: stricter, database: database)
        #expect(try restarted.nextTimer() == EngineFixtures.t0.addingTimeInterval(3_600), "recorded under the old policy")
        try restarted.refreshTimers()
        #expect(try restarted.nextTimer() == EngineFixtures.t0.addingTimeInterval(600))

        // Acknowledged: the ack timer is gone; the SLA (recorded on the alert when it opened) remains.
        try restarted.apply(AlertRequest(.acknowledge, by: .person("dana"), via: .chat(.terminal), at: EngineFixtures.t0), to: AlertID(1))
        #expect(try restarted.nextTimer() == EngineFixtures.t0.addingTimeInterval(86_400))
        #expect(try restarted.fireTimers(at: EngineFixtures.t0.addingTimeInterval(3_600)) == 0, "nothing is due before the SLA")

        // Resolved: no timer at all.
        try restarted.reconcile(config.controls[0], results: [EngineFixtures.result("b1", .pass)], at: EngineFixtures.t0.addingTimeInterval(60))
        #expect(try restarted.nextTimer() == nil)
    }
}

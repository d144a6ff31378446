import Chat
import Core
import Foundation
import Store
import Testing
import TestSupport

/// Alerts on every store: ids and episodes assigned by the store, one live alert per control and resource,
/// compare-and-set saves, facts over a period, timers and the messages that show an alert.
@Suite("Alert repository")
struct AlertConformanceTests {
    let control = Sample.control()
    let sla = Sample.config().sla(for: Sample.control())

    /// Ends `alert` (resolved at `at`) through a compare-and-set save.
    func resolve(_ alert: Alert, at: Date, in database: BotDatabase) throws {
        var ended = alert
        ended.state = .resolved
        ended.endedAt = at
        ended.version += 1
        try database.write { try $0.saveAlert(ended, expectedVersion: alert.version) }
    }

    @Test(arguments: StoreFactory.all)
    func openAlertAssignsIncreasingIdsAndStoresTheAlert(_ store: StoreFactory) throws {
        let database = try store.make()

        let opened = try database.write { tx in
            try ["ann", "bob", "cy"].map { try tx.openAlert(control: control, draft: Sample.draft($0), at: Sample.t0, sla: sla) }
        }

        #expect(opened.map(\.id) == [AlertID(1), AlertID(2), AlertID(3)])
        #expect(opened.map(\.episode) == [1, 1, 1])
        let first = opened[0]
        #expect(first.resourceKey == "okta:ann")
        #expect(first.state == .open)
        #expect(first.version == 1)
        #expect(first.team == "infra")
        #expect(first.severity == .high)
        #expect(first.slaDeadline == Sample.t0.addingTimeInterval(sla))
        #expect(try database.read { try $0.alert(AlertID(1)) } == first)
        #expect(try database.read { try $0.alert(AlertID(4)) } == nil)
        #expect(try database.read { try $0.liveAlerts(control: control.id) }.keys.sorted() == ["okta:ann", "okta:bob", "okta:cy"])
        #expect(try database.read { try $0.alertCount() } == 3)
    }

    @Test(arguments: StoreFactory.all)
    func episodesCountPerControlAndResource(_ store: StoreFactory) throws {
        let database = try store.make()
        let other = Sample.control(id: "sso-only")

        // Given ann's first episode, resolved
        let first = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla) }
        try resolve(first, at: Sample.at(Sample.hour), in: database)

        // When ann fails again, bob fails, and ann fails another control
        let second = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.at(2 * Sample.hour), sla: sla) }
        let bob = try database.write { try $0.openAlert(control: control, draft: Sample.draft("bob"), at: Sample.at(2 * Sample.hour), sla: sla) }
        let elsewhere = try database.write {
            try $0.openAlert(control: other, draft: Sample.draft("ann", control: other), at: Sample.at(2 * Sample.hour), sla: sla)
        }
        try resolve(second, at: Sample.at(3 * Sample.hour), in: database)
        let third = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.at(4 * Sample.hour), sla: sla) }

        // Then ids keep increasing and episodes count per (control, resource)
        #expect([first, second, bob, elsewhere, third].map(\.id.rawValue) == [1, 2, 3, 4, 5])
        #expect([first, second, third].map(\.episode) == [1, 2, 3])
        #expect(bob.episode == 1)
        #expect(elsewhere.episode == 1)
        #expect(try database.read { try $0.alerts(states: [.resolved]) }.map(\.id) == [first.id, second.id])
        #expect(try database.read { try $0.liveAlerts() }.map(\.id) == [bob.id, elsewhere.id, third.id])
        #expect(try database.read { try $0.alerts() }.map(\.id) == [first.id, second.id, bob.id, elsewhere.id, third.id])
        #expect(try database.read { try $0.latestAlert(control: control.id, resourceKey: "okta:ann") }?.id == third.id)
        #expect(try database.read { try $0.latestAlert(control: control.id, resourceKey: "okta:dee") } == nil)
    }

    /// A second live alert for the same control and resource is refused by the store itself, and nothing of the
    /// refused transaction lands.
    @Test(arguments: StoreFactory.all)
    func secondLiveAlertForTheSameControlAndResourceIsRefused(_ store: StoreFactory) throws {
        let database = try store.make()
        let live = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla) }

        #expect(throws: (any Error).self) {
            try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.at(Sample.minute), sla: sla) }
        }

        #expect(try database.read { try $0.alerts() } == [live])
    }

    @Test(arguments: StoreFactory.all.flatMap { store in [AlertState.acknowledged, .snoozed, .escalated, .riskAccepted].map { (store, $0) } })
    func everyLiveStateBlocksASecondAlert(_ store: StoreFactory, state: AlertState) throws {
        let database = try store.make()
        var alert = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla) }
        alert.state = state
        alert.version = 2
        try database.write { try $0.saveAlert(alert, expectedVersion: 1) }

        #expect(throws: (any Error).self) {
            try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.at(Sample.minute), sla: sla) }
        }
    }

    @Test(arguments: StoreFactory.all.flatMap { store in [AlertState.closed, .resolved].map { (store, $0) } })
    func anEndedAlertMakesRoomForANewEpisode(_ store: StoreFactory, state: AlertState) throws {
        let database = try store.make()
        var alert = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla) }
        alert.state = state
        alert.endedAt = Sample.at(Sample.hour)
        alert.version = 2
        try database.write { try $0.saveAlert(alert, expectedVersion: 1) }

        let next = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.at(2 * Sample.hour), sla: sla) }

        #expect(next.episode == 2)
        #expect(try database.read { try $0.liveAlerts(control: control.id) } == ["okta:ann": next])
    }

    @Test(arguments: StoreFactory.all)
    func saveAlertIsACompareAndSetOnTheVersion(_ store: StoreFactory) throws {
        let database = try store.make()
        let opened = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla) }

        // Dana acknowledges from the version she saw (1)
        var acknowledged = opened
        acknowledged.state = .acknowledged
        acknowledged.acknowledgedBy = "dana"
        acknowledged.version = 2
        try database.write { try $0.saveAlert(acknowledged, expectedVersion: 1) }

        // Sam, who also saw version 1, tries to snooze: refused, and nothing he wrote in that transaction lands
        var snoozed = opened
        snoozed.state = .snoozed
        snoozed.snoozedUntil = Sample.at(Sample.day)
        snoozed.version = 2
        let error = #expect(throws: StoreError.self) {
            try database.write { tx in
                try tx.setCursor("sam.saw", "1")
                try tx.saveAlert(snoozed, expectedVersion: 1)
            }
        }

        #expect(error == .versionConflict(opened.id, expected: 1))
        #expect(try database.read { try $0.alert(opened.id) } == acknowledged)
        #expect(try database.read { try $0.cursor("sam.saw") } == nil)
    }

    @Test(arguments: StoreFactory.all)
    func savingAnAlertThatDoesNotExistIsAConflict(_ store: StoreFactory) throws {
        let database = try store.make()
        var ghost = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla) }
        ghost.id = AlertID(99)

        #expect(throws: StoreError.versionConflict(AlertID(99), expected: 1)) {
            try database.write { try $0.saveAlert(ghost, expectedVersion: 1) }
        }
    }

    @Test(arguments: StoreFactory.all)
    func aFailedWriteRollsBackEverythingInItsTransaction(_ store: StoreFactory) throws {
        let database = try store.make()
        _ = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla) }

        #expect(throws: (any Error).self) {
            try database.write { tx in
                try tx.appendEvidence(kind: "note", subject: nil, at: Sample.t0, data: Note(n: 1))
                try tx.setCursor("slack.events", "7")
                _ = try tx.enqueue(alert: nil, kind: .reply, destination: .channel(.slack, "C1"), payload: Data(), at: Sample.t0)
                _ = try tx.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla)
            }
        }

        #expect(try database.read { try $0.ledgerHead() } == nil)
        #expect(try database.read { try $0.cursor("slack.events") } == nil)
        #expect(try database.read { try $0.allOutbox() }.isEmpty)
    }

    /// A step reads the live alerts of all its controls at once: the same as reading each control's, with every
    /// control asked for a key (one without alerts too), ended alerts left out, a control asked twice answered once.
    @Test(arguments: StoreFactory.all)
    func liveAlertsOfSeveralControlsAreEachControlsLiveAlerts(_ store: StoreFactory) throws {
        let database = try store.make()
        let other = Sample.control(id: "branch-protection")
        try database.write { tx in
            _ = try tx.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla)
            _ = try tx.openAlert(control: control, draft: Sample.draft("bob"), at: Sample.t0, sla: sla)
            _ = try tx.openAlert(control: other, draft: Sample.draft("cid", control: other), at: Sample.t0, sla: sla)
        }
        let ended = try database.write { try $0.openAlert(control: other, draft: Sample.draft("dee", control: other), at: Sample.t0, sla: sla) }
        var resolved = ended
        resolved.state = .resolved
        try database.write { try $0.saveAlert(resolved, expectedVersion: ended.version) }

        let ids = [control.id, other.id, ControlID("never-alerted"), control.id]
        let together = try database.read { try $0.liveAlerts(controls: ids) }
        let each = try database.read { tx in try ids.map { try tx.liveAlerts(control: $0) } }

        #expect(Set(together.keys) == Set(ids))
        for (id, alerts) in zip(ids, each) { #expect(together[id] == alerts) }
        #expect(together[control.id]?.keys.sorted() == ["okta:ann", "okta:bob"])
        #expect(together[other.id]?.keys.sorted() == ["okta:cid"])
        #expect(together[ControlID("never-alerted")]?.isEmpty == true)
    }

    /// A savepoint that throws takes back only what was written inside it; the transaction keeps the rest.
    @Test(arguments: StoreFactory.all)
    func aFailedSavepointLosesOnlyItself(_ store: StoreFactory) throws {
        let database = try store.make()

        try database.write { tx in
            try tx.setCursor("before", "1")
            #expect(throws: StoreError.self) {
                try tx.savepoint {
                    try tx.setCursor("inside", "1")
                    throw StoreError.notFound("the control's facts")
                }
            }
            let kept = try tx.savepoint { try tx.setCursor("kept", "1"); return 7 }
            #expect(kept == 7)
        }

        #expect(try database.read { tx in try ["before", "inside", "kept"].map { try tx.cursor($0) } } == ["1", nil, "1"])
    }

    /// A statement the database refuses inside a savepoint (a second live alert) loses only that savepoint: the
    /// transaction goes on and commits what was written before and after it (PostgreSQL refuses every statement of a
    /// transaction after an error until it rolls back to a savepoint).
    @Test(arguments: StoreFactory.all)
    func aRefusedStatementInASavepointLosesOnlyItself(_ store: StoreFactory) throws {
        let database = try store.make()
        let live = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla) }

        try database.write { tx in
            try tx.setCursor("before", "1")
            #expect(throws: (any Error).self) {
                try tx.savepoint { try tx.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.at(Sample.minute), sla: sla) }
            }
            try tx.setCursor("after", "1")
        }

        #expect(try database.read { tx in try ["before", "after"].map { try tx.cursor($0) } } == ["1", "1"])
        #expect(try database.read { try $0.alerts() } == [live])
    }

    /// The metrics read an alert's facts without its body: they must say what the body says, through every save.
    @Test(arguments: StoreFactory.all)
    func alertFactsFollowEverySave(_ store: StoreFactory) throws {
        let database = try store.make()
        let ann = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla) }
        var bob = try database.write { try $0.openAlert(control: control, draft: Sample.draft("bob"), at: Sample.at(Sample.hour), sla: sla) }
        try resolve(ann, at: Sample.at(2 * Sample.hour), in: database)
        let version = bob.version
        bob.state = .riskAccepted
        bob.severity = .critical
        bob.slaBreachedAt = Sample.at(3 * Sample.hour)
        bob.version += 1
        try database.write { try $0.saveAlert(bob, expectedVersion: version) }

        let everything = DateInterval(start: Sample.t0.addingTimeInterval(-Sample.hour), end: Sample.at(10 * Sample.hour))
        let facts = try database.read { try $0.alertFacts(touching: everything) }
        #expect(facts == (try database.read { try $0.alerts(touching: everything) }).map(\.facts))
        #expect(facts == (try database.read { try $0.alertFacts() }))
        #expect(facts.map(\.state) == [.resolved, .riskAccepted])
        #expect(facts[1].severity == .critical && facts[1].slaBreachedAt == Sample.at(3 * Sample.hour))
        #expect(facts[0].criteria == control.criteria && !control.criteria.isEmpty)
        // ann ended at 2 h: a period starting after that no longer touches her alert
        let later = DateInterval(start: Sample.at(2.5 * Sample.hour), end: everything.end)
        #expect(try database.read { try $0.alertFacts(touching: later) }.map(\.id) == [bob.id])
        #expect(try database.read { try $0.alerts(touching: later) }.map(\.id) == [bob.id])
        // at 1.5 h both were open; at 30 min only ann; at 2 h ann had just ended
        #expect(try database.read { try $0.alerts(openAt: Sample.at(1.5 * Sample.hour)) }.map(\.id) == [ann.id, bob.id])
        #expect(try database.read { try $0.alerts(openAt: Sample.at(30 * Sample.minute)) }.map(\.id) == [ann.id])
        #expect(try database.read { try $0.alerts(openAt: Sample.at(2 * Sample.hour)) }.map(\.id) == [bob.id])
    }

    /// The escalator's timers: the earliest is found without reading alerts, and the due ones come oldest alert first.
    @Test(arguments: StoreFactory.all)
    func timersAreFoundByTheirTime(_ store: StoreFactory) throws {
        let database = try store.make()
        let alerts = try database.write { tx in
            try ["ann", "bob", "cy"].map { try tx.openAlert(control: control, draft: Sample.draft($0), at: Sample.t0, sla: sla) }
        }
        #expect(try database.read { try $0.nextTimerAt() } == nil)

        try database.write { tx in
            try tx.setTimer(alerts[0].id, at: Sample.at(3 * Sample.hour))
            try tx.setTimer(alerts[1].id, at: Sample.at(Sample.hour))
            try tx.setTimer(alerts[2].id, at: Sample.at(2 * Sample.hour))
        }
        #expect(try database.read { try $0.nextTimerAt() } == Sample.at(Sample.hour))
        #expect(try database.read { try $0.alertsWithTimers(dueBy: Sample.at(2 * Sample.hour)) }.map(\.id) == [alerts[1].id, alerts[2].id])
        #expect(try database.read { try $0.alertsWithTimers(dueBy: Sample.at(Sample.minute)) }.isEmpty)

        // bob's timer is cleared (his alert ended): the next one is cy's
        try database.write { try $0.setTimer(alerts[1].id, at: nil) }
        #expect(try database.read { try $0.nextTimerAt() } == Sample.at(2 * Sample.hour))
        #expect(try database.read { try $0.alertsWithTimers(dueBy: Sample.at(Sample.day)) }.map(\.id) == [alerts[0].id, alerts[2].id])
    }

    @Test(arguments: StoreFactory.all)
    func messageRefsRoundTripPerPlatformAndChannel(_ store: StoreFactory) throws {
        let database = try store.make()
        let alert = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: 3_600) }
        let slackRef = MessageRef(platform: .slack, channel: Sample.slackChannel, messageID: "1772000000.000100")
        let terminalRef = MessageRef(platform: .terminal, channel: Sample.terminalChannel, messageID: "line-12")

        try database.write { tx in
            try tx.saveMessageRef(terminalRef, alert: alert.id)
            try tx.saveMessageRef(slackRef, alert: alert.id)
        }
        #expect(try database.read { try $0.messageRefs(alert: alert.id) } == [slackRef, terminalRef])
        #expect(try database.read { try $0.messageRefs(alert: AlertID(99)) }.isEmpty)

        // A repost to the same channel replaces the reference rather than adding a second one
        var reposted = slackRef
        reposted.messageID = "1772000100.000200"
        try database.write { try $0.saveMessageRef(reposted, alert: alert.id) }
        #expect(try database.read { try $0.messageRefs(alert: alert.id) } == [reposted, terminalRef])

        // A message names its alert (a Matrix reaction or reply); the replaced one no longer does
        #expect(try database.read { try $0.alert(messageID: "1772000100.000200", platform: .slack, channel: Sample.slackChannel) } == alert.id)
        #expect(try database.read { try $0.alert(messageID: "1772000000.000100", platform: .slack, channel: Sample.slackChannel) } == nil)
        #expect(try database.read { try $0.alert(messageID: "line-12", platform: .slack, channel: Sample.terminalChannel) } == nil)

        // Forgetting a platform's messages leaves the others
        try database.write { try $0.forgetMessageRefs(alert: alert.id, platform: .slack) }
        #expect(try database.read { try $0.messageRefs(alert: alert.id) } == [terminalRef])
    }
}

import Core
import Foundation
import GRDB
import Store
import Testing
import TestSupport

/// Alerts in the store: ids and episodes assigned by SQLite, one live alert per control and resource, and
/// compare-and-set saves.
@Suite("Alert store")
struct AlertStoreTests {
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

    @Test func openAlertAssignsIncreasingIdsAndStoresTheAlert() throws {
        let database = try BotDatabase.inMemory()

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
        #expect(try database.read { try $0.liveAlerts(control: control.id) }.keys.sorted() == ["okta:ann", "okta:bob", "okta:cy"])
    }

    @Test func episodesCountPerControlAndResource() throws {
        let database = try BotDatabase.inMemory()
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
    }

    @Test func secondLiveAlertForTheSameControlAndResourceIsRefused() throws {
        let database = try BotDatabase.inMemory()
        let live = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla) }

        let error = #expect(throws: DatabaseError.self) {
            try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.at(Sample.minute), sla: sla) }
        }

        #expect(error?.resultCode == .SQLITE_CONSTRAINT)
        #expect(try database.read { try $0.alerts() } == [live])
    }

    @Test(arguments: [AlertState.acknowledged, .snoozed, .escalated, .riskAccepted])
    func everyLiveStateBlocksASecondAlert(state: AlertState) throws {
        let database = try BotDatabase.inMemory()
        var alert = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla) }
        alert.state = state
        alert.version = 2
        try database.write { try $0.saveAlert(alert, expectedVersion: 1) }

        #expect(throws: DatabaseError.self) {
            try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.at(Sample.minute), sla: sla) }
        }
    }

    @Test(arguments: [AlertState.closed, .resolved])
    func anEndedAlertMakesRoomForANewEpisode(state: AlertState) throws {
        let database = try BotDatabase.inMemory()
        var alert = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla) }
        alert.state = state
        alert.endedAt = Sample.at(Sample.hour)
        alert.version = 2
        try database.write { try $0.saveAlert(alert, expectedVersion: 1) }

        let next = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.at(2 * Sample.hour), sla: sla) }

        #expect(next.episode == 2)
        #expect(try database.read { try $0.liveAlerts(control: control.id) } == ["okta:ann": next])
    }

    @Test func saveAlertIsACompareAndSetOnTheVersion() throws {
        let database = try BotDatabase.inMemory()
        let opened = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla) }

        // Dana acknowledges from the version she saw (1)
        var acknowledged = opened
        acknowledged.state = .acknowledged
        acknowledged.acknowledgedBy = "dana"
        acknowledged.version = 2
        try database.write { try $0.saveAlert(acknowledged, expectedVersion: 1) }

        // Sam, who also saw version 1, tries to snooze: refused, and nothing he wrote lands
        var snoozed = opened
        snoozed.state = .snoozed
        snoozed.snoozedUntil = Sample.at(Sample.day)
        snoozed.version = 2
        let error = #expect(throws: StoreError.self) {
            try database.write { try $0.saveAlert(snoozed, expectedVersion: 1) }
        }

        #expect(error == .versionConflict(opened.id, expected: 1))
        #expect(try database.read { try $0.alert(opened.id) } == acknowledged)
    }

    @Test func savingAnAlertThatDoesNotExistIsAConflict() throws {
        let database = try BotDatabase.inMemory()
        var ghost = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla) }
        ghost.id = AlertID(99)

        #expect(throws: StoreError.versionConflict(AlertID(99), expected: 1)) {
            try database.write { try $0.saveAlert(ghost, expectedVersion: 1) }
        }
    }

    @Test func aFailedWriteRollsBackEverythingInItsTransaction() throws {
        let database = try BotDatabase.inMemory()
        _ = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla) }

        #expect(throws: DatabaseError.self) {
            try database.write { tx in
                try tx.appendEvidence(kind: "note", subject: nil, at: Sample.t0, data: Note(n: 1))
                try tx.setCursor("slack.events", "7")
                _ = try tx.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla)
            }
        }

        #expect(try database.read { try $0.ledgerHead() } == nil)
        #expect(try database.read { try $0.cursor("slack.events") } == nil)
    }

    /// The metrics read an alert's facts from its row's columns: they must say what the body says, through every save.
    @Test func alertFactsFollowEverySaveWithoutReadingBodies() throws {
        let database = try BotDatabase.inMemory()
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
        #expect(facts.map(\.state) == [.resolved, .riskAccepted])
        #expect(facts[1].severity == .critical && facts[1].slaBreachedAt == Sample.at(3 * Sample.hour))
        #expect(facts[0].criteria == control.criteria && !control.criteria.isEmpty)
        // ann ended at 2 h: a period starting after that no longer touches her alert
        #expect(try database.read { try $0.alertFacts(touching: DateInterval(start: Sample.at(2.5 * Sample.hour), end: everything.end)) }.map(\.id) == [bob.id])
    }

    /// A database written before the facts columns existed gets them filled from each alert's body when it opens.
    @Test func aDatabaseFromBeforeTheFactsColumnsIsFilledInOnOpening() throws {
        let queue = try DatabaseQueue()
        try BotDatabase.migrator.migrate(queue, upTo: "v3-alert-timer")
        // A row as the earlier build wrote it: its columns of that time and the body.
        let draft = Sample.draft("ann")
        let alert = Alert(id: AlertID(1), control: control.id, resourceKey: draft.resourceKey, episode: 1, team: control.owner, severity: control.severity,
                          title: draft.title, criteria: control.criteria, expected: draft.expected, observed: draft.observed, remediation: control.remediation,
                          findings: draft.findings, failingSince: draft.failingSince, openedAt: Sample.t0, slaDeadline: Sample.t0.addingTimeInterval(sla))
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO alert (id, control_id, resource_key, episode, team_id, severity, state, version, opened_at, body)
                VALUES (1, ?, ?, 1, ?, ?, 'open', 1, ?, ?)
                """, arguments: [control.id.rawValue, draft.resourceKey, control.owner.rawValue, control.severity.rawValue,
                                 Sample.t0.timeIntervalSinceReferenceDate, try StoreJSON.encode(alert)])
        }

        let reopened = try BotDatabase(writer: queue, path: ":memory:")

        #expect(try reopened.read { try $0.alertFacts() } == [alert.facts])
    }
}

import Core
import Foundation
import GRDB
import Store
import Testing
import TestSupport

/// Alerts in the SQLite store: the one-live-alert rule is SQLite's own unique index, and an older file's rows are
/// filled in by the migrations. What every store does with alerts is in `Conformance/AlertConformanceTests`.
@Suite("Alert store")
struct AlertStoreTests {
    let control = Sample.control()
    let sla = Sample.config().sla(for: Sample.control())

    @Test func secondLiveAlertForTheSameControlAndResourceIsRefused() throws {
        let database = try BotDatabase.inMemory()
        let live = try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.t0, sla: sla) }

        let error = #expect(throws: DatabaseError.self) {
            try database.write { try $0.openAlert(control: control, draft: Sample.draft("ann"), at: Sample.at(Sample.minute), sla: sla) }
        }

        #expect(error?.resultCode == .SQLITE_CONSTRAINT)
        #expect(try database.read { try $0.alerts() } == [live])
    }

    /// A database written before the facts columns existed gets them filled from each alert's body when it opens.
    @Test func aDatabaseFromBeforeTheFactsColumnsIsFilledInOnOpening() throws {
        let queue = try DatabaseQueue()
        try SQLiteBackend.migrator.migrate(queue, upTo: "v3-alert-timer")
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

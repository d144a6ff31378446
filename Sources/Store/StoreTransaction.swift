import Core
import Foundation
import GRDB

/// Typed access to the database inside one transaction (or read snapshot). The engine never sees SQL.
package struct StoreTransaction {
    let db: Database

    /// Runs `body` in a savepoint of this transaction: when it throws, everything it wrote is rolled back and the
    /// error rethrown, and the transaction goes on with what was written before (one control's failed run in a
    /// step's batch loses only itself).
    package func savepoint<T>(_ body: () throws -> T) throws -> T {
        var value: T?
        try db.inSavepoint {
            value = try body()
            return .commit
        }
        guard let value else { throw StoreError.corrupt("a savepoint committed without its value") }
        return value
    }

    // MARK: Alerts

    /// Live (not closed or resolved) alerts of a control, keyed by resource key.
    package func liveAlerts(control: ControlID) throws -> [String: Alert] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, body FROM alert WHERE control_id = ? AND state NOT IN ('closed', 'resolved')"),
                                    arguments: [control.rawValue])
        var result: [String: Alert] = [:]
        for row in rows {
            let alert = try StoredRow(row, table: "alert").json(1, Alert.self)
            result[alert.resourceKey] = alert
        }
        return result
    }

    package func alert(_ id: AlertID) throws -> Alert? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, body FROM alert WHERE id = ?"), arguments: [id.rawValue]) else { return nil }
        return try StoredRow(row, table: "alert").json(1, Alert.self)
    }

    /// The newest episode of `control`'s alert on `resourceKey`, ended or not: one seek along `alert_control`.
    package func latestAlert(control: ControlID, resourceKey: String) throws -> Alert? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, body FROM alert WHERE control_id = ? AND resource_key = ? ORDER BY episode DESC LIMIT 1"),
                                         arguments: [control.rawValue, resourceKey]) else { return nil }
        return try StoredRow(row, table: "alert").json(1, Alert.self)
    }

    /// Alerts in any of `states` (all when empty), oldest first.
    package func alerts(states: [AlertState] = []) throws -> [Alert] {
        let sql: String
        if states.isEmpty {
            sql = "SELECT id, body FROM alert ORDER BY id"
        } else {
            sql = "SELECT id, body FROM alert WHERE state IN (\(states.map { "'\($0.rawValue)'" }.joined(separator: ","))) ORDER BY id"
        }
        return try Row.fetchAll(db, sql: sql).map { try StoredRow($0, table: "alert").json(1, Alert.self) }
    }

    /// Every alert not closed or resolved, oldest first.
    /// The alerts open at some moment of `period`: opened before its end, not ended before its start. Filtered on the
    /// row's columns before any body is decoded, so metrics over a week read that week's alerts, not the history.
    package func alerts(touching period: DateInterval) throws -> [Alert] {
        try Row.fetchAll(db, sql: "SELECT id, body FROM alert WHERE opened_at < ? AND (ended_at IS NULL OR ended_at >= ?) ORDER BY id",
                         arguments: [period.end.timeIntervalSinceReferenceDate, period.start.timeIntervalSinceReferenceDate])
            .map { try StoredRow($0, table: "alert").json(1, Alert.self) }
    }

    /// The alerts open at `moment` (opened by then, not ended by then), as they are stored now: pair with
    /// `Alert.asOf(_:)` to see them as they were.
    package func alerts(openAt moment: Date) throws -> [Alert] {
        try Row.fetchAll(db, sql: "SELECT id, body FROM alert WHERE opened_at <= ? AND (ended_at IS NULL OR ended_at > ?) ORDER BY id",
                         arguments: [moment.timeIntervalSinceReferenceDate, moment.timeIntervalSinceReferenceDate])
            .map { try StoredRow($0, table: "alert").json(1, Alert.self) }
    }

    package func liveAlerts() throws -> [Alert] {
        try alerts(states: AlertState.allCases.filter { !$0.isEnded })
    }

    /// Opens a new alert episode for `control` and `resourceKey`; the store assigns the id and episode number.
    package func openAlert(control: Control, draft: ReconcilePlan.NewAlert, at: Date, sla: TimeInterval) throws -> Alert {
        let lastEpisode = try Int.fetchOne(db.cachedStatement(sql: "SELECT MAX(episode) FROM alert WHERE control_id = ? AND resource_key = ?"),
                                           arguments: [control.id.rawValue, draft.resourceKey]) ?? 0
        try db.cachedStatement(sql: """
            INSERT INTO alert (control_id, resource_key, episode, team_id, severity, state, version, opened_at, body)
            VALUES (?, ?, ?, ?, ?, 'open', 1, ?, x'')
            """).execute(arguments: [control.id.rawValue, draft.resourceKey, lastEpisode + 1, control.owner.rawValue,
                                     control.severity.rawValue, at.timeIntervalSinceReferenceDate])
        var alert = Alert(
            id: AlertID(db.lastInsertedRowID), control: control.id, resourceKey: draft.resourceKey, episode: lastEpisode + 1,
            team: control.owner, severity: control.severity, title: draft.title, criteria: control.criteria,
            expected: draft.expected, observed: draft.observed, remediation: control.remediation, findings: draft.findings,
            failingSince: draft.failingSince, openedAt: at, slaDeadline: draft.policyDeadline ?? at.addingTimeInterval(sla))
        alert.policyDeadline = draft.policyDeadline
        try db.cachedStatement(sql: "UPDATE alert SET \(Self.factColumns), body = ? WHERE id = ?")
            .execute(arguments: StatementArguments(try Self.factArguments(alert.facts)) + [try StoreJSON.encode(alert), alert.id.rawValue])
        return alert
    }

    /// Saves `alert` only if the stored version is still `expectedVersion` (compare-and-set).
    package func saveAlert(_ alert: Alert, expectedVersion: Int) throws {
        try db.cachedStatement(sql: "UPDATE alert SET \(Self.factColumns), version = ?, body = ? WHERE id = ? AND version = ?")
            .execute(arguments: StatementArguments(try Self.factArguments(alert.facts))
                        + [alert.version, try StoreJSON.encode(alert), alert.id.rawValue, expectedVersion])
        if db.changesCount == 0 { throw StoreError.versionConflict(alert.id, expected: expectedVersion) }
    }

    /// The alert row's columns that mirror its `AlertFacts`, in `factArguments` order; `alertFacts(touching:)` reads them back.
    static let factColumns = "title = ?, team_id = ?, severity = ?, state = ?, ended_at = ?, failing_since = ?, sla_deadline = ?, sla_breached_at = ?, criteria = ?, timeline = ?, policy_deadline = ?"

    /// The columns `v4-alert-facts` filled: `factColumns` without the timeline and policy deadline, which came later.
    static let v4FactColumns = "title = ?, team_id = ?, severity = ?, state = ?, ended_at = ?, failing_since = ?, sla_deadline = ?, sla_breached_at = ?, criteria = ?"

    static func factArguments(_ facts: AlertFacts) throws -> [(any DatabaseValueConvertible)?] {
        [facts.title, facts.team.rawValue, facts.severity.rawValue, facts.state.rawValue, facts.endedAt?.timeIntervalSinceReferenceDate,
         facts.failingSince.timeIntervalSinceReferenceDate, facts.slaDeadline.timeIntervalSinceReferenceDate,
         facts.slaBreachedAt?.timeIntervalSinceReferenceDate, facts.criteria.map(\.rawValue).joined(separator: ","),
         facts.timeline.packed, facts.policyDeadline?.timeIntervalSinceReferenceDate]
    }

    /// The facts of the alerts open at some moment of `period`, read from the rows' columns without decoding a body:
    /// what the metrics, digest and dashboard need over weeks of history.
    package func alertFacts(touching period: DateInterval = DateInterval(start: .distantPast, end: .distantFuture)) throws -> [AlertFacts] {
        var criteriaByText: [String: [Criterion]] = [:]   // a handful of distinct lists: parse each once
        var facts: [AlertFacts] = []
        let rows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT id, control_id, title, team_id, severity, criteria, state, failing_since, opened_at, sla_deadline, sla_breached_at, ended_at, timeline, policy_deadline
            FROM alert WHERE opened_at < ? AND (ended_at IS NULL OR ended_at >= ?) ORDER BY id
            """), arguments: [period.end.timeIntervalSinceReferenceDate, period.start.timeIntervalSinceReferenceDate])
        while let cursorRow = try rows.next() {
            let row = StoredRow(cursorRow, table: "alert")
            let id = AlertID(try row(0, Int64.self))
            guard let title = try row(2, String?.self), let severity = Severity(rawValue: try row(4)), let state = AlertState(rawValue: try row(6)),
                  let failingSince = try row.optionalDate(7), let slaDeadline = try row.optionalDate(9) else {
                throw StoreError.corrupt("\(row.location): unreadable title, severity, state or timeline columns")
            }
            let text = try row(5, String?.self) ?? ""
            let criteria = criteriaByText[text] ?? {
                let parsed = text.split(separator: ",").compactMap { Criterion(String($0)) }
                criteriaByText[text] = parsed
                return parsed
            }()
            let timeline = try row(12, Data?.self).map { packed in
                guard let timeline = AlertTimeline(packed: packed) else {
                    throw StoreError.corrupt("\(row.location): column timeline holds \(packed.count) bytes that are not an alert timeline")
                }
                return timeline
            }
            facts.append(AlertFacts(id: id, control: ControlID(try row(1, String.self)), title: title, team: TeamID(try row(3, String.self)), severity: severity,
                                    criteria: criteria, state: state, failingSince: failingSince, openedAt: try row.date(8),
                                    slaDeadline: slaDeadline, slaBreachedAt: try row.optionalDate(10), endedAt: try row.optionalDate(11),
                                    timeline: timeline, policyDeadline: try row.optionalDate(13)))
        }
        return facts
    }

    // MARK: Alert timers

    /// Records when `alert` next needs the escalator (nil: never, e.g. ended).
    package func setTimer(_ alert: AlertID, at: Date?) throws {
        try db.cachedStatement(sql: "UPDATE alert SET timer_at = ? WHERE id = ?")
            .execute(arguments: [at?.timeIntervalSinceReferenceDate, alert.rawValue])
    }

    /// The earliest recorded timer of any alert.
    package func nextTimerAt() throws -> Date? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, MIN(timer_at) AS timer_at FROM alert WHERE timer_at IS NOT NULL")) else { return nil }
        return try StoredRow(row, table: "alert").optionalDate(1)
    }

    /// Alerts whose recorded timer is due by `now`, oldest first.
    package func alertsWithTimers(dueBy now: Date) throws -> [Alert] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT id, body FROM alert WHERE timer_at IS NOT NULL AND timer_at <= ? ORDER BY id"),
                         arguments: [now.timeIntervalSinceReferenceDate]).map { try StoredRow($0, table: "alert").json(1, Alert.self) }
    }

    // MARK: Message references

    package func saveMessageRef(_ ref: MessageRef, alert: AlertID) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO alert_message (alert_id, platform, channel, message_id) VALUES (?, ?, ?, ?)",
                       arguments: [alert.rawValue, ref.platform.rawValue, ref.channel, ref.messageID])
    }

    /// Forgets the alert's messages on `platform` (deleted, or in a channel that is gone): its next edit posts anew.
    package func forgetMessageRefs(alert: AlertID, platform: ChatPlatform) throws {
        try db.execute(sql: "DELETE FROM alert_message WHERE alert_id = ? AND platform = ?", arguments: [alert.rawValue, platform.rawValue])
    }

    package func messageRefs(alert: AlertID) throws -> [MessageRef] {
        try Row.fetchAll(db, sql: "SELECT alert_id, platform, channel, message_id FROM alert_message WHERE alert_id = ? ORDER BY platform, channel",
                         arguments: [alert.rawValue]).compactMap { raw in
            let row = StoredRow(raw, table: "alert_message")
            guard let platform = ChatPlatform(rawValue: try row(1)) else { return nil }
            return MessageRef(platform: platform, channel: try row(2), messageID: try row(3))
        }
    }

    /// The alert whose message on `platform` in `channel` is `messageID` (a Matrix reaction or thread reply names
    /// the alert's event), if any.
    package func alert(messageID: String, platform: ChatPlatform, channel: String) throws -> AlertID? {
        try Int64.fetchOne(db, sql: "SELECT alert_id FROM alert_message WHERE platform = ? AND channel = ? AND message_id = ?",
                           arguments: [platform.rawValue, channel, messageID]).map(AlertID.init)
    }

    // MARK: Resource tracks

    package func tracks(control: ControlID) throws -> [String: ResourceTrack] {
        var result: [String: ResourceTrack] = [:]
        let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT resource_id, body FROM resource_track WHERE control_id = ?"),
                                       arguments: [control.rawValue])
        while let cursorRow = try rows.next() {
            let row = StoredRow(cursorRow, table: "resource_track")
            result[try row(0, String.self)] = try row.json(1, ResourceTrack.self)
        }
        return result
    }

    package func saveTracks(_ tracks: [ResourceTrack], control: ControlID) throws {
        let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO resource_track (control_id, resource_id, body) VALUES (?, ?, ?)")
        for track in tracks {
            try statement.execute(arguments: [control.rawValue, track.resource.id, try StoreJSON.encode(track)])
        }
    }

    package func forgetTracks(_ resourceIDs: [String], control: ControlID) throws {
        let statement = try db.cachedStatement(sql: "DELETE FROM resource_track WHERE control_id = ? AND resource_id = ?")
        for id in resourceIDs { try statement.execute(arguments: [control.rawValue, id]) }
    }

    // MARK: Check runs

    package func recordRun(_ run: CheckRunRecord) throws {
        try db.cachedStatement(sql: "INSERT INTO check_run (control_id, at, passed, failed, errors, digest) VALUES (?, ?, ?, ?, ?, ?)")
            .execute(arguments: [run.control.rawValue, run.at.timeIntervalSinceReferenceDate, run.passed, run.failed, run.errors, run.digest])
    }

    /// The controls that ever ran, found by hopping along the `check_run_control` index (one seek per control) rather
    /// than grouping every run row: the scheduler asks each step, and a year at a 5-minute cadence is millions of rows.
    private static let controlsThatRan = """
        WITH RECURSIVE ran(control_id) AS (
            SELECT MIN(control_id) FROM check_run
            UNION ALL
            SELECT (SELECT MIN(control_id) FROM check_run WHERE control_id > ran.control_id) FROM ran WHERE ran.control_id IS NOT NULL
        )
        """

    /// `lastRuns()`'s query, exposed so a test can check its plan seeks rather than scans.
    package static let lastRunsSQL = controlsThatRan + """
         SELECT r.id, r.control_id, r.at FROM ran
        JOIN check_run r ON r.id = (SELECT id FROM check_run WHERE control_id = ran.control_id ORDER BY at DESC, id DESC LIMIT 1)
        WHERE ran.control_id IS NOT NULL
        """
    /// `latestRuns(atOrBefore:)`'s query, exposed so a test can check its plan seeks rather than scans. A run whose time
    /// is not a plausible number (edited outside soc2bot) sorts first and is picked whatever the moment, so the damage
    /// is reported rather than skipped.
    package static let latestRunsSQL = controlsThatRan + """
         SELECT r.id, r.control_id, r.at, r.passed, r.failed, r.errors, r.digest FROM ran
        JOIN check_run r ON r.id = (SELECT id FROM check_run WHERE control_id = ran.control_id
                                      AND (at <= ?1 OR typeof(at) NOT IN ('real', 'integer') OR abs(at) > 252423993600)
                                    ORDER BY at DESC, id DESC LIMIT 1)
        WHERE ran.control_id IS NOT NULL ORDER BY r.control_id
        """

    /// `controlsRun(in:)`'s query: per control, one index seek for a run in the period.
    package static let controlsRunSQL = controlsThatRan + """
         SELECT control_id FROM ran WHERE control_id IS NOT NULL
            AND EXISTS (SELECT 1 FROM check_run r WHERE r.control_id = ran.control_id AND r.at >= ?1 AND r.at < ?2)
        """

    /// The time of each control's most recent run. Costs one index seek per control, however long the history.
    package func lastRuns() throws -> [ControlID: Date] {
        var result: [ControlID: Date] = [:]
        for raw in try Row.fetchAll(db.cachedStatement(sql: Self.lastRunsSQL)) {
            let row = StoredRow(raw, table: "check_run")
            result[ControlID(try row(1, String.self))] = try row.date(2)
        }
        return result
    }

    /// When the latest ledger entry about `subject` of `kind` was written (nil: none).
    package func lastEvidenceAt(subject: String, kind: String) throws -> Date? {
        try String.fetchOne(db, sql: "SELECT at FROM ledger WHERE subject = ? AND kind = ? ORDER BY seq DESC LIMIT 1", arguments: [subject, kind])
            .flatMap(TimeText.parse)
    }

    /// The controls that recorded a run in `period` (a half-open interval); one index seek per control.
    package func controlsRun(in period: DateInterval) throws -> Set<ControlID> {
        Set(try String.fetchAll(db.cachedStatement(sql: Self.controlsRunSQL),
                                arguments: [period.start.timeIntervalSinceReferenceDate, period.end.timeIntervalSinceReferenceDate]).map(ControlID.init))
    }

    /// When `control` first ran (nil: never) — uses the `check_run_control` index.
    package func firstRun(of control: ControlID) throws -> Date? {
        guard let row = try Row.fetchOne(db, sql: "SELECT id, MIN(at) AS at FROM check_run WHERE control_id = ?", arguments: [control.rawValue]) else { return nil }
        return try StoredRow(row, table: "check_run").optionalDate(1)
    }

    /// The most recent run of every control (one index seek per control, like `lastRuns`); with `moment`, the most
    /// recent at or before it (what a view of that moment shows).
    package func latestRuns(atOrBefore moment: Date = .distantFuture) throws -> [CheckRunRecord] {
        try Row.fetchAll(db.cachedStatement(sql: Self.latestRunsSQL), arguments: [moment.timeIntervalSinceReferenceDate]).map { raw in
            let row = StoredRow(raw, table: "check_run")
            return CheckRunRecord(control: ControlID(try row(1, String.self)), at: try row.date(2),
                                  passed: try row(3), failed: try row(4), errors: try row(5), digest: try row(6))
        }
    }

    /// Rows in one of the bot's tables (`check_run`, `alert`, `outbox`, …): a full count, for benchmarks and
    /// diagnostics, never for a step.
    package func rowCount(table: String) throws -> Int {
        guard !table.isEmpty, table.allSatisfy({ $0.isLetter || $0 == "_" }) else { throw StoreError.corrupt("no table named \(table)") }
        return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0
    }

    /// Ledger entries of `kind`: a full count, for benchmarks and diagnostics, never for a step.
    package func evidenceCount(kind: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger WHERE kind = ?", arguments: [kind]) ?? 0
    }

    // MARK: Outbox

    /// Queues a message; its txnID is fixed now, before any attempt.
    @discardableResult
    package func enqueue(alert: AlertID?, kind: OutboxMessage.Kind, destination: ChatDestination, payload: Data, at: Date) throws -> Int64 {
        try insertOutbox(alert: alert, kind: kind, destination: destination, payload: payload, at: at,
                         txnID: "soc2bot-" + UUID().uuidString.lowercased())
        return db.lastInsertedRowID
    }

    /// Queues a message whose txnID the caller derives from what it answers (a Matrix command's event id), unless a
    /// message with that txnID is already queued or sent: a batch of commands seen again after a crash answers once.
    /// True when queued now.
    @discardableResult
    package func enqueueOnce(txnID: String, alert: AlertID?, kind: OutboxMessage.Kind, destination: ChatDestination, payload: Data,
                             at: Date) throws -> Bool {
        try insertOutbox(alert: alert, kind: kind, destination: destination, payload: payload, at: at, txnID: txnID)
        return db.changesCount > 0
    }

    private func insertOutbox(alert: AlertID?, kind: OutboxMessage.Kind, destination: ChatDestination, payload: Data, at: Date,
                              txnID: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO outbox (alert_id, kind, platform, destination, payload, txn_id, created_at, next_attempt_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (txn_id) DO NOTHING
            """).execute(arguments: [alert?.rawValue, kind.rawValue, destination.platform.rawValue, try StoreJSON.encode(destination),
                                     payload, txnID, at.timeIntervalSinceReferenceDate, at.timeIntervalSinceReferenceDate])
    }

    /// Makes the messages to `destination` that wait for a retry due at `at` (the bot just joined the Matrix room they
    /// wait for). Messages given up on stay given up on.
    package func retryPending(to destination: ChatDestination, at: Date) throws {
        try db.execute(sql: """
            UPDATE outbox SET next_attempt_at = ? WHERE delivered_at IS NULL AND destination = ? AND next_attempt_at > ? AND next_attempt_at < ?
            """, arguments: [at.timeIntervalSinceReferenceDate, try StoreJSON.encode(destination), at.timeIntervalSinceReferenceDate, Self.undeliverable])
    }

    /// Messages on `platforms` still to deliver, oldest first: undelivered and not given up on (`markUndeliverable`),
    /// so messages that failed for good never crowd the newer ones out of the `limit`.
    package func pendingOutbox(platforms: Set<ChatPlatform>, limit: Int = 500) throws -> [OutboxMessage] {
        guard !platforms.isEmpty else { return [] }
        let list = platforms.map { "'\($0.rawValue)'" }.joined(separator: ",")
        return try Row.fetchAll(db.cachedStatement(sql: Self.pendingOutboxSQL.replacingOccurrences(of: "$platforms", with: list)), arguments: [limit])
            .map(Self.outboxMessage)
    }

    /// `pendingOutbox`'s query (`$platforms` stands for the quoted platform list), exposed so a test can check that it
    /// reads the `outbox_due` index: the literal bound is the partial index's, so the messages given up on are never walked.
    package static let pendingOutboxSQL = """
        SELECT id, alert_id, kind, destination, payload, txn_id, created_at, attempts, next_attempt_at, delivered_at, last_error
        FROM outbox INDEXED BY outbox_due WHERE delivered_at IS NULL AND next_attempt_at < 63113904000 AND platform IN ($platforms) ORDER BY id LIMIT ?
        """

    /// `next_attempt_at` of a message given up on: kept, with its error, and never attempted again. The `outbox_due`
    /// index and `pendingOutboxSQL` write it as the literal 63113904000.
    private static let undeliverable = Date.distantFuture.timeIntervalSinceReferenceDate

    /// Number of undelivered messages (all platforms).
    package func outboxDepth() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL") ?? 0
    }

    /// Undelivered messages whose last attempt failed (waiting for a retry).
    package func outboxFailing() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND last_error IS NOT NULL") ?? 0
    }

    package func allOutbox() throws -> [OutboxMessage] {
        try Row.fetchAll(db, sql: """
            SELECT id, alert_id, kind, destination, payload, txn_id, created_at, attempts, next_attempt_at, delivered_at, last_error
            FROM outbox ORDER BY id
            """).map(Self.outboxMessage)
    }

    package func markDelivered(_ id: Int64, at: Date) throws {
        try db.execute(sql: "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
                       arguments: [at.timeIntervalSinceReferenceDate, id])
    }

    package func markFailed(_ id: Int64, error: String, retryAt: Date) throws {
        try db.execute(sql: "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
                       arguments: [String(error.prefix(500)), retryAt.timeIntervalSinceReferenceDate, id])
    }

    /// Gives up on a message that retrying cannot deliver (channel gone, person unknown): it stays in the outbox with
    /// the reason, counted as a delivery failure, and is no longer pending.
    package func markUndeliverable(_ id: Int64, error: String) throws {
        try markFailed(id, error: error, retryAt: .distantFuture)
    }

    /// Messages given up on (`markUndeliverable`) whose alert has not reached that destination since: no later
    /// message of the same alert to the same destination was delivered (the alert's next edit posts it anew).
    /// Messages of no alert (replies, reminders, notices) are listed until a later message to the same destination is
    /// delivered. Oldest first; `status`, the dashboard and `/metrics` name them.
    package func undeliverableOutbox(limit: Int = 200) throws -> [OutboxMessage] {
        try Row.fetchAll(db, sql: """
            SELECT id, alert_id, kind, destination, payload, txn_id, created_at, attempts, next_attempt_at, delivered_at, last_error
            FROM outbox o WHERE delivered_at IS NULL AND next_attempt_at >= ?
            AND NOT EXISTS (SELECT 1 FROM outbox later WHERE later.alert_id IS o.alert_id AND later.destination = o.destination
                            AND later.id > o.id AND later.delivered_at IS NOT NULL)
            ORDER BY id LIMIT ?
            """, arguments: [Self.undeliverable, limit]).map(Self.outboxMessage)
    }

    /// Holds every undelivered message to `destination` until at least `until` (a platform's Retry-After).
    package func deferPending(to destination: ChatDestination, until: Date) throws {
        try db.execute(sql: "UPDATE outbox SET next_attempt_at = MAX(next_attempt_at, ?) WHERE delivered_at IS NULL AND destination = ?",
                       arguments: [until.timeIntervalSinceReferenceDate, try StoreJSON.encode(destination)])
    }

    private static func outboxMessage(_ raw: Row) throws -> OutboxMessage {
        let row = StoredRow(raw, table: "outbox")
        return OutboxMessage(
            id: try row(0), alert: try row(1, Int64?.self).map(AlertID.init), kind: OutboxMessage.Kind(rawValue: try row(2)) ?? .reply,
            destination: try row.json(3, ChatDestination.self), payload: try row(4), txnID: try row(5),
            createdAt: try row.date(6), attempts: try row(7),
            nextAttemptAt: try row.date(8),
            deliveredAt: try row.optionalDate(9), lastError: try row(10, String?.self))
    }

    // MARK: Cursors

    package func cursor(_ name: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM cursor WHERE name = ?", arguments: [name])
    }

    package func setCursor(_ name: String, _ value: String) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO cursor (name, value) VALUES (?, ?)", arguments: [name, value])
    }

    // MARK: Requested runs

    /// Asks for `controls` to run at once, outside their cadence, in the caller's transaction: a chat command that
    /// records what they read (a renewal, an attestation, evidence) asks together with what it records, so a crash
    /// before the run cannot leave them waiting a whole cadence. Kept as `run-request:<control>` cursors.
    package func requestRuns(_ controls: [ControlID], at: Date) throws {
        for control in controls { try setCursor(Self.runRequest + control.rawValue, TimeText.iso(at)) }
    }

    /// Controls asked to run and not run since, by id.
    package func requestedRuns() throws -> [ControlID] {
        try String.fetchAll(db.cachedStatement(sql: "SELECT name FROM cursor WHERE name >= ? AND name < ? ORDER BY name"),
                            arguments: [Self.runRequest, Self.runRequest + "\u{10FFFF}"])
            .map { ControlID(String($0.dropFirst(Self.runRequest.count))) }
    }

    /// Marks `control`'s request done: in the transaction of a run of it that started at `ranAt`. A request made
    /// after that (while the run was reading its facts) stays: the run did not see what it asked about.
    package func clearRunRequest(_ control: ControlID, ranAt: Date = .distantFuture) throws {
        try db.cachedStatement(sql: "DELETE FROM cursor WHERE name = ? AND value <= ?")
            .execute(arguments: [Self.runRequest + control.rawValue, TimeText.iso(ranAt)])
    }

    private static let runRequest = "run-request:"

    // MARK: Evidence

    @discardableResult
    package func appendEvidence<P: Encodable>(kind: String, subject: String?, at: Date, data: P) throws -> LedgerHead {
        try EvidenceLedger.append(db, kind: kind, subject: subject, at: at, data: data)
    }

    package func verifyLedger() throws -> LedgerVerdict { try EvidenceLedger.verify(db) }
    package func ledgerHead() throws -> LedgerHead? { try EvidenceLedger.head(db) }
    /// The head entry's time (nil: empty ledger); no entry appended later is dated before it.
    package func ledgerHeadTime() throws -> Date? { try EvidenceLedger.headTime(db) }

    /// Ledger entries about `subject` (e.g. `A-3`), oldest first, as their canonical JSON.
    /// The ledger entries of `kind` recorded in `period` (half-open), in order. Reads the period's rows only by their
    /// `at` text (ISO 8601 sorts as time); for reports, not for a step.
    package func evidence(kind: String, in period: DateInterval) throws -> [Data] {
        try Row.fetchAll(db, sql: "SELECT seq, entry FROM ledger WHERE kind = ? AND at >= ? AND at < ? ORDER BY seq",
                         arguments: [kind, TimeText.iso(period.start), TimeText.iso(period.end)])
            .map { try StoredRow($0, table: "ledger")(1, Data.self) }
    }

    package func evidence(subject: String) throws -> [Data] {
        try Data.fetchAll(db, sql: "SELECT entry FROM ledger WHERE subject = ? ORDER BY seq", arguments: [subject])
    }

    /// Entries whose subject starts with `prefix` (`review:` → every access review), in chain order.
    package func evidence(subjectPrefix prefix: String) throws -> [Data] {
        try Data.fetchAll(db, sql: "SELECT entry FROM ledger WHERE subject >= ? AND subject < ? ORDER BY seq",
                          arguments: [prefix, prefix + "\u{10FFFF}"])
    }

    /// Ledger rows of the period [from, to), in chain order, for export: every entry from the first with `at ≥ from`
    /// to the last with `at < to`. A slice by seq, not by `at`, so it stays one unbroken chain even when two writers
    /// stamped entries a few milliseconds out of order at the period's edge.
    package func ledgerRows(from: Date? = nil, to: Date? = nil, _ body: (LedgerRow) throws -> Void) throws {
        var sql = "SELECT seq, at, kind, subject, entry, prev_hash, hash FROM ledger"
        var args: [any DatabaseValueConvertible] = []
        var conditions: [String] = []
        if let from { conditions.append("seq >= (SELECT MIN(seq) FROM ledger WHERE at >= ?)"); args.append(TimeText.iso(from)) }
        if let to { conditions.append("seq <= (SELECT MAX(seq) FROM ledger WHERE at < ?)"); args.append(TimeText.iso(to)) }
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY seq"
        let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(args))
        while let row = try rows.next() { try body(try LedgerRow(StoredRow(row, table: "ledger"))) }
    }

    /// Ledger rows from sequence number `seq` on, in order (the dashboard's latest entries).
    package func ledgerRows(fromSeq seq: Int64, _ body: (LedgerRow) throws -> Void) throws {
        let rows = try Row.fetchCursor(db, sql: "SELECT seq, at, kind, subject, entry, prev_hash, hash FROM ledger WHERE seq >= ? ORDER BY seq", arguments: [seq])
        while let row = try rows.next() { try body(try LedgerRow(StoredRow(row, table: "ledger"))) }
    }

    /// The hash of entry `seq`, used to anchor an exported slice that does not start at the genesis.
    package func ledgerHash(seq: Int64) throws -> Data? {
        try Data.fetchOne(db, sql: "SELECT hash FROM ledger WHERE seq = ?", arguments: [seq])
    }
}

/// A raw ledger row, for export and offline verification.
package struct LedgerRow: Sendable {
    package var seq: Int64
    package var at: String
    package var kind: String
    package var subject: String?
    package var entry: Data
    package var prevHash: Data
    package var hash: Data

    package init(seq: Int64, at: String, kind: String, subject: String?, entry: Data, prevHash: Data, hash: Data) {
        (self.seq, self.at, self.kind, self.subject, self.entry, self.prevHash, self.hash) = (seq, at, kind, subject, entry, prevHash, hash)
    }
}

extension LedgerRow {
    /// Reads `seq, at, kind, subject, entry, prev_hash, hash`, in that order.
    init(_ row: StoredRow) throws {
        self.init(seq: try row(0), at: try row(1), kind: try row(2), subject: try row(3), entry: try row(4), prevHash: try row(5), hash: try row(6))
    }
}

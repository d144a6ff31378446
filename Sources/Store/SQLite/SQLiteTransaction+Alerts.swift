import Core
import Foundation
import GRDB

extension SQLiteTransaction: AlertRepository {
    // MARK: Alerts

    /// Live (not closed or resolved) alerts of a control, keyed by resource key.
    package func liveAlerts(control: ControlID) throws -> [String: Alert] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, body FROM alert WHERE control_id = ? AND state NOT IN ('closed', 'resolved')"),
                                    arguments: [control.rawValue])
        var result: [String: Alert] = [:]
        for row in rows {
            let alert = try alertBody(StoredRow(row, table: "alert"))
            result[alert.resourceKey] = alert
        }
        return result
    }

    /// One statement for all of `controls` (along the `alert_live` partial index).
    package func liveAlerts(controls: [ControlID]) throws -> [ControlID: [String: Alert]] {
        try byControl(controls, table: "alert",
                      sql: { "SELECT id, body, control_id FROM alert WHERE control_id IN (\($0)) AND state NOT IN ('closed', 'resolved')" }) { _, row in
            let alert = try alertBody(row)
            return (alert.resourceKey, alert)
        }
    }

    package func alert(_ id: AlertID) throws -> Alert? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, body FROM alert WHERE id = ?"), arguments: [id.rawValue]) else { return nil }
        return try alertBody(StoredRow(row, table: "alert"))
    }

    /// The alert in `row`'s body (column 1; column 0 its id), decoded once for the same bytes (`DecodedRows`).
    private func alertBody(_ row: StoredRow) throws -> Alert {
        try memoised(row, key: "alert:\(try row(0, Int64.self))", Alert.self)
    }

    /// The newest episode of `control`'s alert on `resourceKey`, ended or not: one seek along `alert_control`.
    package func latestAlert(control: ControlID, resourceKey: String) throws -> Alert? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, body FROM alert WHERE control_id = ? AND resource_key = ? ORDER BY episode DESC LIMIT 1"),
                                         arguments: [control.rawValue, resourceKey]) else { return nil }
        return try StoredRow(row, table: "alert").json(1, Alert.self)
    }

    /// Alerts in any of `states` (all when empty), oldest first.
    package func alerts(states: [AlertState]) throws -> [Alert] {
        let sql: String
        if states.isEmpty {
            sql = "SELECT id, body FROM alert ORDER BY id"
        } else {
            sql = "SELECT id, body FROM alert WHERE state IN (\(states.map { "'\($0.rawValue)'" }.joined(separator: ","))) ORDER BY id"
        }
        return try Row.fetchAll(db, sql: sql).map { try StoredRow($0, table: "alert").json(1, Alert.self) }
    }

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
            .execute(arguments: StatementArguments(try Self.factArguments(alert.facts)) + [try encodedKeeping(alert, key: "alert:\(alert.id.rawValue)"), alert.id.rawValue])
        return alert
    }

    /// Saves `alert` only if the stored version is still `expectedVersion` (compare-and-set).
    package func saveAlert(_ alert: Alert, expectedVersion: Int) throws {
        try db.cachedStatement(sql: "UPDATE alert SET \(Self.factColumns), version = ?, body = ? WHERE id = ? AND version = ?")
            .execute(arguments: StatementArguments(try Self.factArguments(alert.facts))
                        + [alert.version, try encodedKeeping(alert, key: "alert:\(alert.id.rawValue)"), alert.id.rawValue, expectedVersion])
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
    package func alertFacts(touching period: DateInterval) throws -> [AlertFacts] {
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
            let platform = ChatPlatform(rawValue: try row(1))
            return MessageRef(platform: platform, channel: try row(2), messageID: try row(3))
        }
    }

    /// The alert whose message on `platform` in `channel` is `messageID` (a Matrix reaction or thread reply names
    /// the alert's event), if any.
    package func alert(messageID: String, platform: ChatPlatform, channel: String) throws -> AlertID? {
        try Int64.fetchOne(db, sql: "SELECT alert_id FROM alert_message WHERE platform = ? AND channel = ? AND message_id = ?",
                           arguments: [platform.rawValue, channel, messageID]).map(AlertID.init)
    }

    package func alertCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM alert") ?? 0
    }
}

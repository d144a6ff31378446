import Core
import Foundation
import Postgres
import Store

/// Alerts, their facts, timers and message references on PostgreSQL: `SQLiteTransaction+Alerts`, statement for
/// statement.
extension PostgresTransaction: AlertRepository {
    // MARK: Alerts

    package func liveAlerts(control: ControlID) throws -> [String: Alert] {
        var result: [String: Alert] = [:]
        for alert in try alertBodies("SELECT id, body FROM alert WHERE control_id = $1 AND state NOT IN ('closed', 'resolved')",
                                     [.text(control.rawValue)], memoised: true) {
            result[alert.resourceKey] = alert
        }
        return result
    }

    package func alert(_ id: AlertID) throws -> Alert? {
        try alertBodies("SELECT id, body FROM alert WHERE id = $1", [.int(id.rawValue)], memoised: true).first
    }

    package func latestAlert(control: ControlID, resourceKey: String) throws -> Alert? {
        try alertBodies("SELECT id, body FROM alert WHERE control_id = $1 AND resource_key = $2 ORDER BY episode DESC LIMIT 1",
                        [.text(control.rawValue), .text(resourceKey)]).first
    }

    package func alerts(states: [AlertState]) throws -> [Alert] {
        if states.isEmpty { return try alertBodies("SELECT id, body FROM alert ORDER BY id") }
        return try alertBodies("SELECT id, body FROM alert WHERE state IN (\(states.map { "'\($0.rawValue)'" }.joined(separator: ","))) ORDER BY id")
    }

    package func alerts(touching period: DateInterval) throws -> [Alert] {
        try alertBodies("SELECT id, body FROM alert WHERE opened_at < $1 AND (ended_at IS NULL OR ended_at >= $2) ORDER BY id",
                        [.double(period.end.timeIntervalSinceReferenceDate), .double(period.start.timeIntervalSinceReferenceDate)])
    }

    package func alerts(openAt moment: Date) throws -> [Alert] {
        try alertBodies("SELECT id, body FROM alert WHERE opened_at <= $1 AND (ended_at IS NULL OR ended_at > $1) ORDER BY id",
                        [.double(moment.timeIntervalSinceReferenceDate)])
    }

    /// The alerts of a query whose columns are `id, body`; with `memoised`, each body is decoded once for the same
    /// bytes (`DecodedRows`), as SQLite does for the reads every step makes.
    private func alertBodies(_ sql: String, _ parameters: [PostgresValue] = [], memoised: Bool = false) throws -> [Alert] {
        try connection.query(sql, parameters).stored("alert").map { row in
            memoised ? try self.memoised(row, key: "alert:\(try row(0, Int64.self))", Alert.self) : try row.json(1, Alert.self)
        }
    }

    /// Opens a new alert episode: the id comes from the table's identity (a rolled-back open leaves a gap in the ids,
    /// where SQLite reuses the number; ids only grow on both).
    package func openAlert(control: Control, draft: ReconcilePlan.NewAlert, at: Date, sla: TimeInterval) throws -> Alert {
        let lastEpisode = try connection.query("SELECT MAX(episode) FROM alert WHERE control_id = $1 AND resource_key = $2",
                                               [.text(control.id.rawValue), .text(draft.resourceKey)]).single(Int64.self, table: "alert") ?? 0
        let inserted = try connection.query("""
            INSERT INTO alert (control_id, resource_key, episode, team_id, severity, state, version, opened_at, body)
            VALUES ($1, $2, $3, $4, $5, 'open', 1, $6, $7) RETURNING id
            """, [.text(control.id.rawValue), .text(draft.resourceKey), .int(lastEpisode + 1), .text(control.owner.rawValue),
                  .text(control.severity.rawValue), .double(at.timeIntervalSinceReferenceDate), .bytes(Data())])
        guard let id = try inserted.single(Int64.self, table: "alert") else { throw StoreError.corrupt("table alert: an insert returned no id") }
        var alert = Alert(
            id: AlertID(id), control: control.id, resourceKey: draft.resourceKey, episode: Int(lastEpisode + 1),
            team: control.owner, severity: control.severity, title: draft.title, criteria: control.criteria,
            expected: draft.expected, observed: draft.observed, remediation: control.remediation, findings: draft.findings,
            failingSince: draft.failingSince, openedAt: at, slaDeadline: draft.policyDeadline ?? at.addingTimeInterval(sla))
        alert.policyDeadline = draft.policyDeadline
        try connection.query("UPDATE alert SET \(Self.factColumns), body = $12 WHERE id = $13",
                             Self.factValues(alert.facts) + [.bytes(try encodedKeeping(alert, key: "alert:\(id)")), .int(id)])
        return alert
    }

    package func saveAlert(_ alert: Alert, expectedVersion: Int) throws {
        let updated = try connection.query("UPDATE alert SET \(Self.factColumns), version = $12, body = $13 WHERE id = $14 AND version = $15",
                                           Self.factValues(alert.facts) + [.int(Int64(alert.version)), .bytes(try encodedKeeping(alert, key: "alert:\(alert.id.rawValue)")),
                                                                           .int(alert.id.rawValue), .int(Int64(expectedVersion))])
        if updated.affectedRows == 0 { throw StoreError.versionConflict(alert.id, expected: expectedVersion) }
    }

    /// The alert row's columns that mirror its `AlertFacts` ($1 … $11), in `factValues` order.
    static let factColumns = "title = $1, team_id = $2, severity = $3, state = $4, ended_at = $5, failing_since = $6, sla_deadline = $7, "
        + "sla_breached_at = $8, criteria = $9, timeline = $10, policy_deadline = $11"

    static func factValues(_ facts: AlertFacts) -> [PostgresValue] {
        func time(_ date: Date?) -> PostgresValue { date.map { .double($0.timeIntervalSinceReferenceDate) } ?? .null }
        return [.text(facts.title), .text(facts.team.rawValue), .text(facts.severity.rawValue), .text(facts.state.rawValue), time(facts.endedAt),
                time(facts.failingSince), time(facts.slaDeadline), time(facts.slaBreachedAt), .text(facts.criteria.map(\.rawValue).joined(separator: ",")),
                .bytes(facts.timeline.packed), time(facts.policyDeadline)]
    }

    package func alertFacts(touching period: DateInterval) throws -> [AlertFacts] {
        var criteriaByText: [String: [Criterion]] = [:]   // a handful of distinct lists: parse each once
        return try connection.query("""
            SELECT id, control_id, title, team_id, severity, criteria, state, failing_since, opened_at, sla_deadline, sla_breached_at, ended_at, timeline, policy_deadline
            FROM alert WHERE opened_at < $1 AND (ended_at IS NULL OR ended_at >= $2) ORDER BY id
            """, [.double(period.end.timeIntervalSinceReferenceDate), .double(period.start.timeIntervalSinceReferenceDate)]).stored("alert").map { row in
            guard let title = try row(2, String?.self), let severity = Severity(rawValue: try row(4, String.self)),
                  let state = AlertState(rawValue: try row(6, String.self)),
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
            return AlertFacts(id: AlertID(try row(0, Int64.self)), control: ControlID(try row(1, String.self)), title: title,
                              team: TeamID(try row(3, String.self)), severity: severity, criteria: criteria, state: state,
                              failingSince: failingSince, openedAt: try row.date(8), slaDeadline: slaDeadline,
                              slaBreachedAt: try row.optionalDate(10), endedAt: try row.optionalDate(11), timeline: timeline,
                              policyDeadline: try row.optionalDate(13))
        }
    }

    package func alertCount() throws -> Int {
        Int(try connection.query("SELECT COUNT(*) FROM alert").single(Int64.self, table: "alert") ?? 0)
    }

    // MARK: Alert timers

    package func setTimer(_ alert: AlertID, at: Date?) throws {
        try connection.query("UPDATE alert SET timer_at = $1 WHERE id = $2",
                             [at.map { .double($0.timeIntervalSinceReferenceDate) } ?? .null, .int(alert.rawValue)])
    }

    package func nextTimerAt() throws -> Date? {
        try connection.query("SELECT 'timer', MIN(timer_at) FROM alert WHERE timer_at IS NOT NULL").stored("alert").first?.optionalDate(1)
    }

    package func alertsWithTimers(dueBy now: Date) throws -> [Alert] {
        try alertBodies("SELECT id, body FROM alert WHERE timer_at IS NOT NULL AND timer_at <= $1 ORDER BY id", [.double(now.timeIntervalSinceReferenceDate)])
    }

    // MARK: Message references

    package func saveMessageRef(_ ref: MessageRef, alert: AlertID) throws {
        try connection.query("""
            INSERT INTO alert_message (alert_id, platform, channel, message_id) VALUES ($1, $2, $3, $4)
            ON CONFLICT (alert_id, platform, channel) DO UPDATE SET message_id = excluded.message_id
            """, [.int(alert.rawValue), .text(ref.platform.rawValue), .text(ref.channel), .text(ref.messageID)])
    }

    package func forgetMessageRefs(alert: AlertID, platform: ChatPlatform) throws {
        try connection.query("DELETE FROM alert_message WHERE alert_id = $1 AND platform = $2", [.int(alert.rawValue), .text(platform.rawValue)])
    }

    package func messageRefs(alert: AlertID) throws -> [MessageRef] {
        try connection.query("SELECT alert_id, platform, channel, message_id FROM alert_message WHERE alert_id = $1 ORDER BY platform, channel",
                             [.int(alert.rawValue)]).stored("alert_message").compactMap { row in
            let platform = ChatPlatform(rawValue: try row(1, String.self))
            return MessageRef(platform: platform, channel: try row(2), messageID: try row(3))
        }
    }

    package func alert(messageID: String, platform: ChatPlatform, channel: String) throws -> AlertID? {
        try connection.query("SELECT alert_id FROM alert_message WHERE platform = $1 AND channel = $2 AND message_id = $3",
                             [.text(platform.rawValue), .text(channel), .text(messageID)]).single(Int64.self, table: "alert_message").map(AlertID.init)
    }
}

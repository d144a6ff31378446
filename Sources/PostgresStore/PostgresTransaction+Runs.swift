import Core
import Foundation
import Postgres
import Store

/// Resource tracks, check runs and requested runs on PostgreSQL: `SQLiteTransaction+Runs`, statement for statement.
extension PostgresTransaction: RunRepository {
    // MARK: Resource tracks

    package func tracks(control: ControlID) throws -> [String: ResourceTrack] {
        var result: [String: ResourceTrack] = [:]
        for row in try connection.query("SELECT resource_id, body FROM resource_track WHERE control_id = $1",
                                        [.text(control.rawValue)]).stored("resource_track") {
            let resource = try row(0, String.self)
            result[resource] = try memoised(row, key: Self.trackKey(control, resource), ResourceTrack.self)
        }
        return result
    }

    package func saveTracks(_ tracks: [ResourceTrack], control: ControlID) throws {
        for track in tracks {
            try connection.query("""
                INSERT INTO resource_track (control_id, resource_id, body) VALUES ($1, $2, $3)
                ON CONFLICT (control_id, resource_id) DO UPDATE SET body = excluded.body
                """, [.text(control.rawValue), .text(track.resource.id), .bytes(try encodedKeeping(track, key: Self.trackKey(control, track.resource.id)))])
        }
    }

    /// The same key as SQLite's, in a `DecodedRows` of this database's own.
    private static func trackKey(_ control: ControlID, _ resource: String) -> String { "track:\(control.rawValue)\u{0}\(resource)" }

    package func forgetTracks(_ resourceIDs: [String], control: ControlID) throws {
        for id in resourceIDs {
            try connection.query("DELETE FROM resource_track WHERE control_id = $1 AND resource_id = $2", [.text(control.rawValue), .text(id)])
        }
    }

    // MARK: Check runs

    package func recordRun(_ run: CheckRunRecord) throws {
        try connection.query("INSERT INTO check_run (control_id, at, passed, failed, errors, digest) VALUES ($1, $2, $3, $4, $5, $6)",
                             [.text(run.control.rawValue), .double(run.at.timeIntervalSinceReferenceDate), .int(Int64(run.passed)),
                              .int(Int64(run.failed)), .int(Int64(run.errors)), .text(run.digest)])
    }

    /// The controls that ever ran, found by hopping along the `check_run_control` index (one seek per control: a
    /// loose index scan) rather than grouping every run row, as on SQLite.
    private static let controlsThatRan = """
        WITH RECURSIVE ran(control_id) AS (
            SELECT MIN(control_id) FROM check_run
            UNION ALL
            SELECT (SELECT MIN(control_id) FROM check_run WHERE control_id > ran.control_id) FROM ran WHERE ran.control_id IS NOT NULL
        )
        """

    package func lastRuns() throws -> [ControlID: Date] {
        var result: [ControlID: Date] = [:]
        for row in try connection.query(Self.controlsThatRan + """
             SELECT r.id, r.control_id, r.at FROM ran
            JOIN check_run r ON r.id = (SELECT id FROM check_run WHERE control_id = ran.control_id ORDER BY at DESC, id DESC LIMIT 1)
            WHERE ran.control_id IS NOT NULL
            """).stored("check_run") {
            result[ControlID(try row(1, String.self))] = try row.date(2)
        }
        return result
    }

    package func lastRuns(of controls: [ControlID]) throws -> [ControlID: Date] {
        guard !controls.isEmpty else { return [:] }
        let values = (1...controls.count).map { "($\($0))" }.joined(separator: ", ")
        var result: [ControlID: Date] = [:]
        for row in try connection.query("""
            SELECT r.id, r.control_id, r.at FROM (VALUES \(values)) AS c(control_id)
            JOIN check_run r ON r.id = (SELECT id FROM check_run WHERE control_id = c.control_id ORDER BY at DESC, id DESC LIMIT 1)
            """, controls.map { .text($0.rawValue) }).stored("check_run") {
            result[ControlID(try row(1, String.self))] = try row.date(2)
        }
        return result
    }

    package func newestRunID() throws -> Int64? {
        try connection.query("SELECT MAX(id) FROM check_run").single(Int64.self, table: "check_run")
    }

    package func runsRecorded(after id: Int64?) throws -> Int {
        Int(try connection.query("SELECT COUNT(*) FROM check_run WHERE id > $1", [.int(id ?? 0)]).single(Int64.self, table: "check_run") ?? 0)
    }

    package func controlsRun(in period: DateInterval) throws -> Set<ControlID> {
        Set(try connection.query(Self.controlsThatRan + """
             SELECT control_id FROM ran WHERE control_id IS NOT NULL
                AND EXISTS (SELECT 1 FROM check_run r WHERE r.control_id = ran.control_id AND r.at >= $1 AND r.at < $2)
            """, [.double(period.start.timeIntervalSinceReferenceDate), .double(period.end.timeIntervalSinceReferenceDate)])
            .stored("check_run").map { ControlID(try $0(0, String.self)) })
    }

    package func firstRun(of control: ControlID) throws -> Date? {
        try connection.query("SELECT $1::text, MIN(at) FROM check_run WHERE control_id = $1", [.text(control.rawValue)])
            .stored("check_run").first?.optionalDate(1)
    }

    /// A run whose time is not plausible (NaN, infinite or beyond year 9999: edited outside soc2bot) is picked
    /// whatever the moment, so the damage is reported rather than skipped.
    package func latestRuns(atOrBefore moment: Date) throws -> [CheckRunRecord] {
        try connection.query(Self.controlsThatRan + """
             SELECT r.id, r.control_id, r.at, r.passed, r.failed, r.errors, r.digest FROM ran
            JOIN check_run r ON r.id = (SELECT id FROM check_run WHERE control_id = ran.control_id
                                          AND (at <= $1 OR abs(at) > 252423993600)
                                        ORDER BY at DESC, id DESC LIMIT 1)
            WHERE ran.control_id IS NOT NULL ORDER BY r.control_id
            """, [.double(moment.timeIntervalSinceReferenceDate)]).stored("check_run").map { row in
            CheckRunRecord(control: ControlID(try row(1, String.self)), at: try row.date(2), passed: try row(3, Int.self),
                           failed: try row(4, Int.self), errors: try row(5, Int.self), digest: try row(6, String.self))
        }
    }

    package func checkRunCount() throws -> Int {
        Int(try connection.query("SELECT COUNT(*) FROM check_run").single(Int64.self, table: "check_run") ?? 0)
    }

    // MARK: Requested runs

    /// Kept as `run-request:<control>` cursors, as on SQLite.
    package func requestRuns(_ controls: [ControlID], at: Date) throws {
        for control in controls { try setCursor(Self.runRequest + control.rawValue, TimeText.iso(at)) }
    }

    package func requestedRuns() throws -> [ControlID] {
        try connection.query("SELECT name FROM cursor WHERE name >= $1 AND name < $2 ORDER BY name",
                             [.text(Self.runRequest), .text(Self.runRequest + "\u{10FFFF}")]).stored("cursor")
            .map { ControlID(String(try $0(0, String.self).dropFirst(Self.runRequest.count))) }
    }

    package func clearRunRequest(_ control: ControlID, ranAt: Date) throws {
        try connection.query("DELETE FROM cursor WHERE name = $1 AND value <= $2", [.text(Self.runRequest + control.rawValue), .text(TimeText.iso(ranAt))])
    }

    private static let runRequest = "run-request:"
}

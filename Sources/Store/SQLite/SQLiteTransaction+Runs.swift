import Core
import Foundation
import GRDB

extension SQLiteTransaction: RunRepository {
    // MARK: Resource tracks

    package func tracks(control: ControlID) throws -> [String: ResourceTrack] {
        var result: [String: ResourceTrack] = [:]
        let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT resource_id, body FROM resource_track WHERE control_id = ?"),
                                       arguments: [control.rawValue])
        while let cursorRow = try rows.next() {
            let row = StoredRow(cursorRow, table: "resource_track")
            let resource = try row(0, String.self)
            result[resource] = try memoised(row, key: Self.trackKey(control, resource), ResourceTrack.self)
        }
        return result
    }

    /// One statement for all of `controls` (along the table's key, control first).
    package func tracks(controls: [ControlID]) throws -> [ControlID: [String: ResourceTrack]] {
        try byControl(controls, table: "resource_track",
                      sql: { "SELECT resource_id, body, control_id FROM resource_track WHERE control_id IN (\($0))" }) { control, row in
            let resource = try row(0, String.self)
            return (resource, try memoised(row, key: Self.trackKey(control, resource), ResourceTrack.self))
        }
    }

    /// Rows of several controls read with one statement, `sql` given the `IN` list's parameters, column 2 the row's
    /// control; each control asked for a key (with nothing when it has no row), each row kept by `keyed`'s key.
    func byControl<Value>(_ controls: [ControlID], table: String, sql: (String) -> String,
                          keyed: (ControlID, StoredRow) throws -> (String, Value)) throws -> [ControlID: [String: Value]] {
        var result = Dictionary(controls.map { ($0, [String: Value]()) }, uniquingKeysWith: { first, _ in first })
        guard !controls.isEmpty else { return result }
        let placeholders = Array(repeating: "?", count: controls.count).joined(separator: ", ")
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql(placeholders)), arguments: StatementArguments(controls.map(\.rawValue)))
        while let cursorRow = try rows.next() {
            let row = StoredRow(cursorRow, table: table)
            let control = ControlID(try row(2, String.self))
            let (key, value) = try keyed(control, row)
            result[control, default: [:]][key] = value
        }
        return result
    }

    package func saveTracks(_ tracks: [ResourceTrack], control: ControlID) throws {
        let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO resource_track (control_id, resource_id, body) VALUES (?, ?, ?)")
        for track in tracks {
            try statement.execute(arguments: [control.rawValue, track.resource.id, try encodedKeeping(track, key: Self.trackKey(control, track.resource.id))])
        }
    }

    private static func trackKey(_ control: ControlID, _ resource: String) -> String { "track:\(control.rawValue)\u{0}\(resource)" }

    package func forgetTracks(_ resourceIDs: [String], control: ControlID) throws {
        let statement = try db.cachedStatement(sql: "DELETE FROM resource_track WHERE control_id = ? AND resource_id = ?")
        for id in resourceIDs { try statement.execute(arguments: [control.rawValue, id]) }
    }

    // MARK: Check runs

    package func recordRun(_ run: CheckRunRecord) throws {
        let insert = try BoundStatement(db, sql: "INSERT INTO check_run (control_id, at, passed, failed, errors, digest) VALUES (?, ?, ?, ?, ?, ?)")
        insert.bind(1, run.control.rawValue); insert.bind(2, run.at.timeIntervalSinceReferenceDate)
        insert.bind(3, run.passed); insert.bind(4, run.failed); insert.bind(5, run.errors); insert.bind(6, run.digest)
        try insert.run()
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


    /// The controls that recorded a run in `period` (a half-open interval); one index seek per control.
    package func controlsRun(in period: DateInterval) throws -> Set<ControlID> {
        Set(try String.fetchAll(db.cachedStatement(sql: Self.controlsRunSQL),
                                arguments: [period.start.timeIntervalSinceReferenceDate, period.end.timeIntervalSinceReferenceDate]).map(ControlID.init))
    }

    /// `lastRuns(of:)`'s query for `count` controls (`count` ≥ 1), exposed so a test can check its plan seeks rather
    /// than scans: per control, one seek to its newest run along `check_run_control`, all in one statement. A run whose
    /// time is not a number (edited outside soc2bot) sorts last and is picked, so the damage is reported, not skipped.
    package static func lastRunOfControlsSQL(count: Int) -> String {
        "SELECT r.id, r.control_id, r.at FROM (VALUES " + Array(repeating: "(?)", count: max(1, count)).joined(separator: ", ") + ") AS c "
            + "JOIN check_run r ON r.id = (SELECT id FROM check_run WHERE control_id = c.column1 ORDER BY at DESC, id DESC LIMIT 1)"
    }

    package func lastRuns(of controls: [ControlID]) throws -> [ControlID: Date] {
        guard !controls.isEmpty else { return [:] }
        let rows = try Row.fetchCursor(db.cachedStatement(sql: Self.lastRunOfControlsSQL(count: controls.count)),
                                       arguments: StatementArguments(controls.map(\.rawValue)))
        var result: [ControlID: Date] = [:]
        while let raw = try rows.next() {
            let row = StoredRow(raw, table: "check_run")
            result[ControlID(try row(1, String.self))] = try row.date(2)
        }
        return result
    }

    package func newestRunID() throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(id) FROM check_run"))
    }

    package func runsRecorded(after id: Int64?) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM check_run WHERE id > ?"), arguments: [id ?? 0]) ?? 0
    }

    /// When `control` first ran (nil: never) — uses the `check_run_control` index.
    package func firstRun(of control: ControlID) throws -> Date? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, MIN(at) AS at FROM check_run WHERE control_id = ?"), arguments: [control.rawValue]) else { return nil }
        return try StoredRow(row, table: "check_run").optionalDate(1)
    }

    /// The most recent run of every control (one index seek per control, like `lastRuns`); with `moment`, the most
    /// recent at or before it (what a view of that moment shows).
    package func latestRuns(atOrBefore moment: Date) throws -> [CheckRunRecord] {
        try Row.fetchAll(db.cachedStatement(sql: Self.latestRunsSQL), arguments: [moment.timeIntervalSinceReferenceDate]).map { raw in
            let row = StoredRow(raw, table: "check_run")
            return CheckRunRecord(control: ControlID(try row(1, String.self)), at: try row.date(2),
                                  passed: try row(3), failed: try row(4), errors: try row(5), digest: try row(6))
        }
    }

    /// Rows in one of the bot's tables (`check_run`, `alert`, `outbox`, …): a full count, for benchmarks and

    package func checkRunCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM check_run") ?? 0
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
    package func clearRunRequest(_ control: ControlID, ranAt: Date) throws {
        try db.cachedStatement(sql: "DELETE FROM cursor WHERE name = ? AND value <= ?")
            .execute(arguments: [Self.runRequest + control.rawValue, TimeText.iso(ranAt)])
    }

    private static let runRequest = "run-request:"
}

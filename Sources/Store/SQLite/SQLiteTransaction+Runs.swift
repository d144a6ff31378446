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
        let insert = try BoundStatement.hot(.runInsert, db, scope: scope)
        insert.bind(1, run.control.rawValue); insert.bind(2, run.at.timeIntervalSinceReferenceDate)
        insert.bind(3, run.passed); insert.bind(4, run.failed); insert.bind(5, run.errors); insert.bind(6, run.digest)
        try insert.run()
        // Nearly always the control's latest run: its span's last run moves (one row changed); else the whole rule.
        let id = db.lastInsertedRowID, at = run.at.timeIntervalSinceReferenceDate
        let latest = try BoundStatement.hot(.spanLatest, db, scope: scope)
        latest.bind(1, id); latest.bind(2, at); latest.bind(3, run.control.rawValue)
        try latest.run()
        guard db.changesCount == 0 else { return }
        try noteInSpan(id: id, control: run.control.rawValue.databaseValue, at: at.databaseValue)
    }

    /// Moves the span of `control` to take in its run `id` at `at` (as stored, whatever its type): the first run and the
    /// last by (time, id), as `ORDER BY at, id` sorts them.
    func noteInSpan(id: Int64, control: DatabaseValue, at: DatabaseValue) throws {
        try db.cachedStatement(sql: """
            INSERT INTO control_run_span (control_id, first_id, first_at, last_id, last_at) VALUES (?1, ?2, ?3, ?2, ?3)
            ON CONFLICT (control_id) DO UPDATE SET
                first_id = CASE WHEN excluded.first_at < first_at OR (excluded.first_at = first_at AND excluded.first_id < first_id)
                                THEN excluded.first_id ELSE first_id END,
                first_at = CASE WHEN excluded.first_at < first_at OR (excluded.first_at = first_at AND excluded.first_id < first_id)
                                THEN excluded.first_at ELSE first_at END,
                last_id = CASE WHEN excluded.last_at > last_at OR (excluded.last_at = last_at AND excluded.last_id > last_id)
                               THEN excluded.last_id ELSE last_id END,
                last_at = CASE WHEN excluded.last_at > last_at OR (excluded.last_at = last_at AND excluded.last_id > last_id)
                               THEN excluded.last_at ELSE last_at END
            """).execute(arguments: [control, id, at])
    }

    /// `lastRuns()`'s query, exposed so a test can check its plan reads the spans alone (`control_run_span`, one row
    /// per control, kept with `check_run`).
    package static let lastRunsSQL = "SELECT last_id, control_id, last_at FROM control_run_span"

    /// `latestRuns(atOrBefore:)`'s query, exposed so a test can check its plan seeks rather than scans: a control's last
    /// run when it is at or before the moment; else, unless it first ran after it, one seek back in time from the moment
    /// along `check_run_at` to the control's latest run before it. A run whose time is not a plausible number (edited
    /// outside soc2bot) sorts last in time and is the span's last run: it is picked whatever the moment, so the damage
    /// is reported rather than skipped.
    package static let latestRunsSQL = """
        SELECT r.id, r.control_id, r.at, r.passed, r.failed, r.errors, r.digest FROM control_run_span s
        JOIN check_run r ON r.id = CASE
            WHEN typeof(s.last_at) NOT IN ('real', 'integer') OR s.last_at > 252423993600 OR s.last_at <= ?1 THEN s.last_id
            WHEN typeof(s.first_at) IN ('real', 'integer') AND s.first_at > ?1 THEN NULL
            ELSE (SELECT id FROM check_run WHERE at <= ?1 AND control_id = s.control_id ORDER BY at DESC, id DESC LIMIT 1)
        END
        ORDER BY r.control_id
        """

    /// `controlsRun(in:)`'s query: per control whose span meets the period, one seek into the period along `check_run_at`
    /// (it reads the period's runs until one of the control's).
    package static let controlsRunSQL = """
        SELECT s.control_id FROM control_run_span s
        WHERE NOT (typeof(s.first_at) IN ('real', 'integer') AND s.first_at >= ?2) AND NOT (typeof(s.last_at) IN ('real', 'integer') AND s.last_at < ?1)
            AND EXISTS (SELECT 1 FROM check_run r WHERE r.at >= ?1 AND r.at < ?2 AND r.control_id = s.control_id)
        """

    /// The time of each control's most recent run: one row per control, however long the history.
    package func lastRuns() throws -> [ControlID: Date] {
        var result: [ControlID: Date] = [:]
        for raw in try Row.fetchAll(db.cachedStatement(sql: Self.lastRunsSQL)) {
            let row = StoredRow(raw, table: "check_run")
            result[ControlID(try row(1, String.self))] = try row.date(2)
        }
        return result
    }


    /// The controls that recorded a run in `period` (a half-open interval).
    package func controlsRun(in period: DateInterval) throws -> Set<ControlID> {
        Set(try String.fetchAll(db.cachedStatement(sql: Self.controlsRunSQL),
                                arguments: [period.start.timeIntervalSinceReferenceDate, period.end.timeIntervalSinceReferenceDate]).map(ControlID.init))
    }

    /// `lastRuns(of:)`'s query for `count` controls (`count` ≥ 1), exposed so a test can check its plan reads the spans
    /// alone, all in one statement.
    package static func lastRunOfControlsSQL(count: Int) -> String {
        "SELECT last_id, control_id, last_at FROM control_run_span WHERE control_id IN ("
            + Array(repeating: "?", count: max(1, count)).joined(separator: ", ") + ")"
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

    /// When `control` first ran (nil: never): its span's first run.
    package func firstRun(of control: ControlID) throws -> Date? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT first_id, first_at FROM control_run_span WHERE control_id = ?"),
                                         arguments: [control.rawValue]) else { return nil }
        return try StoredRow(row, table: "check_run").optionalDate(1)
    }

    /// The most recent run of every control (its span's last run); with `moment`, the most recent at or before it (what
    /// a view of that moment shows: a seek back in time for each control that ran since).
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

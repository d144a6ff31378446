import Core
import Foundation
import GRDB
import Store
import Testing

/// Check runs in the store: the scheduler asks for each control's latest run every step, so that read must answer
/// from the index, whatever the length of the history.
@Suite("Check run store")
struct CheckRunStoreTests {
    /// The reads take each control's span (`control_run_span`) and its runs by id, or seek along `check_run_at`; a plan
    /// that scans the runs (as a `GROUP BY control_id` over every row did) makes a year of history cost every step minutes.
    @Test(arguments: [(SQLiteTransaction.lastRunsSQL, 0), (SQLiteTransaction.latestRunsSQL, 1), (SQLiteTransaction.controlsRunSQL, 2),
                     (SQLiteTransaction.lastRunOfControlsSQL(count: 3), 3)])
    func latestRunReadsSeekTheIndexInsteadOfScanningEveryRun(sql: String, parameters: Int) throws {
        let database = try BotDatabase.inMemory()
        let plan = try database.writer.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: StatementArguments(Array(repeating: 0.0, count: parameters)))
                .map { $0["detail"] as String }
        }
        #expect(!plan.isEmpty)
        // `SCAN s` walks the spans (one row per control); a scan of `check_run` (alias `r`) is a full scan.
        let scansRuns = plan.contains { detail in
            let words = detail.split(separator: " ")
            return words.first == "SCAN" && words.count > 1 && ["check_run", "r"].contains(words[1])
        }
        #expect(!scansRuns, "plan: \(plan)")
    }

    /// Runs recorded out of time order, at equal times, edited and deleted outside soc2bot: every read of the spans
    /// answers as the runs themselves say (a brute-force reading of every row).
    @Test func theSpansAnswerAsTheRunsThemselvesSay() throws {
        let database = try BotDatabase.inMemory()
        let t = Date(timeIntervalSinceReferenceDate: 800_000_000)
        let runs: [(String, Double)] = [("a", 100), ("b", 50), ("a", 300), ("a", 200), ("b", 50), ("c", 400), ("a", 300)]
        try database.write { tx in
            for (index, (control, offset)) in runs.enumerated() {
                try tx.recordRun(CheckRunRecord(control: ControlID(control), at: t + offset, passed: index, failed: 0, errors: 0, digest: "d\(index)"))
            }
        }
        try expectSpansAgreeWithTheRuns(database, moments: [0, 49, 50, 99, 100, 150, 200, 250, 300, 399, 400, 1_000].map { t + $0 })
        // The latest of equal times is the later row; the moment picks the run before it.
        let at250 = try database.read { try $0.latestRuns(atOrBefore: t + 250) }
        #expect(at250.map { "\($0.control)@\($0.digest)" } == ["a@d3", "b@d4"])
        #expect(try database.read { try $0.lastRuns() } == ["a": t + 300, "b": t + 50, "c": t + 400])
        #expect(try database.read { try $0.firstRun(of: "a") } == t + 100)
        #expect(try database.read { try $0.firstRun(of: "none") } == nil)
        #expect(try database.read { try $0.controlsRun(in: DateInterval(start: t + 150, end: t + 350)) } == ["a"])

        // Edited outside soc2bot: a run moved to another control and in time, one deleted; the spans follow.
        try database.writer.write { db in
            try db.execute(sql: "UPDATE check_run SET control_id = 'c', at = ? WHERE digest = 'd2'", arguments: [(t + 10).timeIntervalSinceReferenceDate])
            try db.execute(sql: "DELETE FROM check_run WHERE digest = 'd6'")
            try db.execute(sql: "DELETE FROM check_run WHERE control_id = 'b'")
        }
        try expectSpansAgreeWithTheRuns(database, moments: [0, 10, 99, 100, 200, 300, 400].map { t + $0 })
        #expect(try database.read { try $0.lastRuns() } == ["a": t + 200, "c": t + 400])
        #expect(try database.read { try $0.firstRun(of: "c") } == t + 10)
    }

    /// A database whose runs were recorded before the spans existed gets them from its runs when it is migrated.
    @Test func aDatabaseMigratedFromBeforeTheSpansGetsThemFromItsRuns() throws {
        let queue = try DatabaseQueue()
        try SQLiteBackend.migrator.migrate(queue, upTo: "v9-ledger-subject-without-runs")
        let t = 800_000_000.0
        try queue.write { db in
            for (index, (control, offset)) in [("x", 30.0), ("y", 10), ("x", 20), ("x", 40), ("y", 5)].enumerated() {
                try db.execute(sql: "INSERT INTO check_run (control_id, at, passed, failed, errors, digest) VALUES (?, ?, 0, 0, 0, ?)",
                               arguments: [control, t + offset, "d\(index)"])
            }
        }
        let database = try BotDatabase(writer: queue, path: ":memory:")
        try expectSpansAgreeWithTheRuns(database, moments: [0, 5, 10, 20, 25, 40, 50].map { Date(timeIntervalSinceReferenceDate: t + $0) })
        #expect(try database.read { try $0.firstRun(of: "y") } == Date(timeIntervalSinceReferenceDate: t + 5))
    }

    /// Every answer of the spans against the runs read row by row: the latest run of each control at each moment (by
    /// time, then id), the last and first runs, the controls run between consecutive moments.
    private func expectSpansAgreeWithTheRuns(_ database: BotDatabase, moments: [Date], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let rows = try database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, control_id, at, digest FROM check_run").map {
                (id: $0[0] as Int64, control: $0[1] as String, at: Date(timeIntervalSinceReferenceDate: $0[2] as Double), digest: $0[3] as String)
            }
        }
        func latest(_ runs: [(id: Int64, control: String, at: Date, digest: String)]) -> [String: String] {
            Dictionary(grouping: runs, by: \.control).mapValues { $0.max { ($0.at, $0.id) < ($1.at, $1.id) }!.digest }
        }
        for moment in moments {
            let expected = latest(rows.filter { $0.at <= moment })
            let found = try database.read { try $0.latestRuns(atOrBefore: moment) }
            #expect(Dictionary(uniqueKeysWithValues: found.map { ($0.control.rawValue, $0.digest) }) == expected, "at \(moment)", sourceLocation: sourceLocation)
        }
        let last = Dictionary(grouping: rows, by: \.control).mapValues { $0.map(\.at).max()! }
        #expect(try database.read { try $0.lastRuns() }.mapKeys(\.rawValue) == last, sourceLocation: sourceLocation)
        #expect(try database.read { try $0.lastRuns(of: ["x", "y", "a", "c", "none"]) }.mapKeys(\.rawValue) == last.filter { ["x", "y", "a", "c"].contains($0.key) },
                sourceLocation: sourceLocation)
        for control in Set(rows.map(\.control)) {
            #expect(try database.read { try $0.firstRun(of: ControlID(control)) } == rows.filter { $0.control == control }.map(\.at).min(), sourceLocation: sourceLocation)
        }
        for (start, end) in zip(moments, moments.dropFirst()) {
            let expected = Set(rows.filter { $0.at >= start && $0.at < end }.map { ControlID($0.control) })
            #expect(try database.read { try $0.controlsRun(in: DateInterval(start: start, end: end)) } == expected, "in [\(start), \(end))", sourceLocation: sourceLocation)
        }
    }
}

private extension Dictionary {
    func mapKeys<K: Hashable>(_ transform: (Key) -> K) -> [K: Value] { Dictionary<K, Value>(uniqueKeysWithValues: map { (transform($0.key), $0.value) }) }
}

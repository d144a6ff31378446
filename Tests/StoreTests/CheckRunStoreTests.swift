import Core
import Foundation
import GRDB
import Store
import Testing

/// Check runs in the store: the scheduler asks for each control's latest run every step, so that read must answer
/// from the index, whatever the length of the history.
@Suite("Check run store")
struct CheckRunStoreTests {
    /// The reads seek along the `check_run_control` index once per control; a plan that scans the runs (as a
    /// `GROUP BY control_id` over every row did) makes a year of history cost every step minutes.
    @Test(arguments: [(SQLiteTransaction.lastRunsSQL, 0), (SQLiteTransaction.latestRunsSQL, 1), (SQLiteTransaction.controlsRunSQL, 2),
                     (SQLiteTransaction.lastRunOfControlsSQL(count: 3), 3)])
    func latestRunReadsSeekTheIndexInsteadOfScanningEveryRun(sql: String, parameters: Int) throws {
        let database = try BotDatabase.inMemory()
        let plan = try database.writer.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: StatementArguments(Array(repeating: 0.0, count: parameters)))
                .map { $0["detail"] as String }
        }
        #expect(!plan.isEmpty)
        // `SCAN ran` walks the (one row per control) recursive table; a scan of `check_run` (alias `r`) is a full scan.
        let scansRuns = plan.contains { detail in
            let words = detail.split(separator: " ")
            return words.first == "SCAN" && words.count > 1 && ["check_run", "r"].contains(words[1])
        }
        #expect(!scansRuns, "plan: \(plan)")
    }

}

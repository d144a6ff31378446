import Core
import Foundation
import GRDB
import Store
import Testing

/// Check runs in the store: the scheduler asks for each control's latest run every step, so that read must answer
/// from the index, whatever the length of the history.
@Suite("Check run store")
struct CheckRunStoreTests {
    let t0 = Date(timeIntervalSinceReferenceDate: 800_000_000)

    func run(_ control: String, at offset: TimeInterval, failed: Int = 0) -> CheckRunRecord {
        CheckRunRecord(control: ControlID(control), at: t0 + offset, passed: 1, failed: failed, errors: 0, digest: "\(control)@\(offset)")
    }

    @Test func latestRunsAreEachControlsNewestRunWhateverTheInsertOrder() throws {
        // Given runs of three controls, interleaved, one control's newest run recorded before an older one
        let database = try BotDatabase.inMemory()
        try database.write { tx in
            for record in [run("b", at: 10), run("a", at: 0), run("c", at: 5), run("a", at: 300, failed: 2), run("b", at: 20),
                           run("c", at: 900), run("c", at: 600)] {
                try tx.recordRun(record)
            }
        }

        // When the latest runs are read, now and as of a moment, and the controls that ran in a period
        let (last, latest) = try database.read { tx in (try tx.lastRuns(), try tx.latestRuns()) }
        let (asOf, ran) = try database.read { tx in
            (try tx.latestRuns(atOrBefore: t0 + 300), try tx.controlsRun(in: DateInterval(start: t0 + 10, end: t0 + 600)))
        }

        // Then each control's newest run is there, by time
        #expect(last == [ControlID("a"): t0 + 300, ControlID("b"): t0 + 20, ControlID("c"): t0 + 900])
        #expect(latest == [run("a", at: 300, failed: 2), run("b", at: 20), run("c", at: 900)])
        #expect(asOf == [run("a", at: 300, failed: 2), run("b", at: 20), run("c", at: 5)])
        #expect(ran == [ControlID("a"), ControlID("b")])
        #expect(try BotDatabase.inMemory().read { try $0.lastRuns() }.isEmpty)
        // and the scheduler's per-control read agrees, for the controls it asks about (one never ran)
        #expect(try database.read { try $0.lastRuns(of: [ControlID("c"), ControlID("a"), ControlID("new")]) } == [ControlID("a"): t0 + 300, ControlID("c"): t0 + 900])
    }

    /// The reads seek along the `check_run_control` index once per control; a plan that scans the runs (as a
    /// `GROUP BY control_id` over every row did) makes a year of history cost every step minutes.
    @Test(arguments: [(StoreTransaction.lastRunsSQL, 0), (StoreTransaction.latestRunsSQL, 1), (StoreTransaction.controlsRunSQL, 2),
                     (StoreTransaction.lastRunOfControlsSQL(count: 3), 3)])
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

    /// A run answers the run requests made before it started, not one made while it was reading its facts: that
    /// request stays, so the control runs again on what the command recorded (also after a crash).
    @Test func aRunClearsOnlyTheRequestsMadeBeforeItStarted() throws {
        let database = try BotDatabase.inMemory()
        try database.write { try $0.requestRuns([ControlID("vendors")], at: t0 + 5) }

        try database.write { try $0.clearRunRequest(ControlID("vendors"), ranAt: t0) }
        #expect(try database.read { try $0.requestedRuns() } == [ControlID("vendors")])

        try database.write { try $0.clearRunRequest(ControlID("vendors"), ranAt: t0 + 5) }
        #expect(try database.read { try $0.requestedRuns() }.isEmpty)
    }
}

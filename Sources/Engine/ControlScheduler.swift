import Checks
import Core
import Foundation
import Logging
import Store
import Synchronization

/// Which controls are due when: each automated control runs every `cadence` after its last recorded run, and at
/// once if it never ran; a manual control is evaluated (has its evidence come in?) daily, or at its cadence when
/// shorter. Pure given the last-run times, which come from the store so a restart resumes the plan.
package struct SchedulePlan: Sendable {
    package let controls: [Control]
    package init(controls: [Control]) { self.controls = controls }

    package func nextDue(control: Control, lastRun: Date?, start: Date) -> Date {
        let every = control.isAutomated ? control.cadence : min(control.cadence, 86_400)
        return lastRun.map { $0.addingTimeInterval(every) } ?? start
    }

    /// Controls due at `now`, in manifest order.
    package func due(at now: Date, lastRuns: [ControlID: Date], start: Date) -> [Control] {
        controls.filter { nextDue(control: $0, lastRun: lastRuns[$0.id], start: start) <= now }
    }

    /// The earliest moment any control is due.
    package func nextDue(lastRuns: [ControlID: Date], start: Date) -> Date? {
        controls.map { nextDue(control: $0, lastRun: lastRuns[$0.id], start: start) }.min()
    }
}

/// Runs due controls through their sources and reconciles the results.
package struct ControlScheduler: Sendable {
    package let plan: SchedulePlan
    package let runner: ControlRunner
    package let engine: AlertEngine
    /// Controls never run before are due from this moment.
    package let start: Date
    let logger: Logger

    /// Direct messages before deadlines (training, attestations), decided in each run's transaction.
    let reminders: Reminders
    /// The last runs read, shared by copies of this scheduler (the loop asks every step, two or three times).
    private let lastRunsRead = LastRunsRead()

    package init(engine: AlertEngine, runner: ControlRunner, start: Date, logger: Logger = Logger(label: "soc2bot.scheduler")) {
        self.plan = SchedulePlan(controls: engine.config.controls)
        self.runner = runner
        self.engine = engine
        self.start = start
        self.logger = logger
        self.reminders = Reminders(config: engine.config)
    }

    package func nextDue() throws -> Date? {
        try engine.database.read { try nextDue(in: $0) }
    }

    /// `nextDue()` as `snapshot`, a read of the engine's database, says.
    package func nextDue(in snapshot: StoreTransaction) throws -> Date? {
        plan.nextDue(lastRuns: try lastRuns(in: snapshot), start: start)
    }

    private func lastRuns() throws -> [ControlID: Date] {
        try engine.database.read { try lastRuns(in: $0) }
    }

    /// The last run of each planned control: read along the index (`lastRuns(of:)`) only when a run was recorded since
    /// the last read (`newestRunID`, by anyone: this loop, a webhook's run, another process); else the runs read then.
    private func lastRuns(in tx: StoreTransaction) throws -> [ControlID: Date] {
        let newest = try tx.newestRunID()
        if let known = lastRunsRead.runs(ifNewest: newest) { return known }
        // Inside a write (`ReadPlacement.endOfWrite`): the runs this step's write moved on, before it commits.
        if ReadPlacement.insideWrite, let moved = lastRunsRead.proposed(ifNewest: newest) { return moved }
        let runs = try tx.lastRuns(of: plan.controls.map(\.id))
        // Not what a write read before it committed: rolled back, its run ids are handed out again.
        if !ReadPlacement.insideWrite { lastRunsRead.keep(runs, newest: newest) }
        return runs
    }

    /// Runs every control due at `now`: reads and evaluates each, then records them all in one write transaction with
    /// a savepoint per control (`AlertEngine.reconcile(step:at:andThen:)`), in manifest order. A control whose record
    /// fails (a damaged row) is rolled back alone; once the others are committed, its error is thrown.
    @discardableResult
    package func runDue(at now: Date) async throws -> [AlertEngine.RunSummary] {
        try await run(plan.due(at: now, lastRuns: try lastRuns(), start: start), at: now)
    }

    /// `runDue(at:)` for the timed work (`SchedulerWork`), whose run always follows its due-time read (`nextDue()`, or
    /// `nextDue(in:)` in the driver's shared read): the controls due as that read found them, without a read of their own.
    /// A run recorded by someone else between the two is like one recorded while this step reads its sources: the
    /// step's write records its runs all the same. Before any read, it reads.
    @discardableResult
    package func runDueAsLastRead(at now: Date) async throws -> [AlertEngine.RunSummary] {
        guard let known = lastRunsRead.current else { return try await runDue(at: now) }
        return try await run(plan.due(at: now, lastRuns: known.runs, start: start), at: now)
    }

    /// Runs one control now, whatever its cadence (`soc2bot check`).
    package func runOnce(_ control: Control, at now: Date) async throws -> AlertEngine.RunSummary {
        try await run([control], at: now)[0]
    }

    /// Runs `controls` as one step: the facts of all the automated ones are read (each source and kind once) and
    /// judged concurrently; then every run is recorded in one write transaction, a savepoint per control, in the order
    /// given (manifest order), so results, alerts and the ledger come out as if they had run one after another. A
    /// control whose record fails is rolled back alone; the others are kept, then its error is thrown.
    @discardableResult
    package func run(_ controls: [Control], at now: Date) async throws -> [AlertEngine.RunSummary] {
        let automated = controls.filter(\.isAutomated)
        let judged = Dictionary(zip(automated.map(\.id), await runner.run(automated, at: now)), uniquingKeysWith: { first, _ in first })
        var runs: [AlertEngine.StepRun] = []
        for control in controls {
            let results = try judged[control.id]
                ?? ManualEvidence.results(control, config: engine.config, database: engine.database, start: start, at: now)
            runs.append(AlertEngine.StepRun(control: control, results: results))
        }
        guard !runs.isEmpty else { return [] }
        var summaries: [AlertEngine.RunSummary] = []
        // The run requests standing when the step's write began: read once, in its transaction, so each run clears its
        // own (if any) without a statement per control.
        var requested: Set<ControlID>?
        // Each run records one row at `now`: when the step's write holds exactly those since the last runs were read,
        // they are those runs moved on to `now` (the next question then needs no read along the index).
        let known = lastRunsRead.current
        // Each control once in the write: what a run finds already sent was committed before it.
        let once = Set(runs.map(\.control.id)).count == runs.count
        var advanced: (newest: Int64?, runs: [ControlID: Date])?
        defer { lastRunsRead.propose(nil) }
        let outcomes = try engine.reconcile(step: runs, at: now, andThen: { run, tx in
            if requested == nil { requested = Set(try tx.requestedRuns()) }
            try decide(run.control, run.results, requested: requested ?? [], once: once, at: now, tx: tx)
        }, atEnd: { tx in
            guard let known, try tx.runsRecorded(after: known.newest) == runs.count else { return }
            var moved = known.runs
            for run in runs { moved[run.control.id] = max(moved[run.control.id] ?? now, now) }
            advanced = (try tx.newestRunID(), moved)
            lastRunsRead.propose(advanced)
        })
        if let advanced { lastRunsRead.keep(advanced.runs, newest: advanced.newest) }
        for (run, outcome) in zip(runs, outcomes) {
            switch outcome {
            case .success(let summary):
                report(summary)
                summaries.append(summary)
            case .failure(let error):
                // Recorded as an error run (in the ledger, not due again before its cadence): the step, its deliveries and
                // escalations go on; the operator is told here.
                logger.error("control run could not be recorded; it is recorded as an error run and the step goes on", metadata: [
                    "control.id": "\(run.control.id)", "error": "\(error)",
                ])
                summaries.append(AlertEngine.RunSummary(control: run.control.id, passed: 0, failed: 0, errors: 1,
                                                        errorMessages: [AlertEngine.unrecordable(error)]))
            }
        }
        return summaries
    }

    /// What a run decides besides alerts, in the run's transaction. The reminders are queued there: once the run is
    /// recorded the control is not due again for a cadence, so reminders decided after a separate commit were lost to a
    /// crash in between for that long. So is a request to run it (`requestRuns`) answered: with this run, not before it.
    private func decide(_ control: Control, _ results: [CheckResult], requested: Set<ControlID>, once: Bool, at now: Date,
                        tx: StoreTransaction) throws {
        _ = try reminders.queue(control, results: results, at: now, tx: tx, keepingFound: once)
        if requested.contains(control.id) { try tx.clearRunRequest(control.id, ranAt: now) }
    }

    /// Says where operators look what a run found beyond the ledger.
    private func report(_ summary: AlertEngine.RunSummary) {
        if summary.errors > 0 {
            // An error is never a pass: say so where operators look, as well as in the ledger.
            logger.warning("control could not be fully evaluated", metadata: [
                "control.id": "\(summary.control)", "control.errors": "\(summary.errors)",
                "error": "\(summary.errorMessages.first ?? "")",
            ])
        }
        if !summary.opened.isEmpty || !summary.resolved.isEmpty {
            logger.info("control run changed alerts", metadata: [
                "control.id": "\(summary.control)", "alerts.opened": "\(summary.opened.count)", "alerts.resolved": "\(summary.resolved.count)",
            ])
        }
    }
}

/// The last run of each planned control as read when the newest run row was `newest`: valid while it still is. And
/// what a step's write moved them to, proposed until it commits (for reads inside that write).
private final class LastRunsRead: Sendable {
    private let state = Mutex<(newest: Int64?, runs: [ControlID: Date])?>(nil)
    private let pending = Mutex<(newest: Int64?, runs: [ControlID: Date])?>(nil)
    func runs(ifNewest newest: Int64?) -> [ControlID: Date]? {
        state.withLock { state in state.flatMap { $0.newest == newest ? $0.runs : nil } }
    }
    func keep(_ runs: [ControlID: Date], newest: Int64?) { state.withLock { $0 = (newest, runs) } }
    func propose(_ moved: (newest: Int64?, runs: [ControlID: Date])?) { pending.withLock { $0 = moved } }
    func proposed(ifNewest newest: Int64?) -> [ControlID: Date]? {
        pending.withLock { pending in pending.flatMap { $0.newest == newest ? $0.runs : nil } }
    }
    /// What is kept, if anything.
    var current: (newest: Int64?, runs: [ControlID: Date])? { state.withLock { $0 } }
}

import Checks
import Core
import Foundation
import Logging
import Store

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

    package init(engine: AlertEngine, runner: ControlRunner, start: Date, logger: Logger = Logger(label: "soc2bot.scheduler")) {
        self.plan = SchedulePlan(controls: engine.config.controls)
        self.runner = runner
        self.engine = engine
        self.start = start
        self.logger = logger
        self.reminders = Reminders(config: engine.config)
    }

    package func nextDue() throws -> Date? {
        plan.nextDue(lastRuns: try engine.database.read { try $0.lastRuns() }, start: start)
    }

    /// Runs every control due at `now`.
    @discardableResult
    package func runDue(at now: Date) async throws -> [AlertEngine.RunSummary] {
        let lastRuns = try engine.database.read { try $0.lastRuns() }
        return try await run(plan.due(at: now, lastRuns: lastRuns, start: start), at: now)
    }

    /// Runs one control now, whatever its cadence (`soc2bot check`).
    package func runOnce(_ control: Control, at now: Date) async throws -> AlertEngine.RunSummary {
        try await run([control], at: now)[0]
    }

    /// Runs `controls` as one step: the facts of all the automated ones are read (each source and kind once) and
    /// judged concurrently, then each control's run is reconciled in the order given (manifest order), one
    /// transaction each, so results, alerts and the ledger come out as if they had run one after another.
    @discardableResult
    package func run(_ controls: [Control], at now: Date) async throws -> [AlertEngine.RunSummary] {
        let automated = controls.filter(\.isAutomated)
        let judged = Dictionary(zip(automated.map(\.id), await runner.run(automated, at: now)), uniquingKeysWith: { first, _ in first })
        var summaries: [AlertEngine.RunSummary] = []
        for control in controls {
            let results = try judged[control.id]
                ?? ManualEvidence.results(control, config: engine.config, database: engine.database, start: start, at: now)
            summaries.append(try reconcile(control, results: results, at: now))
        }
        return summaries
    }

    /// Records one control's run (see `AlertEngine.reconcile`) with the reminders it decides, and logs what changed.
    private func reconcile(_ control: Control, results: [CheckResult], at now: Date) throws -> AlertEngine.RunSummary {
        // The reminders are queued in the run's transaction: once the run is recorded the control is not due again for a
        // cadence, so reminders decided after a separate commit were lost to a crash in between for that long. So is a
        // request to run it (`requestRuns`) answered: with this run, not before it.
        let summary = try engine.reconcile(control, results: results, at: now) { tx in
            _ = try reminders.queue(control, results: results, at: now, tx: tx)
            try tx.clearRunRequest(control.id, ranAt: now)
        }
        if summary.errors > 0 {
            // An error is never a pass: say so where operators look, as well as in the ledger.
            logger.warning("control could not be fully evaluated", metadata: [
                "control.id": "\(control.id)", "control.errors": "\(summary.errors)",
                "error": "\(summary.errorMessages.first ?? "")",
            ])
        }
        if !summary.opened.isEmpty || !summary.resolved.isEmpty {
            logger.info("control run changed alerts", metadata: [
                "control.id": "\(control.id)", "alerts.opened": "\(summary.opened.count)", "alerts.resolved": "\(summary.resolved.count)",
            ])
        }
        return summary
    }
}

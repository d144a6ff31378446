import Core
import Foundation

/// What each control saw and when it ran: per-resource tracks, the check runs, and the runs asked for outside
/// their cadence.
package protocol RunRepository {
    // MARK: Resource tracks

    /// `control`'s tracks, keyed by resource id.
    func tracks(control: ControlID) throws -> [String: ResourceTrack]

    /// `tracks(control:)` of each of `controls` (every one of them a key), read together: a step asks for all its
    /// controls at once.
    func tracks(controls: [ControlID]) throws -> [ControlID: [String: ResourceTrack]]

    /// Records `tracks` of `control`, replacing the ones of the same resources.
    func saveTracks(_ tracks: [ResourceTrack], control: ControlID) throws

    func forgetTracks(_ resourceIDs: [String], control: ControlID) throws

    // MARK: Check runs

    func recordRun(_ run: CheckRunRecord) throws

    /// The time of each control's most recent run. Costs one index seek per control, however long the history.
    func lastRuns() throws -> [ControlID: Date]

    /// The time of the most recent run of each of `controls` that ever ran: one seek per control, however long the
    /// history (what every scheduler step asks).
    func lastRuns(of controls: [ControlID]) throws -> [ControlID: Date]

    /// The id of the newest check run recorded (nil: none yet). Ids only grow and runs are never changed or deleted,
    /// so an unchanged id means no run was recorded since: what lets the scheduler keep the last runs it read.
    func newestRunID() throws -> Int64?

    /// How many check runs were recorded after the one with id `id` (nil: all of them).
    func runsRecorded(after id: Int64?) throws -> Int

    /// The controls that recorded a run in `period` (a half-open interval); one index seek per control.
    func controlsRun(in period: DateInterval) throws -> Set<ControlID>

    /// When `control` first ran (nil: never).
    func firstRun(of control: ControlID) throws -> Date?

    /// The most recent run of every control at or before `moment` (what a view of that moment shows), by control id;
    /// one index seek per control. A run whose stored time is not plausible is listed whatever the moment, so the
    /// damage is reported rather than skipped.
    func latestRuns(atOrBefore moment: Date) throws -> [CheckRunRecord]

    /// Every check run recorded: a full count, for benchmarks and diagnostics, never for a step.
    func checkRunCount() throws -> Int

    // MARK: Requested runs

    /// Asks for `controls` to run at once, outside their cadence, in the caller's transaction: a chat command that
    /// records what they read (a renewal, an attestation, evidence) asks together with what it records, so a crash
    /// before the run cannot leave them waiting a whole cadence.
    func requestRuns(_ controls: [ControlID], at: Date) throws

    /// Controls asked to run and not run since, by id.
    func requestedRuns() throws -> [ControlID]

    /// Marks `control`'s request done: in the transaction of a run of it that started at `ranAt`. A request made
    /// after that (while the run was reading its facts) stays: the run did not see what it asked about.
    func clearRunRequest(_ control: ControlID, ranAt: Date) throws
}

extension RunRepository {
    /// The most recent run of every control.
    package func latestRuns() throws -> [CheckRunRecord] { try latestRuns(atOrBefore: .distantFuture) }

    /// Marks `control`'s request done, whenever it was made.
    package func clearRunRequest(_ control: ControlID) throws { try clearRunRequest(control, ranAt: .distantFuture) }
}

extension RunRepository {
    /// One read per control; a store may read them in one statement.
    package func tracks(controls: [ControlID]) throws -> [ControlID: [String: ResourceTrack]] {
        var result: [ControlID: [String: ResourceTrack]] = [:]
        for control in controls { result[control] = try tracks(control: control) }
        return result
    }
}

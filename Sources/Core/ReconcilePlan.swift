import Foundation

/// What one control run changes, computed without IO: the engine writes it in one transaction.
package struct ReconcilePlan: Sendable {
    /// A failure that has passed its tolerance and minimum count and has no live alert: open one.
    package struct NewAlert: Sendable, Equatable {
        package var resourceKey: String
        package var title: String
        package var expected: String
        package var observed: String
        package var findings: [Finding]
        package var failingSince: Date
        /// The earliest policy deadline among its resources: the alert's SLA deadline instead of a fresh one.
        package var policyDeadline: Date? = nil
    }

    package var tracksToSave: [ResourceTrack] = []
    package var tracksToForget: [String] = []
    package var alertsToOpen: [NewAlert] = []
    package var alertActions: [(AlertID, AlertAction)] = []
    package var passed = 0
    package var failed = 0
    package var errors = 0
    /// The first few error messages, for the run's evidence entry.
    package var errorMessages: [String] = []

    /// Plans a run of `control` at `at` over `results`, given the failing resources remembered from earlier runs
    /// and the control's live (not closed or resolved) alerts keyed by resource key (`*` for a grouped alert).
    ///
    /// Rules: a failure alerts once it has failed `minFailures` runs in a row for at least `tolerance` seconds;
    /// a pass resolves; an `error` never resolves and never counts as a pass; a resource missing from a run
    /// counts as passing only when the run had no errors at all.
    package static func plan(control: Control, results: [CheckResult], at: Date,
                             tracks: [String: ResourceTrack], liveAlerts: [String: Alert]) -> ReconcilePlan {
        var plan = ReconcilePlan()
        var seen = Set<String>()
        seen.reserveCapacity(results.count)
        var failing: [ResourceTrack] = []
        var erroring = Set<String>()

        for result in results {
            seen.insert(result.resource.id)
            switch result.status {
            case .pass:
                plan.passed += 1
                if tracks[result.resource.id] != nil { plan.tracksToForget.append(result.resource.id) }
            case .error(let message):
                plan.errors += 1
                erroring.insert(result.resource.id)
                if plan.errorMessages.count < 5 { plan.errorMessages.append("\(result.resource.id): \(message)") }
            case .fail:
                plan.failed += 1
                let known = tracks[result.resource.id]
                var track = known ?? ResourceTrack(
                    resource: result.resource, firstSeenAt: at, failingSince: result.failingSince ?? at,
                    consecutiveFailures: 0, observed: result.observed, expected: result.expected)
                // Counted up to the most any control may ask for (`Control.minFailuresLimit`): past it, another failing run
                // changes nothing whatever the manifests say later, and a track a run leaves as it was is not written again
                // (a resource failing for months costs no write a run once it has failed that many times).
                track.consecutiveFailures = min(track.consecutiveFailures + 1, Control.minFailuresLimit)
                track.resource = result.resource
                track.observed = result.observed
                track.expected = result.expected
                track.policyDeadline = result.policyDeadline
                if let since = result.failingSince { track.failingSince = min(since, track.firstSeenAt) }
                if track != known { plan.tracksToSave.append(track) }
                failing.append(track)
            }
        }
        let cleanRun = plan.errors == 0
        if cleanRun {
            for key in tracks.keys where !seen.contains(key) { plan.tracksToForget.append(key) }
        }

        func isDue(_ track: ResourceTrack) -> Bool {
            track.consecutiveFailures >= max(1, control.minFailures)
                && at.timeIntervalSince(track.firstSeenAt) >= control.tolerance
        }

        switch control.grouping {
        case .perResource:
            for track in failing {
                if let alert = liveAlerts[track.resource.id] {
                    let finding = Finding(resource: track.resource, observed: track.observed, failingSince: track.failingSince)
                    if alert.observed != track.observed {
                        plan.alertActions.append((alert.id, .updateFindings([finding], observed: track.observed)))
                    }
                } else if isDue(track) {
                    plan.alertsToOpen.append(NewAlert(
                        resourceKey: track.resource.id, title: "\(control.title): \(track.resource.name)",
                        expected: track.expected, observed: track.observed,
                        findings: [Finding(resource: track.resource, observed: track.observed, failingSince: track.failingSince)],
                        failingSince: track.failingSince, policyDeadline: track.policyDeadline))
                }
            }
            let failingKeys = Set(failing.map(\.resource.id))
            for (key, alert) in liveAlerts where !failingKeys.contains(key) && !erroring.contains(key) {
                if seen.contains(key) || cleanRun { plan.alertActions.append((alert.id, .resolve)) }
            }
        case .perControl:
            let live = liveAlerts[groupKey]
            var findings = failing.filter { live != nil || isDue($0) }
                .map { Finding(resource: $0.resource, observed: $0.observed, failingSince: $0.failingSince) }
            // Keep listing resources we could not read this time: an error is not a pass, and a resource missing
            // from a run with errors may simply not have been read (as for per-resource alerts).
            var unread = 0
            if let live {
                let kept = live.findings.filter {
                    erroring.contains($0.resource.id) || (!cleanRun && !seen.contains($0.resource.id))
                }
                findings += kept
                unread = kept.filter { !seen.contains($0.resource.id) }.count
            }
            findings.sort { $0.resource.name < $1.resource.name }
            let observed = "\(findings.count) of \(results.count + unread) failing"
            if let live {
                if findings.isEmpty {
                    plan.alertActions.append((live.id, .resolve))
                } else if findings != live.findings {
                    plan.alertActions.append((live.id, .updateFindings(findings, observed: observed)))
                }
            } else if !findings.isEmpty {
                plan.alertsToOpen.append(NewAlert(
                    resourceKey: groupKey, title: control.title,
                    expected: failing.first?.expected ?? "", observed: observed, findings: findings,
                    failingSince: findings.map(\.failingSince).min() ?? at,
                    policyDeadline: failing.filter { live != nil || isDue($0) }.compactMap(\.policyDeadline).min()))
            }
        }
        return plan
    }

    /// The resource key of a control's grouped alert.
    package static let groupKey = "*"
}

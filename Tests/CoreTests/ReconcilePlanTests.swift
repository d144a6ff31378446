import Core
import Foundation
import Testing

/// Results, tracks and live alerts for an MFA control over three accounts: ann, bob and cy.
enum Reconcile {
    static func control(_ grouping: AlertGrouping, tolerance: TimeInterval = 0, minFailures: Int = 1) -> Control {
        Control(id: "mfa-enforced", title: "MFA enforced", criteria: [Criterion("CC6.1")!], owner: "infra", severity: .high,
                cadence: Fixture.hour, check: CheckSpec(type: "mfa_enforced"), remediation: "enforce MFA in Okta",
                tolerance: tolerance, minFailures: minFailures, grouping: grouping)
    }

    static func account(_ name: String) -> ResourceRef { Fixture.resource("okta:\(name)", name) }

    static func fail(_ name: String, _ observed: String = "MFA off", since: Date? = nil) -> CheckResult {
        CheckResult(resource: account(name), status: .fail, expected: "MFA on", observed: observed, failingSince: since)
    }
    static func pass(_ name: String) -> CheckResult {
        CheckResult(resource: account(name), status: .pass, expected: "MFA on", observed: "MFA on")
    }
    static func error(_ name: String, _ message: String = "timed out") -> CheckResult {
        CheckResult(resource: account(name), status: .error(message), expected: "MFA on", observed: "")
    }

    static func track(_ name: String, firstSeen: Date = Fixture.t0, failures: Int = 1, observed: String = "MFA off") -> ResourceTrack {
        ResourceTrack(resource: account(name), firstSeenAt: firstSeen, failingSince: firstSeen, consecutiveFailures: failures,
                      observed: observed, expected: "MFA on")
    }
    static func tracks(_ list: ResourceTrack...) -> [String: ResourceTrack] {
        Dictionary(uniqueKeysWithValues: list.map { ($0.resource.id, $0) })
    }

    static func finding(_ name: String, _ observed: String = "MFA off", since: Date = Fixture.t0) -> Finding {
        Finding(resource: account(name), observed: observed, failingSince: since)
    }

    /// A live alert with id `number` for `key`, listing `findings`.
    static func live(_ number: Int64, key: String, findings: [Finding], observed: String = "MFA off") -> Alert {
        var alert = Fixture.openAlert()
        alert.id = AlertID(number)
        alert.control = "mfa-enforced"
        alert.resourceKey = key
        alert.findings = findings
        alert.observed = observed
        return alert
    }
}

extension ReconcilePlan {
    /// The alert actions as `A-n action` text, sorted: tuples are not `Equatable`.
    var actionSummary: [String] { alertActions.map { "\($0.0) \($0.1.name)" }.sorted() }
    var forgotten: [String] { tracksToForget.sorted() }
}

@Suite("Reconcile plan")
struct ReconcilePlanTests {
    typealias R = Reconcile
    let at = Fixture.at(Fixture.hour)

    func plan(_ control: Control, _ results: [CheckResult], at time: Date? = nil,
              tracks: [String: ResourceTrack] = [:], live: [String: Alert] = [:]) -> ReconcilePlan {
        ReconcilePlan.plan(control: control, results: results, at: time ?? at, tracks: tracks, liveAlerts: live)
    }

    /// Runs a control repeatedly the way the engine does, carrying tracks from run to run; returns each run's plan.
    func runs(_ control: Control, at times: [Date], results: [CheckResult]) -> [ReconcilePlan] {
        var tracks: [String: ResourceTrack] = [:]
        return times.map { time in
            let p = plan(control, results, at: time, tracks: tracks)
            for key in p.tracksToForget { tracks[key] = nil }
            for track in p.tracksToSave { tracks[track.resource.id] = track }
            return p
        }
    }

    // MARK: One alert per resource

    @Test func firstFailureOpensAnAlertAtOnce() throws {
        let p = plan(R.control(.perResource), [R.fail("ann"), R.pass("bob")])
        let opened = try #require(p.alertsToOpen.only)
        #expect(opened.resourceKey == "okta:ann")
        #expect(opened.title == "MFA enforced: ann")
        #expect(opened.expected == "MFA on")
        #expect(opened.observed == "MFA off")
        #expect(opened.findings == [R.finding("ann", since: at)])
        #expect(opened.failingSince == at)
        #expect(p.tracksToSave == [R.track("ann", firstSeen: at, failures: 1)])
        #expect(p.alertActions.isEmpty)
    }

    @Test func failureWaitsForTheMinimumNumberOfFailingRuns() {
        let control = R.control(.perResource, minFailures: 3)
        let times = (0..<3).map { Fixture.at(Double($0) * Fixture.hour) }
        let plans = runs(control, at: times, results: [R.fail("ann")])
        #expect(plans.map(\.alertsToOpen.count) == [0, 0, 1])
        #expect(plans.map { $0.tracksToSave.first?.consecutiveFailures } == [1, 2, 3])
        #expect(plans[2].alertsToOpen.first?.failingSince == Fixture.t0)
    }

    @Test func failureWaitsForTheToleranceWindow() {
        let control = R.control(.perResource, tolerance: 2 * Fixture.hour)
        let times = [0, 1, 2].map { Fixture.at($0 * Fixture.hour) }
        let plans = runs(control, at: times, results: [R.fail("ann")])
        #expect(plans.map(\.alertsToOpen.count) == [0, 0, 1])
    }

    @Test func toleranceAndMinimumMustBothBeMet() {
        // Two runs 3 h apart pass the 2 h tolerance, but three failing runs are required.
        let control = R.control(.perResource, tolerance: 2 * Fixture.hour, minFailures: 3)
        let times = [0, 3, 4].map { Fixture.at($0 * Fixture.hour) }
        #expect(runs(control, at: times, results: [R.fail("ann")]).map(\.alertsToOpen.count) == [0, 0, 1])
    }

    @Test func stillFailingWithALiveAlertMakesNoNoise() {
        let p = plan(R.control(.perResource), [R.fail("ann")], tracks: R.tracks(R.track("ann", failures: 4)),
                     live: ["okta:ann": R.live(11, key: "okta:ann", findings: [R.finding("ann")])])
        #expect(p.alertsToOpen.isEmpty)
        #expect(p.alertActions.isEmpty)
        #expect(p.tracksToSave.map(\.consecutiveFailures) == [5])
    }

    @Test func aTrackIsCountedUpToTheLimitOfMinFailuresThenWrittenOnlyWhenItChanges() {
        let limit = Control.minFailuresLimit
        let control = R.control(.perResource, minFailures: 3)
        // One run short of the limit: counted and written
        let below = plan(control, [R.fail("ann")], tracks: R.tracks(R.track("ann", failures: limit - 1)))
        #expect(below.tracksToSave.map(\.consecutiveFailures) == [limit])
        // At the limit, a run that changes nothing else does not write the track again
        let at = plan(control, [R.fail("ann")], tracks: R.tracks(R.track("ann", failures: limit)))
        #expect(at.tracksToSave.isEmpty)
        // A new observation is a change: written, with the count at the limit
        let changed = plan(control, [R.fail("ann", "MFA off, admin")], tracks: R.tracks(R.track("ann", failures: limit)))
        #expect(changed.tracksToSave.map(\.consecutiveFailures) == [limit])
        #expect(changed.tracksToSave.map(\.observed) == ["MFA off, admin"])
        // A manifest raising min_failures to the limit later still sees every failing run counted
        var strict = control
        strict.minFailures = limit
        #expect(plan(strict, [R.fail("ann")], tracks: R.tracks(R.track("ann", failures: limit - 1))).alertsToOpen.count == 1)
    }

    @Test func changedObservationUpdatesTheAlert() throws {
        let p = plan(R.control(.perResource), [R.fail("ann", "MFA off, admin")], tracks: R.tracks(R.track("ann")),
                     live: ["okta:ann": R.live(11, key: "okta:ann", findings: [R.finding("ann")])])
        let (id, action) = try #require(p.alertActions.only)
        #expect(id == AlertID(11))
        #expect(action == .updateFindings([R.finding("ann", "MFA off, admin")], observed: "MFA off, admin"))
    }

    @Test func passResolvesTheAlertAndForgetsTheTrack() {
        let p = plan(R.control(.perResource), [R.pass("ann")], tracks: R.tracks(R.track("ann")),
                     live: ["okta:ann": R.live(11, key: "okta:ann", findings: [R.finding("ann")])])
        #expect(p.actionSummary == ["A-11 resolve"])
        #expect(p.forgotten == ["okta:ann"])
        #expect(p.alertsToOpen.isEmpty)
    }

    @Test func errorNeverResolvesAndNeverCountsAsPass() {
        let p = plan(R.control(.perResource), [R.error("ann", "HTTP 503")], tracks: R.tracks(R.track("ann", failures: 2)),
                     live: ["okta:ann": R.live(11, key: "okta:ann", findings: [R.finding("ann")])])
        #expect(p.alertActions.isEmpty)
        #expect(p.tracksToForget.isEmpty)
        #expect(p.tracksToSave.isEmpty)
        #expect(p.passed == 0)
        #expect(p.errors == 1)
        #expect(p.errorMessages == ["okta:ann: HTTP 503"])
    }

    @Test func errorNeverOpensAnAlert() {
        let p = plan(R.control(.perResource), [R.error("ann")])
        #expect(p.alertsToOpen.isEmpty)
        #expect(p.tracksToSave.isEmpty)
    }

    @Test func resourceMissingFromACleanRunResolves() {
        let p = plan(R.control(.perResource), [R.pass("bob")], tracks: R.tracks(R.track("ann"), R.track("cy")),
                     live: ["okta:ann": R.live(11, key: "okta:ann", findings: [R.finding("ann")])])
        #expect(p.actionSummary == ["A-11 resolve"])
        #expect(p.forgotten == ["okta:ann", "okta:cy"])
    }

    @Test func resourceMissingFromARunWithErrorsIsNotResolved() {
        let p = plan(R.control(.perResource), [R.pass("bob"), R.error("cy")], tracks: R.tracks(R.track("ann")),
                     live: ["okta:ann": R.live(11, key: "okta:ann", findings: [R.finding("ann")])])
        #expect(p.alertActions.isEmpty)
        #expect(p.tracksToForget.isEmpty)
    }

    @Test func failingSinceFromTheSourceIsKept() throws {
        let since = Fixture.at(-3 * Fixture.day)  // e.g. the termination date from the HR system
        let p = plan(R.control(.perResource), [R.fail("ann", since: since)])
        let opened = try #require(p.alertsToOpen.only)
        #expect(opened.failingSince == since)
        #expect(opened.findings.map(\.failingSince) == [since])
        #expect(p.tracksToSave.map(\.failingSince) == [since])
        #expect(p.tracksToSave.map(\.firstSeenAt) == [at])
    }

    @Test func failingSinceFromTheSourceIsCappedAtFirstSeen() {
        // A source clock ahead of ours claims the failure began after we first saw it.
        let fresh = plan(R.control(.perResource), [R.fail("ann", since: at.addingTimeInterval(Fixture.hour))])
        #expect(fresh.alertsToOpen.map(\.failingSince) == [at])
        let known = plan(R.control(.perResource), [R.fail("ann", since: Fixture.at(30 * Fixture.minute))],
                         tracks: R.tracks(R.track("ann", firstSeen: Fixture.t0)))
        #expect(known.tracksToSave.map(\.failingSince) == [Fixture.t0])
    }

    @Test func countsEveryOutcomeAndKeepsTheFirstFiveErrors() {
        let results = [R.pass("ann"), R.pass("bob")] + (0..<3).map { R.fail("f\($0)") } + (0..<7).map { R.error("e\($0)", "boom \($0)") }
        let p = plan(R.control(.perResource), results)
        #expect(p.passed == 2)
        #expect(p.failed == 3)
        #expect(p.errors == 7)
        #expect(p.errorMessages == (0..<5).map { "okta:e\($0): boom \($0)" })
        #expect(p.alertsToOpen.count == 3)
    }

    // MARK: One alert per control

    let group = Reconcile.control(.perControl)
    var key: String { ReconcilePlan.groupKey }

    @Test func firstFailuresOpenOneGroupedAlertListingThemByName() throws {
        let early = Fixture.at(-Fixture.day)
        let p = plan(group, [R.fail("cy", since: early), R.pass("bob"), R.fail("ann")])
        let opened = try #require(p.alertsToOpen.only)
        #expect(opened.resourceKey == "*")
        #expect(opened.title == "MFA enforced")
        #expect(opened.findings == [R.finding("ann", since: at), R.finding("cy", since: early)])
        #expect(opened.observed == "2 of 3 failing")
        #expect(opened.failingSince == early)
    }

    @Test func groupedAlertWaitsForTolerance() throws {
        let control = R.control(.perControl, tolerance: 2 * Fixture.hour)
        let none = plan(control, [R.fail("ann")], tracks: R.tracks(R.track("ann", firstSeen: at.addingTimeInterval(-Fixture.hour))))
        #expect(none.alertsToOpen.isEmpty)
        // ann has failed for 3 h, cy only now: the alert opens listing ann alone.
        let some = plan(control, [R.fail("ann"), R.fail("cy")], tracks: R.tracks(R.track("ann", firstSeen: at.addingTimeInterval(-3 * Fixture.hour))))
        #expect(try #require(some.alertsToOpen.only).findings.map(\.resource.name) == ["ann"])
    }

    @Test func groupedAlertListsNewFailuresAtOnceOnceItIsLive() throws {
        // Tolerance delays opening an alert; once the control's alert is live, another failing resource joins it.
        let control = R.control(.perControl, tolerance: 2 * Fixture.hour)
        let p = plan(control, [R.fail("ann"), R.fail("cy")], tracks: R.tracks(R.track("ann")),
                     live: [key: R.live(12, key: key, findings: [R.finding("ann")])])
        let (_, action) = try #require(p.alertActions.only)
        #expect(action == .updateFindings([R.finding("ann"), R.finding("cy", since: at)], observed: "2 of 2 failing"))
    }

    @Test func groupedAlertStillFailingTheSameIsQuiet() {
        let p = plan(group, [R.fail("ann"), R.fail("cy"), R.pass("bob")], tracks: R.tracks(R.track("ann"), R.track("cy")),
                     live: [key: R.live(12, key: key, findings: [R.finding("ann"), R.finding("cy")])])
        #expect(p.alertActions.isEmpty)
        #expect(p.alertsToOpen.isEmpty)
    }

    @Test func groupedAlertUpdatesItsFindingsWhenTheListChanges() throws {
        let p = plan(group, [R.fail("ann"), R.pass("cy"), R.fail("bob")], tracks: R.tracks(R.track("ann"), R.track("cy")),
                     live: [key: R.live(12, key: key, findings: [R.finding("ann"), R.finding("cy")])])
        let (id, action) = try #require(p.alertActions.only)
        #expect(id == AlertID(12))
        #expect(action == .updateFindings([R.finding("ann"), R.finding("bob", since: at)], observed: "2 of 3 failing"))
        #expect(p.forgotten == ["okta:cy"])
    }

    @Test func groupedAlertResolvesWhenNothingFails() {
        let p = plan(group, [R.pass("ann"), R.pass("bob")], tracks: R.tracks(R.track("ann")),
                     live: [key: R.live(12, key: key, findings: [R.finding("ann")])])
        #expect(p.actionSummary == ["A-12 resolve"])
    }

    @Test func groupedAlertKeepsListingAResourceThatErrored() throws {
        let p = plan(group, [R.pass("ann"), R.error("cy")], tracks: R.tracks(R.track("ann"), R.track("cy")),
                     live: [key: R.live(12, key: key, findings: [R.finding("ann"), R.finding("cy")])])
        let (_, action) = try #require(p.alertActions.only)
        #expect(action == .updateFindings([R.finding("cy")], observed: "1 of 2 failing"))
    }

    @Test func groupedAlertIsNotResolvedWhenTheSourceCouldNotBeRead() {
        // The whole source failed: one error result for the source, none for the accounts.
        let unreadable = CheckResult(resource: Fixture.resource("okta", "Okta"), status: .error("HTTP 401"), expected: "MFA on", observed: "")
        let p = plan(group, [unreadable], tracks: R.tracks(R.track("ann"), R.track("cy")),
                     live: [key: R.live(12, key: key, findings: [R.finding("ann"), R.finding("cy")])])
        #expect(p.alertActions.isEmpty)
        #expect(p.tracksToForget.isEmpty)
        #expect(p.errors == 1)
    }

    @Test func groupedAlertKeepsResourcesMissingFromARunWithErrors() {
        let p = plan(group, [R.fail("ann"), R.error("bob")], tracks: R.tracks(R.track("ann"), R.track("cy")),
                     live: [key: R.live(12, key: key, findings: [R.finding("ann"), R.finding("cy")])])
        #expect(p.alertActions.isEmpty)
    }

    @Test func groupedAlertCountsUnreadResourcesItKeepsListing() throws {
        // cy was not in this run (the run had errors), so it stays listed and counted; bob is new.
        let p = plan(group, [R.fail("ann"), R.fail("bob"), R.error("dan")], tracks: R.tracks(R.track("ann"), R.track("cy")),
                     live: [key: R.live(12, key: key, findings: [R.finding("ann"), R.finding("cy")])])
        let (_, action) = try #require(p.alertActions.only)
        #expect(action == .updateFindings([R.finding("ann"), R.finding("bob", since: at), R.finding("cy")], observed: "3 of 4 failing"))
    }

    @Test func groupedAlertDropsResourcesMissingFromACleanRun() throws {
        let p = plan(group, [R.fail("ann")], tracks: R.tracks(R.track("ann"), R.track("cy")),
                     live: [key: R.live(12, key: key, findings: [R.finding("ann"), R.finding("cy")])])
        let (_, action) = try #require(p.alertActions.only)
        #expect(action == .updateFindings([R.finding("ann")], observed: "1 of 1 failing"))
        #expect(p.forgotten == ["okta:cy"])
    }

    @Test func groupedAlertResolvesWhenACleanRunFindsNothing() {
        let p = plan(group, [], tracks: R.tracks(R.track("ann")), live: [key: R.live(12, key: key, findings: [R.finding("ann")])])
        #expect(p.actionSummary == ["A-12 resolve"])
        #expect(p.forgotten == ["okta:ann"])
    }
}

extension Array {
    /// The single element, or nil when there are none or several.
    var only: Element? { count == 1 ? first : nil }
}

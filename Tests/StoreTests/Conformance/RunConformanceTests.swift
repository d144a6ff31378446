import Core
import Foundation
import Store
import Testing
import TestSupport

/// Tracks, check runs and run requests on every store: what the scheduler reads each step.
@Suite("Run repository")
struct RunConformanceTests {
    let t0 = Date(timeIntervalSinceReferenceDate: 800_000_000)

    func run(_ control: String, at offset: TimeInterval, failed: Int = 0) -> CheckRunRecord {
        CheckRunRecord(control: ControlID(control), at: t0 + offset, passed: 1, failed: failed, errors: 0, digest: "\(control)@\(offset)")
    }

    func track(_ name: String, failures: Int) -> ResourceTrack {
        ResourceTrack(resource: Sample.account(name), firstSeenAt: t0, failingSince: t0 - 60, consecutiveFailures: failures,
                      observed: "MFA off", expected: "MFA on")
    }

    @Test(arguments: StoreFactory.all)
    func latestRunsAreEachControlsNewestRunWhateverTheInsertOrder(_ store: StoreFactory) throws {
        // Given runs of three controls, interleaved, one control's newest run recorded before an older one
        let database = try store.make()
        #expect(try database.read { try $0.lastRuns() }.isEmpty)
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
        #expect(try database.read { try $0.latestRuns(atOrBefore: t0 - 1) }.isEmpty)
        // a half-open period: b's run at its start counts, c's at its end does not
        #expect(ran == [ControlID("a"), ControlID("b")])
        #expect(try database.read { try $0.checkRunCount() } == 7)
        // and the scheduler's per-control read agrees, for the controls it asks about (one never ran)
        #expect(try database.read { try $0.lastRuns(of: [ControlID("c"), ControlID("a"), ControlID("new")]) } == [ControlID("a"): t0 + 300, ControlID("c"): t0 + 900])
    }

    /// A step reads the tracks of all its controls at once: the same as reading each control's, every control asked
    /// for a key (one without tracks too), a control asked twice answered once.
    @Test(arguments: StoreFactory.all)
    func tracksOfSeveralControlsAreEachControlsTracks(_ store: StoreFactory) throws {
        let database = try store.make()
        try database.write { tx in
            try tx.saveTracks([track("ann", failures: 1), track("bob", failures: 3)], control: "a")
            try tx.saveTracks([track("ann", failures: 2)], control: "b")
        }
        let ids: [ControlID] = ["b", "a", "none", "a"]
        let together = try database.read { try $0.tracks(controls: ids) }
        let each = try database.read { tx in try ids.map { try tx.tracks(control: $0) } }
        #expect(Set(together.keys) == Set(ids))
        for (id, tracks) in zip(ids, each) { #expect(together[id] == tracks) }
        #expect(together["a"]?["okta:bob"]?.consecutiveFailures == 3)
        #expect(together["b"]?["okta:ann"]?.consecutiveFailures == 2)
        #expect(together["none"]?.isEmpty == true)
    }

    /// Empty texts stay texts (not NULL) through the step's hot inserts: a run's digest, an entry's subject.
    @Test(arguments: StoreFactory.all)
    func emptyTextsAreRecordedAsEmptyTexts(_ store: StoreFactory) throws {
        let database = try store.make()
        try database.write { tx in
            try tx.recordRun(CheckRunRecord(control: "", at: t0, passed: 0, failed: 0, errors: 0, digest: ""))
            try tx.appendEvidence(kind: "note", subject: "", at: t0, canonicalData: Array("{}".utf8))
        }
        #expect(try database.read { try $0.latestRuns(atOrBefore: t0) } == [CheckRunRecord(control: "", at: t0, passed: 0, failed: 0, errors: 0, digest: "")])
        #expect(try database.read { try $0.evidence(subject: "") }.count == 1)
        #expect(try database.read { try $0.verifyLedger() }.isIntact)
    }

    @Test(arguments: StoreFactory.all)
    func firstRunIsTheEarliestWhateverTheInsertOrder(_ store: StoreFactory) throws {
        let database = try store.make()
        try database.write { tx in
            for record in [run("a", at: 300), run("a", at: 100), run("b", at: 50), run("a", at: 200)] { try tx.recordRun(record) }
        }
        #expect(try database.read { try $0.firstRun(of: ControlID("a")) } == t0 + 100)
        #expect(try database.read { try $0.firstRun(of: ControlID("b")) } == t0 + 50)
        #expect(try database.read { try $0.firstRun(of: ControlID("never")) } == nil)
    }

    @Test(arguments: StoreFactory.all)
    func tracksAreKeptPerControlAndReplacedPerResource(_ store: StoreFactory) throws {
        let database = try store.make()
        let mfa = ControlID("mfa-enforced"), sso = ControlID("sso-only")
        try database.write { tx in
            try tx.saveTracks([track("ann", failures: 1), track("bob", failures: 1)], control: mfa)
            try tx.saveTracks([track("ann", failures: 4)], control: sso)
        }
        try database.write { try $0.saveTracks([track("ann", failures: 2)], control: mfa) }

        let tracks = try database.read { try $0.tracks(control: mfa) }
        #expect(tracks == ["okta:ann": track("ann", failures: 2), "okta:bob": track("bob", failures: 1)])
        #expect(try database.read { try $0.tracks(control: sso) } == ["okta:ann": track("ann", failures: 4)])

        try database.write { try $0.forgetTracks(["okta:ann", "okta:nobody"], control: mfa) }
        #expect(try database.read { try $0.tracks(control: mfa) }.keys.sorted() == ["okta:bob"])
        #expect(try database.read { try $0.tracks(control: sso) }.keys.sorted() == ["okta:ann"])
        #expect(try database.read { try $0.tracks(control: ControlID("none")) }.isEmpty)
    }

    /// A run answers the run requests made before it started, not one made while it was reading its facts: that
    /// request stays, so the control runs again on what the command recorded (also after a crash).
    @Test(arguments: StoreFactory.all)
    func aRunClearsOnlyTheRequestsMadeBeforeItStarted(_ store: StoreFactory) throws {
        let database = try store.make()
        try database.write { try $0.requestRuns([ControlID("vendors"), ControlID("attest")], at: t0 + 5) }
        #expect(try database.read { try $0.requestedRuns() } == [ControlID("attest"), ControlID("vendors")])

        try database.write { try $0.clearRunRequest(ControlID("vendors"), ranAt: t0) }
        #expect(try database.read { try $0.requestedRuns() } == [ControlID("attest"), ControlID("vendors")])

        try database.write { try $0.clearRunRequest(ControlID("vendors"), ranAt: t0 + 5) }
        try database.write { try $0.clearRunRequest(ControlID("attest")) }
        #expect(try database.read { try $0.requestedRuns() }.isEmpty)
    }
}

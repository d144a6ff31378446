@testable import Checks
import Core
import FactSources
import Foundation
import Synchronization
import Testing
import TestSupport

/// A step — the controls due at one moment, or one `soc2bot check` — reads each (source, fact kind) once.
@Suite("Step reads")
struct StepReadsTests {
    typealias F = CheckFixture

    static func control(_ id: ControlID, _ type: String, sources: [SourceID] = [], parameters: [String: ConfigValue] = [:]) -> Control {
        Control(id: id, title: "Control \(id)", criteria: [Criterion("CC6.1")!], owner: "infra", severity: .high,
                cadence: F.hour, check: CheckSpec(type: type, sources: sources, parameters: parameters), remediation: "fix it")
    }

    static let accounts = [
        Account(system: "Okta", login: "jsmith", email: "j.smith@acme.example", active: true, mfaEnabled: false, privileged: true, lastLoginAt: F.at(-F.day)),
        Account(system: "Okta", login: "dana", email: "dana@acme.example", active: true, mfaEnabled: true, privileged: false, lastLoginAt: F.at(-F.day)),
    ]
    static let people = [HRPerson(employeeID: "E7", name: "Jo Smith", email: "j.smith@acme.example", status: .terminated, terminatedAt: F.at(-3 * F.day))]
    static let buckets = [Bucket(provider: "S3", name: "exports", encryption: .customerManaged, isPublic: false)]

    @Test
    func controlsSharingASourceReadEachKindOnce() async throws {
        // Given three controls reading accounts, two reading buckets, one reading people, from one source
        let source = CountingSource("aws", Facts(people: Self.people, accounts: Self.accounts, buckets: Self.buckets))
        let runner = ControlRunner(sources: [source])
        let controls = [Self.control("mfa", "mfa"), Self.control("offboarding", "offboarding"), Self.control("inactive", "inactive_accounts"),
                        Self.control("encrypted", "storage_encryption"), Self.control("public", "storage_public_access")]

        // When they run as one step
        let results = await runner.run(controls, at: F.now)

        // Then each (source, kind) was read once, and every control was judged on the shared facts
        #expect(source.reads(.accounts) == 1)
        #expect(source.reads(.buckets) == 1)
        #expect(source.reads(.people) == 1)
        #expect(source.totalReads == 3)
        #expect(results.count == controls.count)
        #expect(Set(results[0].map(\.resource.id)) == ["okta:jsmith", "okta:dana"])
        #expect(results[1].first?.status == .fail)              // the leaver's account is still active
        #expect(results[3].map(\.status) == [.pass] && results[4].map(\.status) == [.pass])
    }

    @Test
    func aControlIsPlannedOnceWhileItIsUnchanged() async throws {
        // Given three controls reading one source, which counts how often its fact kinds are asked
        let source = AskedKinds(CountingSource("aws", Facts(accounts: Self.accounts, buckets: Self.buckets)))
        let runner = ControlRunner(sources: [source])
        let controls = [Self.control("mfa", "mfa"), Self.control("inactive", "inactive_accounts"), Self.control("encrypted", "storage_encryption")]
        let first = await runner.run(controls, at: F.now)
        let askedFirst = source.asked

        // When the same controls run again
        let second = await runner.run(controls, at: F.now)

        // Then the second step did not plan them again: the kinds were asked only to split the step's two reads
        // between the bot's own sources and the others (twice a read), not again for each control (before: seven times
        // each step), and the results are the same
        #expect(source.asked - askedFirst <= 2 * 2, "\(source.asked - askedFirst) asks in the second step, \(askedFirst) in the first")
        #expect(second == first)

        // And a control changed under the same id is planned anew: judged by its own check
        let changed = await runner.run(Self.control("mfa", "storage_encryption"), at: F.now)
        #expect(!changed.isEmpty && changed == second[2])
    }

    @Test
    func aStepGivesTheSameResultsAsControlsRunOneByOne() async throws {
        // Given the controls of a step, and each run alone
        let source = CountingSource("aws", Facts(people: Self.people, accounts: Self.accounts, buckets: Self.buckets))
        let runner = ControlRunner(sources: [source], maxConcurrency: 3)
        let controls = [Self.control("mfa", "mfa"), Self.control("offboarding", "offboarding"), Self.control("inactive", "inactive_accounts"),
                        Self.control("encrypted", "storage_encryption"), Self.control("unknown", "mfa_enforced")]
        var alone: [[CheckResult]] = []
        for control in controls { alone.append(await runner.run(control, at: F.now)) }

        // When they run together, Then the results are the same, in the controls' order
        #expect(await runner.run(controls, at: F.now) == alone)
    }

    @Test
    func aFailedReadFailsOnlyTheControlsNeedingThatSourceAndKind() async throws {
        // Given HR down, and the identity provider up
        let hr = CountingSource("hr", Facts(), failing: [.people])
        let okta = CountingSource("okta", Facts(accounts: Self.accounts))
        let runner = ControlRunner(sources: [hr, okta])
        let controls = [Self.control("offboarding", "offboarding"), Self.control("mfa", "mfa"), Self.control("offboarding-2", "offboarding")]

        // When the step runs
        let results = await runner.run(controls, at: F.now)

        // Then the two controls reading people are errors naming the source, read once; mfa is judged as usual
        #expect(hr.reads(.people) == 1)
        #expect(okta.reads(.accounts) == 1)
        for index in [0, 2] {
            #expect(results[index].count == 1)
            #expect(results[index].first?.status == .error("source hr: HTTP 503 from the API"))
        }
        #expect(results[1].map(\.status).sorted { $0.label < $1.label } == [.fail, .pass])
    }
}

/// A step judges its controls one after another when its facts are few, concurrently when they are many; the results
/// are the same either way.
@Suite("Step evaluation")
struct StepEvaluationTests {
    @Test
    func aStepWithManyRecordsIsJudgedAsItsControlsAreOneByOne() async throws {
        // Given a step over enough buckets to be judged concurrently, some public
        let buckets = (0..<ControlRunner.concurrentEvaluationRecords).map {
            Bucket(provider: "S3", name: "b\($0)", encryption: .customerManaged, isPublic: $0 % 11 == 0)
        }
        let source = CountingSource("aws", Facts(buckets: buckets))
        let runner = ControlRunner(sources: [source], maxConcurrency: 3)
        let controls = [StepReadsTests.control("encrypted", "storage_encryption"), StepReadsTests.control("public", "storage_public_access"),
                        StepReadsTests.control("public-2", "storage_public_access")]
        var alone: [[CheckResult]] = []
        for control in controls { alone.append(await runner.run(control, at: CheckFixture.now)) }

        // When they run together
        let together = await runner.run(controls, at: CheckFixture.now)

        // Then the results are the same, in the controls' order
        #expect(ControlRunner.records(in: [FactReads.Key(source: 0, id: "aws", kind: .buckets): .read(Facts(buckets: buckets))])
                >= ControlRunner.concurrentEvaluationRecords)
        #expect(together == alone)
        #expect(together[1].filter { $0.status == .fail }.count == (buckets.count + 10) / 11)
    }
}

/// A source that counts how often its fact kinds (`provides`) are asked, passing everything else to `base`.
private final class AskedKinds: FactSource {
    let base: CountingSource
    private let count = Mutex(0)
    init(_ base: CountingSource) { self.base = base }
    var asked: Int { count.withLock { $0 } }
    var id: SourceID { base.id }
    var provides: Set<FactKind> {
        count.withLock { $0 += 1 }
        return base.provides
    }
    func facts(_ kinds: Set<FactKind>) async throws -> Facts { try await base.facts(kinds) }
}

@testable import Checks
import Core
import FactSources
import Foundation
import Testing

/// A source serving fixed facts: it provides the kinds it has and answers only the kinds asked for.
struct FixedSource: FactSource {
    let id: SourceID
    let served: Facts
    let provides: Set<FactKind>

    init(_ id: SourceID, _ served: Facts, provides: Set<FactKind>? = nil) {
        self.id = id
        self.served = served
        self.provides = provides ?? Set(FactKind.allCases.filter { served.has($0) })
    }

    func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        served.selecting(kinds)
    }
}

/// A source whose system is down: every read throws.
struct BrokenSource: FactSource {
    struct Timeout: Error, CustomStringConvertible { var description: String { "timed out after 30s" } }
    let id: SourceID
    let provides: Set<FactKind>
    func facts(_ kinds: Set<FactKind>) async throws -> Facts { throw Timeout() }
}

@Suite("Control runner")
struct ControlRunnerTests {
    typealias F = CheckFixture

    static func control(_ type: String, sources: [SourceID] = [], parameters: [String: ConfigValue] = [:]) -> Control {
        Control(id: "under-test", title: "Control under test", criteria: [Criterion("CC6.1")!], owner: "infra", severity: .high,
                cadence: F.hour, check: CheckSpec(type: type, sources: sources, parameters: parameters), remediation: "fix it")
    }

    static let okta = FixedSource("okta", Facts(accounts: [
        Account(system: "Okta", login: "jsmith", email: "j.smith@acme.example", active: true, mfaEnabled: false, privileged: true),
        Account(system: "Okta", login: "dana", email: "dana@acme.example", active: true, mfaEnabled: true, privileged: false),
    ]))
    static let github = FixedSource("github", Facts(accounts: [
        Account(system: "GitHub", login: "jsmith", email: "j.smith@acme.example", active: true, mfaEnabled: true, privileged: false),
    ]))
    static let hr = FixedSource("hr", Facts(people: [
        HRPerson(employeeID: "E7", name: "Jo Smith", email: "j.smith@acme.example", status: .terminated, terminatedAt: F.at(-3 * F.day)),
    ]))

    /// The single result a run records when it cannot judge the control.
    private func onlyError(_ results: [CheckResult], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(results.count == 1, "expected one error result, got \(results)", sourceLocation: sourceLocation)
        #expect(results[0].resource.id == "control:under-test", sourceLocation: sourceLocation)
        return try #require(results[0].status.message, "expected an error, got \(results[0].status)", sourceLocation: sourceLocation)
    }

    @Test
    func throwingSourceGivesOneErrorNeverAPass() async throws {
        // Given
        let runner = ControlRunner(sources: [Self.okta, BrokenSource(id: "aws", provides: [.accounts])])

        // When
        let message = try onlyError(await runner.run(Self.control("mfa"), at: F.now))

        // Then
        #expect(message == "source aws: timed out after 30s")
    }

    @Test
    func unavailableSourceGivesAnErrorNamingItsKind() async throws {
        // Given
        let unavailable = UnavailableSource(config: SourceConfig(id: "corp-idp", kind: "okta"))
        #expect(unavailable.provides == [.accounts])
        let runner = ControlRunner(sources: [unavailable])

        // When
        let message = try onlyError(await runner.run(Self.control("mfa"), at: F.now))

        // Then
        #expect(message.contains("corp-idp"))
        #expect(message.contains("`okta`"))
    }

    @Test
    func missingSourceForANeededKindGivesAnError() async throws {
        // Given
        let runner = ControlRunner(sources: [Self.okta, Self.github])

        // When
        let message = try onlyError(await runner.run(Self.control("offboarding"), at: F.now))

        // Then
        #expect(message == "no configured source provides people")
    }

    @Test
    func namedSourcesAreTheOnlyOnesRead() async throws {
        // Given
        let runner = ControlRunner(sources: [Self.okta, Self.github, BrokenSource(id: "aws", provides: [.accounts])])

        // When
        let results = await runner.run(Self.control("mfa", sources: ["github"]), at: F.now)

        // Then
        #expect(results.ids == ["github:jsmith"])
        #expect(results.map(\.status) == [.pass])
    }

    @Test
    func namedSourceWithoutTheKindGivesAnError() async throws {
        // Given
        let runner = ControlRunner(sources: [Self.okta, Self.hr])

        // When
        let message = try onlyError(await runner.run(Self.control("mfa", sources: ["hr"]), at: F.now))

        // Then
        #expect(message == "no configured source provides accounts")
    }

    @Test
    func factsFromSeveralSourcesAreMerged() async throws {
        // Given
        let runner = ControlRunner(sources: [Self.hr, Self.okta, Self.github])

        // When
        let mfa = await runner.run(Self.control("mfa"), at: F.now)
        let offboarding = await runner.run(Self.control("offboarding"), at: F.now)

        // Then
        #expect(Set(mfa.ids) == ["okta:jsmith", "okta:dana", "github:jsmith"])
        #expect(offboarding.count == 1)
        #expect(offboarding.first?.status == .fail)
        #expect(offboarding.first?.observed.hasSuffix("still active in GitHub (jsmith); Okta (jsmith)") == true)
    }

    /// A source that claims a kind and answers without it would otherwise look like "nothing to check", which
    /// passes (and resolves alerts) by silence.
    @Test
    func sourceAnsweringWithoutTheKindGivesAnError() async throws {
        // Given
        let silent = FixedSource("okta", Facts(), provides: [.accounts])
        let runner = ControlRunner(sources: [silent, Self.github])

        // When
        let message = try onlyError(await runner.run(Self.control("mfa"), at: F.now))

        // Then
        #expect(message.contains("okta"))
        #expect(message.contains("accounts"))
    }

    @Test
    func badCheckSpecGivesAnError() async throws {
        // Given
        let runner = ControlRunner(sources: [Self.okta])

        // When
        let unknown = try onlyError(await runner.run(Self.control("mfa_enforced"), at: F.now))
        let badParameter = try onlyError(await runner.run(Self.control("mfa", parameters: ["privileged_only": .string("yes")]), at: F.now))

        // Then
        #expect(unknown == "unknown check type mfa_enforced")
        #expect(badParameter.hasPrefix("parameter privileged_only:"))
    }

    @Test
    func manualControlHasNothingToRun() async {
        var control = Self.control("mfa")
        control.check = nil
        #expect(await ControlRunner(sources: [Self.okta]).run(control, at: F.now).isEmpty)
    }
}

@Suite("Facts selection")
struct FactsSelectionTests {
    @Test(arguments: FactKind.allCases)
    func selectingAnswersExactlyTheKindsAskedFor(_ kind: FactKind) {
        var all = Facts()
        for other in FactKind.allCases { all.merge(Facts.empty(other)) }
        let picked = all.selecting([kind])
        #expect(FactKind.allCases.filter { picked.has($0) } == [kind])
        #expect(!Facts().has(kind))
    }
}

private extension Facts {
    /// Facts answering only `kind`, with an empty list.
    static func empty(_ kind: FactKind) -> Facts {
        var facts = Facts()
        switch kind {
        case .people: facts.people = []
        case .accounts: facts.accounts = []
        case .buckets: facts.buckets = []
        case .networkRules: facts.networkRules = []
        case .auditTrails: facts.auditTrails = []
        case .repositories: facts.repositories = []
        case .training: facts.training = []
        case .reviews: facts.reviews = []
        case .vendors: facts.vendors = []
        case .devices: facts.devices = []
        case .vulnerabilities: facts.vulnerabilities = []
        case .passwordPolicies: facts.passwordPolicies = []
        case .databases: facts.databases = []
        case .encryptionKeys: facts.encryptionKeys = []
        case .findings: facts.findings = []
        case .integrations: facts.integrations = []
        case .attestations: facts.attestations = []
        }
        return facts
    }
}

import Chat
import Foundation
import Checks
import Testing
@testable import Core
@testable import Manifests

/// Loading: files, order, concatenation and the mapping of YAML onto Core's types.
@Suite struct ManifestLoaderTests {
    @Test func everyFieldMapsOntoCoreTypes() throws {
        // Given one file using every key of the format
        let fixture = try ManifestFixture(["all.yaml": """
            organisation: Acme Cloud Ltd
            security_leads: [priya]
            people:
              - id: priya
                name: Priya Raman
                email: priya@acme.example
                team: infra
                chat: {slack: U024BE7LH, matrix: "@priya:acme.example", terminal: priya}
              - {id: dana, name: Dana Whitfield, email: dana@acme.example, manager: priya}
            teams:
              - id: infra
                name: Infrastructure
                manager: dana
                channels:
                  default: {slack: C0INFRA, terminal: "#infra"}
                  critical: {slack: C0ONCALL}
                escalation_contacts: [priya]
                security_admins: [dana]
            routing:
              default: {slack: C0SECURITY}
            escalation:
              ack_timeout: {critical: 10m}
              sla: {low: 60d}
              max_snooze: 7d
              levels: [team_channel, security_leads]
            controls:
              - id: offboarding-sla
                title: Leavers' access removed within 24h
                description: Disabled everywhere.
                criteria: [CC6.2, cc6.3]
                owner: infra
                severity: high
                cadence: 1h
                check: {type: offboarding, sources: [hr, gh], sla: 24h, systems: [github]}
                remediation: Disable it.
                sla: 8h
                tolerance: 2h
                min_failures: 3
                grouping: per_control
              - id: access-review
                title: Quarterly access review
                criteria: [CC6.3]
                owner: infra
                severity: medium
                cadence: 90d
                manual: {evidence: Signed review}
                remediation: Review it.
            sources:
              - id: hr
                kind: bamboohr
                credentials: {api_key: BAMBOOHR_API_KEY}
                settings: {subdomain: acme, skip_bad_rows: true, base_url: "https://hr.acme.example/api"}
              - {id: gh, kind: github, credentials: {token: GITHUB_TOKEN}, settings: {organization: acme, repositories: [api, web]}}

            """], base: false)

        // When it loads
        let config = try #require(fixture.config(), "\(fixture.problems())")

        // Then every value lands in the Core type
        #expect(config.organisation == "Acme Cloud Ltd")
        #expect(config.securityLeads == ["priya"])
        #expect(config.people == [
            Person(id: "priya", name: "Priya Raman", email: "priya@acme.example", team: "infra",
                   chatIDs: [.slack: "U024BE7LH", .matrix: "@priya:acme.example", .terminal: "priya"]),
            Person(id: "dana", name: "Dana Whitfield", email: "dana@acme.example", manager: "priya"),
        ])
        #expect(config.teams == [Team(
            id: "infra", name: "Infrastructure", manager: "dana",
            channels: ChannelRoutes(defaults: [.slack: "C0INFRA", .terminal: "#infra"], bySeverity: [.critical: [.slack: "C0ONCALL"]]),
            escalationContacts: ["priya"], securityAdmins: ["dana"])])
        #expect(config.defaultChannels == [.slack: "C0SECURITY"])
        #expect(config.controls[0] == Control(
            id: "offboarding-sla", title: "Leavers' access removed within 24h", description: "Disabled everywhere.",
            criteria: [Criterion("CC6.2")!, Criterion("CC6.3")!], owner: "infra", severity: .high, cadence: 3_600,
            check: CheckSpec(type: "offboarding", sources: ["hr", "gh"],
                             parameters: ["sla": .string("24h"), "systems": .list([.string("github")])]),
            remediation: "Disable it.", slaOverride: 8 * 3_600, tolerance: 2 * 3_600, minFailures: 3, grouping: .perControl))
        #expect(config.controls[1] == Control(
            id: "access-review", title: "Quarterly access review", criteria: [Criterion("CC6.3")!], owner: "infra",
            severity: .medium, cadence: 90 * 86_400, check: nil, remediation: "Review it.", evidenceExpected: "Signed review"))
        #expect(config.sources == [
            SourceConfig(id: "hr", kind: "bamboohr", credentialVariables: ["api_key": "BAMBOOHR_API_KEY"],
                         settings: ["subdomain": .string("acme"), "skip_bad_rows": .bool(true), "base_url": .string("https://hr.acme.example/api")]),
            SourceConfig(id: "gh", kind: "github", credentialVariables: ["token": "GITHUB_TOKEN"],
                         settings: ["organization": .string("acme"), "repositories": .list([.string("api"), .string("web")])]),
        ])
        // Partial escalation maps fill from the standard policy.
        var policy = EscalationPolicy.standard
        policy.ackTimeout[.critical] = 600
        policy.sla[.low] = 60 * 86_400
        policy.maxSnooze = 7 * 86_400
        policy.levels = [.teamChannel, .securityLeads]
        #expect(config.policy == policy)
    }

    @Test func absentEscalationMeansTheStandardPolicy() throws {
        let fixture = try ManifestFixture([:])
        #expect(fixture.config()?.policy == .standard)
    }

    @Test func listsFromSeveralFilesAreConcatenatedInFileNameOrder() throws {
        // Given people and leads split over files whose names sort differently from their creation order
        let fixture = try ManifestFixture([
            "z-people.yaml": "people:\n  - {id: zed, name: Zed, email: zed@test.example}\nsecurity_leads: [zed]\n",
            "m-people.yml": "people:\n  - {id: mia, name: Mia, email: mia@test.example}\nsecurity_leads: [lead]\n",
        ])
        let config = try #require(fixture.config(), "\(fixture.problems())")
        #expect(config.people.map(\.id) == ["lead", "mia", "zed"])
        // A lead named in two files counts once.
        #expect(config.securityLeads == ["lead", "zed"])
    }

    @Test func subdirectoriesAndOtherFilesAreIgnored() throws {
        let fixture = try ManifestFixture([
            "demo/broken.yaml": "organisation: [not, read]\n",
            "notes.txt": "organisation: ignored\n",
            ".hidden.yaml": "{ broken",
        ])
        #expect(fixture.problems() == [])
    }

    @Test func anEmptyFileContributesNothing() throws {
        let fixture = try ManifestFixture(["empty.yaml": "# only a comment\n"])
        #expect(fixture.problems() == [])
    }

    @Test func missingDirectoryIsOneClearProblem() {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-manifests-\(UUID().uuidString)").path
        guard case .failure(let problems) = ManifestLoader.load(directory: URL(fileURLWithPath: path), catalog: .builtIn) else {
            Issue.record("a missing directory loaded"); return
        }
        #expect(problems.problems.count == 1)
        #expect(problems.description.hasPrefix("\(path):1:1: manifest directory `\(path)` does not exist — "))
    }

    @Test func directoryWithoutYamlIsOneClearProblem() throws {
        let fixture = try ManifestFixture(["README.md": "# nothing here\n"], base: false)
        #expect(fixture.problemValues().count == 1)
        #expect(fixture.problemValues().first?.message == "no *.yaml or *.yml manifest in `\(fixture.directory.path)`")
    }

    @Test func problemPathsKeepTheDirectoryAsGiven() throws {
        // Given a relative directory path, problems name files relative to it, as the user typed it
        let fixture = try ManifestFixture(["test.yaml": "organisation: Again\n"])
        let parent = fixture.directory.deletingLastPathComponent()
        let relative = URL(fileURLWithPath: fixture.directory.lastPathComponent, relativeTo: parent)
        guard case .failure(let problems) = ManifestLoader.load(directory: relative, catalog: .builtIn) else {
            Issue.record("loaded despite a second organisation"); return
        }
        #expect(problems.problems.map(\.file) == ["\(fixture.directory.lastPathComponent)/test.yaml"])
    }

    @Test func problemsAreDescribedOnePerLineSortedByFileLineAndColumn() {
        let problems = ManifestProblems(problems: [
            ManifestProblem(file: "m/b.yaml", line: 2, column: 1, message: "second", fix: "fix b"),
            ManifestProblem(file: "m/a.yaml", line: 10, column: 3, message: "third", fix: "fix c"),
            ManifestProblem(file: "m/a.yaml", line: 10, column: 1, message: "first", fix: "fix a"),
            ManifestProblem(file: "m/a.yaml", line: 9, column: 7, message: "zeroth", fix: "fix z"),
        ])
        #expect(problems.description == """
            m/a.yaml:9:7: zeroth — fix z
            m/a.yaml:10:1: first — fix a
            m/a.yaml:10:3: third — fix c
            m/b.yaml:2:1: second — fix b
            """)
    }
}

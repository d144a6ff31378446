import Foundation
import Checks
import Testing
@testable import Core
@testable import Manifests

/// Sources: known kinds, credentials named by environment variable, and facts for every check.
@Suite struct SourceValidationTests {
    @Test func unknownSourceKindListsTheKnownOnes() throws {
        let fixture = try ManifestFixture(["test.yaml": "sources:\n  - id: gh\n    kind: githb\n"])
        #expect(fixture.problems() == ["test.yaml:3:11: unknown source kind `githb`"])
        #expect(fixture.fixes() == ["did you mean `github`? known kinds: \(Catalog.builtIn.sourceKinds.map(\.name).joined(separator: ", "))"])
    }

    @Test func credentialThatLooksLikeASecretIsRefusedWithoutEchoingIt() throws {
        let fixture = try ManifestFixture(["test.yaml": "sources:\n  - id: gh\n    kind: github\n    credentials: {token: ghp_0123456789abcdefSECRET}\n    settings: {organization: acme}\n"])
        let problems = fixture.problemValues()
        #expect(fixture.problems() == [
            "test.yaml:4:26: credential `token` of source `gh` does not look like an environment variable name",
        ])
        #expect(problems.first?.fix.hasPrefix("name the environment variable, never the value") == true)
        #expect(!problems.map(\.description).joined().contains("ghp_0123456789abcdefSECRET"))
    }

    @Test func lowerCaseVariableNameIsNotAnEnvironmentVariable() {
        #expect(ManifestFileDecoder.isEnvironmentVariableName("GITHUB_TOKEN"))
        #expect(ManifestFileDecoder.isEnvironmentVariableName("_X1"))
        #expect(!ManifestFileDecoder.isEnvironmentVariableName("github_token"))
        #expect(!ManifestFileDecoder.isEnvironmentVariableName("1TOKEN"))
        #expect(!ManifestFileDecoder.isEnvironmentVariableName("AKIA/abc+def="))
        #expect(!ManifestFileDecoder.isEnvironmentVariableName(""))
    }

    @Test func unknownCredentialRoleIsReportedAndALeftOutRoleTakesItsDefaultVariable() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            sources:
              - id: gh
                kind: github
                credentials: {tokn: GITHUB_TOKEN}
                settings: {organization: acme}
              - {id: aws, kind: aws}

            """])
        #expect(fixture.problems() == ["test.yaml:4:19: unknown credential `tokn` for source `gh`"])
        #expect(fixture.fixes() == ["did you mean `token`?"])
        // The documented defaults apply to the roles left out.
        let defaulted = try ManifestFixture(["test.yaml": "sources:\n  - {id: aws, kind: aws, credentials: {secret_access_key: S}}\n"])
        #expect(defaulted.config()?.sources.last?.credentialVariables == ["access_key_id": "AWS_ACCESS_KEY_ID", "secret_access_key": "S"])
    }

    @Test func requiredRoleWithoutADefaultVariableMustBeNamed() throws {
        // Given a kind whose required role has no default variable
        var catalog = Catalog.builtIn
        catalog.sourceKinds.append(SourceKind(name: "vault", summary: "a test kind", provides: [.accounts],
                                              credentials: [CredentialRole("token", help: "a token"),
                                                            CredentialRole("role_id", default: "VAULT_ROLE_ID", help: "a role")]))
        let fixture = try ManifestFixture(["test.yaml": "sources:\n  - {id: v, kind: vault}\n"])
        // Then only that role is reported; the one with a default takes it
        #expect(fixture.problems(catalog: catalog) == ["test.yaml:2:5: source `v` of kind `vault` has no credential `token`"])
        let named = try ManifestFixture(["test.yaml": "sources:\n  - {id: v, kind: vault, credentials: {token: VAULT_TOKEN}}\n"])
        #expect(try named.load(catalog: catalog).get().sources.last?.credentialVariables == ["token": "VAULT_TOKEN", "role_id": "VAULT_ROLE_ID"])
    }

    @Test func settingsAreTypedByTheKindsSchema() throws {
        let fixture = try ManifestFixture(["test.yaml": "sources:\n  - {id: hr, kind: csv_hr, settings: {path: hr.csv, skip_bad_rows: true}}\n"
                                           + "  - {id: okta, kind: okta, settings: {base_url: \"https://acme.okta.com\", concurrency: 2}}\n"])
        #expect(fixture.config()?.sources.first { $0.id == "hr" }?.settings == ["path": .string("hr.csv"), "skip_bad_rows": .bool(true)])
        #expect(fixture.config()?.sources.first { $0.id == "okta" }?.settings == ["base_url": .string("https://acme.okta.com"), "concurrency": .number(2)])
        let wrong = try ManifestFixture(["test.yaml": "sources:\n  - {id: hr, kind: csv_hr, settings: hr.csv}\n"])
        #expect(wrong.problems() == ["test.yaml:2:38: `settings` must be a mapping, not text"])
    }

    @Test func namedSourceThatProvidesNoNeededFactIsReported() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            sources:
              - {id: okta, kind: okta, credentials: {token: OKTA_TOKEN}, settings: {base_url: "https://acme.okta.com"}}

            """ + ManifestFixture.control(["check": "{type: storage_encryption, sources: [demo, okta]}"])])
        #expect(fixture.problems() == [
            "test.yaml:10:55: source `okta` (kind `okta`) provides none of the facts check `storage_encryption` reads (`buckets`)",
        ])
        #expect(fixture.fixes() == ["name a source of kind `demo`, `aws`, `gcp` or `azure`, or remove it"])
    }

    @Test func namedSourcesMustTogetherProvideEveryNeededFact() throws {
        // Given an offboarding check that names only an account source: it cannot know who left
        let fixture = try ManifestFixture(["test.yaml": """
            sources:
              - {id: gh, kind: github, credentials: {token: GITHUB_TOKEN}, settings: {organization: acme}}

            """ + ManifestFixture.control(["check": "{type: offboarding, sources: [gh]}"])])
        #expect(fixture.problems() == [
            "test.yaml:10:42: none of the sources of control `c1` provides the `people` facts check `offboarding` reads",
        ])
        #expect(fixture.fixes() == [
            "add a source of kind `demo`, `bamboohr` or `csv_hr` to `check.sources`, or leave `sources` out to read every source",
        ])
    }

    @Test func checkWithoutSourcesNeedsAConfiguredSourceForEachFact() throws {
        // Given an organisation whose only source is GitHub
        let fixture = try ManifestFixture(["test.yaml": """
            organisation: Test Co
            security_leads: [lead]
            people:
              - {id: lead, name: Lee Lead, email: lead@test.example}
            teams:
              - {id: sec, name: Security, channels: {default: {slack: C1}}}
            sources:
              - {id: gh, kind: github, credentials: {token: GITHUB_TOKEN}, settings: {organization: acme}}

            """ + ManifestFixture.control(["check": "{type: device_encryption}"])
                + ManifestFixture.control(["id": "c2", "check": "{type: branch_protection}"]).replacingOccurrences(of: "controls:\n", with: "")],
            base: false)
        // Then the device check has no source of devices; the branch check is fine with GitHub
        #expect(fixture.problems() == [
            "test.yaml:16:12: no configured source provides the `devices` facts check `device_encryption` of control `c1` reads",
        ])
        #expect(fixture.fixes() == ["add a source of kind `demo`, `jamf`, `intune` or `fleet` under `sources`"])
    }
}

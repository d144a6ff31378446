import Foundation
import Testing
@testable import Core
@testable import Manifests

/// Sources: known kinds, credentials named by environment variable, and facts for every check.
@Suite struct SourceValidationTests {
    @Test func unknownSourceKindListsTheKnownOnes() throws {
        let fixture = try ManifestFixture(["test.yaml": "sources:\n  - id: gh\n    kind: githb\n"])
        #expect(fixture.problems() == ["test.yaml:3:11: unknown source kind `githb`"])
        #expect(fixture.fixes() == ["did you mean `github`? known kinds: \(SourceKind.known.map(\.name).joined(separator: ", "))"])
    }

    @Test func credentialThatLooksLikeASecretIsRefusedWithoutEchoingIt() throws {
        let fixture = try ManifestFixture(["test.yaml": "sources:\n  - id: gh\n    kind: github\n    credentials: {token: ghp_0123456789abcdefSECRET}\n"])
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

    @Test func unknownAndMissingCredentialRolesAreReported() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            sources:
              - id: gh
                kind: github
                credentials: {tokn: GITHUB_TOKEN}
              - {id: aws, kind: aws}

            """])
        #expect(fixture.problems() == [
            "test.yaml:4:5: source `gh` of kind `github` has no credential `token`",
            "test.yaml:4:19: unknown credential `tokn` for source `gh`",
            "test.yaml:5:5: source `aws` of kind `aws` has no credential `access_key_id`, `secret_access_key`",
        ])
        #expect(fixture.fixes() == [
            "name the environment variable holding each, e.g. `credentials: {token: GH_TOKEN}`",
            "did you mean `token`?",
            "name the environment variable holding each, e.g. `credentials: {access_key_id: AWS_ACCESS_KEY_ID, secret_access_key: AWS_SECRET_ACCESS_KEY}`",
        ])
    }

    @Test func settingsKeepEveryValueType() throws {
        let fixture = try ManifestFixture(["test.yaml": "sources:\n  - {id: hr, kind: csv_hr, settings: {path: hr.csv, header: true, skip: 2}}\n"])
        #expect(fixture.config()?.sources.last?.settings == ["path": .string("hr.csv"), "header": .bool(true), "skip": .number(2)])
        let wrong = try ManifestFixture(["test.yaml": "sources:\n  - {id: hr, kind: csv_hr, settings: hr.csv}\n"])
        #expect(wrong.problems() == ["test.yaml:2:38: `settings` must be a mapping, not text"])
    }

    @Test func namedSourceThatProvidesNoNeededFactIsReported() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            sources:
              - {id: okta, kind: okta, credentials: {token: OKTA_TOKEN}}

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
              - {id: gh, kind: github, credentials: {token: GITHUB_TOKEN}}

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
              - {id: gh, kind: github, credentials: {token: GITHUB_TOKEN}}

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

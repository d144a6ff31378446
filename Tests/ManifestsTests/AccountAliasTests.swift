import Foundation
import Testing
@testable import Core
@testable import Manifests

/// `people[].accounts`: the logins a person has in systems whose accounts carry no e-mail.
@Suite struct AccountAliasTests {
    @Test func loginsAreReadPerSystemAsOneOrAList() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            people:
              - id: dana
                name: Dana Reyes
                email: dana@test.example
                team: sec
                accounts: {GitHub: dana-r, gitlab: [dreyes, dana2]}

            """])
        #expect(fixture.problems() == [])
        let dana = try #require(fixture.config()?.person("dana"))
        #expect(dana.accounts == ["github": ["dana-r"], "gitlab": ["dreyes", "dana2"]])
    }

    @Test func malformedAliasesAreReported() throws {
        let problems = try ManifestFixture(["test.yaml": """
            people:
              - {id: dana, name: Dana, email: dana@test.example, team: sec, accounts: [dana-r]}
              - {id: omar, name: Omar, email: omar@test.example, team: sec, accounts: {github: "omar r"}}

            """]).problems()
        #expect(problems.contains { $0.contains("`accounts` of person `dana` must be a mapping of system to login") })
        #expect(problems.contains { $0.contains("`accounts.github` of person `omar` has an empty login or one with spaces") })
    }

    @Test func webhookSecretsAreOptionalCredentials() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            sources:
              - {id: github, kind: github, credentials: {token: GITHUB_TOKEN, webhook_secret: GITHUB_WEBHOOK_SECRET}, settings: {organization: northwind}}
              - {id: okta, kind: okta, credentials: {token: OKTA_API_TOKEN, event_hook_secret: OKTA_EVENT_HOOK_SECRET}, settings: {base_url: "https://n.okta.com"}}

            """])
        #expect(fixture.problems() == [])
        #expect(fixture.config()?.sources.first { $0.id == "github" }?.credentialVariables["webhook_secret"] == "GITHUB_WEBHOOK_SECRET")
    }
}

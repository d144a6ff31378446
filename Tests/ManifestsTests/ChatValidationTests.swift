import Foundation
import Testing
@testable import Core
@testable import Manifests

/// `chat:` — how the bot reaches each platform, with tokens named by environment variable.
@Suite struct ChatValidationTests {
    @Test func slackIsReadWithItsTokenVariables() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            chat:
              slack: {bot_token: SLACK_BOT_TOKEN, app_token: SLACK_APP_TOKEN, signing_secret: SLACK_SIGNING_SECRET, api_base_url: "https://slack.proxy.example/api"}

            """])
        #expect(fixture.problems() == [])
        let slack = try #require(fixture.config()?.chat.slack)
        #expect(slack == ChatConfig.Slack(botTokenVariable: "SLACK_BOT_TOKEN", appTokenVariable: "SLACK_APP_TOKEN",
                                          signingSecretVariable: "SLACK_SIGNING_SECRET", apiBaseURL: "https://slack.proxy.example/api/"))
        #expect(fixture.config()?.chat.variables == ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"])
    }

    @Test func noChatSectionMeansNoPlatformBeyondTheTerminal() throws {
        #expect(try ManifestFixture([:]).config()?.chat == ChatConfig())
    }

    @Test func badChatSettingsAreEachReportedWithoutEchoingSecrets() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            chat:
              slack: {app_token: xapp-1-A0-123-abcdef, api_base_url: "slack dot com", bot_tokn: X}
              matrix: {}

            """])
        let problems = fixture.problems()
        #expect(problems.contains("test.yaml:3:3: unknown key `matrix`"))
        #expect(problems.contains("test.yaml:2:10: `chat.slack` has no `bot_token`"))
        #expect(problems.contains { $0.hasPrefix("test.yaml:2:") && $0.contains("unknown key `bot_tokn`") })
        #expect(problems.contains { $0.contains("`chat.slack.app_token` does not look like an environment variable name") })
        #expect(problems.contains { $0.contains("`chat.slack.api_base_url` is not an http(s) URL") })
        #expect(!problems.joined().contains("xapp-1-A0-123-abcdef"))
    }

    @Test func chatMayBeSetOnlyOnce() throws {
        let fixture = try ManifestFixture(["a.yaml": "chat: {slack: {bot_token: A}}\n", "b.yaml": "chat: {slack: {bot_token: B}}\n"])
        #expect(fixture.problems().contains { $0.hasPrefix("b.yaml:1:1: `chat` is set again") })
    }
}

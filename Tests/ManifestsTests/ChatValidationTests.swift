import Chat
import Checks
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
              telegram: {}

            """])
        let problems = fixture.problems()
        #expect(problems.contains { $0.hasPrefix("test.yaml:3:3: unknown key `telegram`") })
        #expect(problems.contains("test.yaml:2:10: `chat.slack` has no `bot_token`"))
        #expect(problems.contains { $0.hasPrefix("test.yaml:2:") && $0.contains("unknown key `bot_tokn`") })
        #expect(problems.contains { $0.contains("`chat.slack.app_token` does not look like an environment variable name") })
        #expect(problems.contains { $0.contains("`chat.slack.api_base_url` `slack dot com`") })
        #expect(!problems.joined().contains("xapp-1-A0-123-abcdef"))
    }

    @Test func chatMayBeSetOnlyOnce() throws {
        let fixture = try ManifestFixture(["a.yaml": "chat: {slack: {bot_token: A}}\n", "b.yaml": "chat: {slack: {bot_token: B}}\n"])
        #expect(fixture.problems().contains { $0.hasPrefix("b.yaml:1:1: `chat` is set again") })
    }

    @Test func httpModeWithWorkspaceAndAppAndTheServerAddress() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            chat:
              slack: {mode: http, bot_token: SLACK_BOT_TOKEN, signing_secret: SLACK_SIGNING_SECRET, team_id: T0NORTHWND, app_id: A0SOC2BOT1}
            server:
              listen: "0.0.0.0:3000"

            """])
        #expect(fixture.problems() == [])
        let config = try #require(fixture.config())
        #expect(config.chat.slack == ChatConfig.Slack(botTokenVariable: "SLACK_BOT_TOKEN", signingSecretVariable: "SLACK_SIGNING_SECRET",
                                                     mode: .http, teamID: "T0NORTHWND", appID: "A0SOC2BOT1"))
        #expect(config.server == ServerConfig(host: "0.0.0.0", port: 3000))
        #expect(config.inboundServer == ServerConfig(host: "0.0.0.0", port: 3000))
    }

    @Test func socketModeIsTheDefaultAndNeedsNoServer() throws {
        let fixture = try ManifestFixture(["test.yaml": "chat:\n  slack: {bot_token: SLACK_BOT_TOKEN, app_token: SLACK_APP_TOKEN}\n"])
        let config = try #require(fixture.config())
        #expect(config.chat.slack?.mode == .socket)
        #expect(config.server == nil)
        #expect(config.inboundServer == nil)
    }

    @Test func httpModeWithoutAServerListensOnLoopback() throws {
        let fixture = try ManifestFixture(["test.yaml": "chat:\n  slack: {mode: http, bot_token: SLACK_BOT_TOKEN, signing_secret: SLACK_SIGNING_SECRET}\n"])
        #expect(try #require(fixture.config()).inboundServer == .standard)
    }

    @Test func eachTransportNeedsItsSecretAndBadIdsAreReported() throws {
        let fixture = try ManifestFixture([
            "a.yaml": "chat:\n  slack: {bot_token: SLACK_BOT_TOKEN, team_id: northwind, app_id: A0SOC2BOT1}\n",
            "b.yaml": "server: {listen: \"localhost\"}\n",
        ])
        let problems = fixture.problems()
        #expect(problems.contains("a.yaml:2:10: `chat.slack` uses Socket Mode but has no `app_token`"))
        #expect(problems.contains { $0.hasPrefix("a.yaml:2:") && $0.contains("`chat.slack.team_id` `northwind` is not a Slack id") })
        #expect(problems.contains { $0.hasPrefix("b.yaml:1:18: `server.listen` `localhost` is not host:port") })

        let http = try ManifestFixture(["a.yaml": "chat:\n  slack: {mode: https, bot_token: SLACK_BOT_TOKEN}\n"]).problems()
        #expect(http.contains { $0.hasPrefix("a.yaml:2:") && $0.contains("`chat.slack.mode`: `https` is not allowed") })
        let noSecret = try ManifestFixture(["a.yaml": "chat:\n  slack: {mode: http, bot_token: SLACK_BOT_TOKEN}\n"]).problems()
        #expect(noSecret.contains("a.yaml:2:10: `chat.slack` uses HTTP mode but has no `signing_secret`"))
    }

    @Test func listenAddresses() {
        #expect(ManifestFileDecoder.listenAddress("127.0.0.1:8080") == ServerConfig(host: "127.0.0.1", port: 8080))
        #expect(ManifestFileDecoder.listenAddress("[::1]:443") == ServerConfig(host: "::1", port: 443))
        for bad in ["8080", ":8080", "host:0", "host:65536", "host:http", "a b:80"] {
            #expect(ManifestFileDecoder.listenAddress(bad) == nil, "\(bad)")
        }
    }

    @Test func theSlackAppManifestBesideTheManifestsIsNotReadAsOne() throws {
        let fixture = try ManifestFixture(["slack-app.yaml": "_metadata: {major_version: 1}\ndisplay_information: {name: soc2bot}\n"])
        #expect(!fixture.problems().joined().contains("slack-app.yaml"))
    }

    @Test func matrixIsReadWithItsAccountAndSecretVariable() throws {
        let fixture = try ManifestFixture(["test.yaml": """
            chat:
              matrix: {homeserver: "https://matrix.northwind.example/", user_id: "@soc2bot:northwind.example", access_token: MATRIX_ACCESS_TOKEN}

            """])
        #expect(fixture.problems() == [])
        #expect(fixture.config()?.chat.matrix == ChatConfig.Matrix(homeserver: "https://matrix.northwind.example", userID: "@soc2bot:northwind.example",
                                                                   accessTokenVariable: "MATRIX_ACCESS_TOKEN"))
        #expect(fixture.config()?.chat.variables == ["MATRIX_ACCESS_TOKEN"])
    }

    @Test func badMatrixSettingsAreEachReported() throws {
        let problems = try ManifestFixture(["test.yaml": """
            chat:
              matrix: {homeserver: "matrix dot org", user_id: soc2bot, password: "hunter2!", device_id: "my device"}

            """]).problems()
        #expect(problems.contains { $0.contains("`chat.matrix.homeserver` `matrix dot org`") })
        #expect(problems.contains { $0.contains("`chat.matrix.user_id` `soc2bot` is not a Matrix user id") })
        #expect(problems.contains { $0.contains("`chat.matrix.password` does not look like an environment variable name") })
        #expect(problems.contains { $0.contains("`chat.matrix.device_id` `my device` is not a device id") })
        #expect(!problems.joined().contains("hunter2"))
        let none = try ManifestFixture(["test.yaml": "chat:\n  matrix: {homeserver: \"https://m.example\", user_id: \"@b:m.example\"}\n"]).problems()
        #expect(none.contains { $0.contains("`chat.matrix` has neither `access_token` nor `password`") })
    }

    /// A platform is the catalog's: one the build's Core and Manifests have never heard of is configured, checked and
    /// routed to from its description alone, with every problem at its file:line.
    @Test func aPlatformIsConfiguredFromItsDescriptionAlone() throws {
        let teams = ChatPlatformKind(
            platform: ChatPlatform("teams"), summary: "a test platform",
            settings: [SettingSpec("app_password", .string, required: true, help: "the variable holding the app password"),
                       SettingSpec("tenant", .string, help: "the tenant id"),
                       SettingSpec("service_url", .url, default: .string("https://smba.example/"), help: "the connector")],
            variables: ["app_password"], directsByEmail: true, ownFiles: ["teams-app.yaml"],
            check: { values in
                values["tenant"]?.string == "common" ? [ChatSettingsProblem(key: "tenant", message: "`chat.teams.tenant` must name one tenant", fix: "write its id")] : []
            },
            needsInboundServer: { _ in true })
        var catalog = Catalog.builtIn
        catalog.chatPlatforms.append(teams)

        let good = try ManifestFixture(["test.yaml": """
            chat:
              teams: {app_password: TEAMS_APP_PASSWORD, tenant: northwind}
            routing:
              default: {teams: "19:security"}

            """, "teams-app.yaml": "manifestVersion: 1.16\n"])
        #expect(good.problems(catalog: catalog) == [])
        let config = try good.load(catalog: catalog).get()
        let block = try #require(config.chat[ChatPlatform("teams")])
        #expect(block.values == ["app_password": .string("TEAMS_APP_PASSWORD"), "tenant": .string("northwind")])
        #expect(config.chat.variables == ["TEAMS_APP_PASSWORD"])
        #expect(block.directsByEmail && config.inboundServer == .standard)
        #expect(config.defaultChannels == [ChatPlatform("teams"): "19:security"])
        #expect(try teams.described(block.values).url("service_url").absoluteString == "https://smba.example/")

        let bad = try ManifestFixture(["test.yaml": """
            chat:
              teams: {app_pasword: x, tenant: common, service_url: "not a url"}

            """]).problems(catalog: catalog)
        #expect(bad.contains { $0.hasPrefix("test.yaml:2:11: unknown key `app_pasword`") })
        #expect(bad.contains("test.yaml:2:10: `chat.teams` has no `app_password`"))
        #expect(bad.contains { $0.hasPrefix("test.yaml:2:") && $0.contains("`chat.teams.tenant` must name one tenant") })
        #expect(bad.contains { $0.contains("`chat.teams.service_url` `not a url`") })
        // Without the platform in the catalog, it is an unknown key and an unknown platform.
        #expect(try ManifestFixture(["test.yaml": "chat:\n  teams: {app_password: X}\n"]).problems().contains { $0.hasPrefix("test.yaml:2:3: unknown key `teams`") })
    }
}

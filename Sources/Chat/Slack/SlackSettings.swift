import Core
import Foundation

extension ChatPlatform {
    /// Slack: `chat.slack` in the manifests.
    package static let slack: ChatPlatform = "slack"
}

/// Slack's `chat.slack` block, typed: read from its validated values through `SlackSettings.kind`'s specs.
package struct SlackSettings: Codable, Sendable, Equatable {
    /// How Slack reaches the bot with commands, button clicks and modal submissions.
    package enum Mode: String, Codable, Sendable, CaseIterable {
        /// A WebSocket the bot opens to Slack (`apps.connections.open`): no public URL needed. The default.
        case socket
        /// Slack POSTs signed requests to the bot's inbound server (`server.listen`), behind a public URL.
        case http
    }
    /// Environment variable holding the bot token (`xoxb-…`).
    package var botTokenVariable: String
    /// Environment variable holding the app-level token (`xapp-…`) for Socket Mode.
    package var appTokenVariable: String?
    /// Environment variable holding the signing secret for HTTP mode.
    package var signingSecretVariable: String?
    /// The Web API base URL, ending in `/`; `https://slack.com/api/` when nil (tests and proxies set it).
    package var apiBaseURL: String?
    package var mode: Mode
    /// The workspace (`T…`) allowed to send commands; requests from any other team are refused. Nil: any.
    package var teamID: String?
    /// The app (`A…`) whose requests are accepted; requests for another app are refused. Nil: any.
    package var appID: String?

    package init(botTokenVariable: String, appTokenVariable: String? = nil, signingSecretVariable: String? = nil, apiBaseURL: String? = nil,
                 mode: Mode = .socket, teamID: String? = nil, appID: String? = nil) {
        self.botTokenVariable = botTokenVariable; self.appTokenVariable = appTokenVariable
        self.signingSecretVariable = signingSecretVariable; self.apiBaseURL = apiBaseURL
        self.mode = mode; self.teamID = teamID; self.appID = appID
    }

    /// The block read through its specs (`chat.slack`'s values as validation keeps them).
    package init(_ settings: DescribedSettings) throws {
        let base = try settings.url(ifSet: "api_base_url").map(\.absoluteString)
        self.init(botTokenVariable: try settings.string("bot_token"), appTokenVariable: try settings.string(ifSet: "app_token"),
                  signingSecretVariable: try settings.string(ifSet: "signing_secret"),
                  apiBaseURL: base.map { $0.hasSuffix("/") ? $0 : $0 + "/" },
                  mode: Mode(rawValue: try settings.string("mode")) ?? .socket,
                  teamID: try settings.string(ifSet: "team_id"), appID: try settings.string(ifSet: "app_id"))
    }

    /// The block's values, as the manifests would write them.
    package var values: [String: ConfigValue] {
        var values: [String: ConfigValue] = ["bot_token": .string(botTokenVariable), "mode": .string(mode.rawValue)]
        values["app_token"] = appTokenVariable.map(ConfigValue.string)
        values["signing_secret"] = signingSecretVariable.map(ConfigValue.string)
        values["api_base_url"] = apiBaseURL.map(ConfigValue.string)
        values["team_id"] = teamID.map(ConfigValue.string)
        values["app_id"] = appID.map(ConfigValue.string)
        return values
    }

    /// What the manifests and the reference know of Slack: `chat.slack`'s keys and what they need.
    package static let kind = ChatPlatformKind(
        platform: .slack,
        summary: "Slack: alerts as Block Kit messages edited in place; `/soc2` commands, buttons and forms over Socket Mode or HTTP mode",
        settings: [
            SettingSpec("bot_token", .string, required: true, help: "the environment variable holding the xoxb- bot token"),
            SettingSpec("mode", .oneOf(Mode.allCases.map(\.rawValue)), default: .string(Mode.socket.rawValue),
                        help: "how Slack reaches the bot: `socket` (Socket Mode: no public URL, needs `app_token`) or `http` (signed requests to `server.listen`, needs `signing_secret`)"),
            SettingSpec("app_token", .string, help: "for mode `socket`: the environment variable holding the xapp- app-level token (connections:write)"),
            SettingSpec("signing_secret", .string, help: "for mode `http`: the environment variable holding the app's signing secret; unsigned requests are never accepted"),
            SettingSpec("team_id", .string, help: "the workspace (`T…`) allowed; requests from any other are refused"),
            SettingSpec("app_id", .string, help: "the app (`A…`) whose requests are accepted"),
            SettingSpec("api_base_url", .url, help: "the Web API base (tests, proxies); default `https://slack.com/api/`"),
        ],
        variables: ["bot_token", "app_token", "signing_secret"],
        directsByEmail: true,
        ownFiles: ["slack-app.yaml", "slack-app.yml"],
        check: problems,
        needsInboundServer: { $0["mode"]?.string == Mode.http.rawValue })

    /// Ids in Slack's format, and the secret the mode needs.
    @Sendable static func problems(_ values: [String: ConfigValue]) -> [ChatSettingsProblem] {
        var problems: [ChatSettingsProblem] = []
        for (key, prefix, example) in [("team_id", Character("T"), "T024BE7LD"), ("app_id", Character("A"), "A0123ABCD")] {
            guard let value = values[key]?.string else { continue }
            guard value.first == prefix, value.count >= 3, value.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }) else {
                problems.append(.init(key: key, message: "`chat.slack.\(key)` `\(value)` is not a Slack id",
                                      fix: "write the id Slack shows, e.g. `\(example)` (upper-case letters and digits starting with \(prefix))"))
                continue
            }
        }
        let mode = values["mode"]?.string.flatMap(Mode.init(rawValue:)) ?? .socket
        if mode == .socket && values["app_token"] == nil {
            problems.append(.init(key: nil, message: "`chat.slack` uses Socket Mode but has no `app_token`",
                                  fix: "add `app_token: SLACK_APP_TOKEN` (the variable holding the xapp- token with connections:write), or set `mode: http`"))
        }
        if mode == .http && values["signing_secret"] == nil {
            problems.append(.init(key: nil, message: "`chat.slack` uses HTTP mode but has no `signing_secret`",
                                  fix: "add `signing_secret: SLACK_SIGNING_SECRET` (the variable holding the app's signing secret): unsigned requests are never accepted"))
        }
        return problems
    }
}

extension SlackAdapter {
    package var kind: ChatPlatformKind { SlackSettings.kind }
}

extension ChatConfig {
    /// The name Slack's settings had when Core declared them.
    package typealias Slack = SlackSettings

    /// `chat.slack`, typed; nil when the manifests do not configure Slack.
    package var slack: SlackSettings? {
        get { self[.slack].flatMap { try? SlackSettings(SlackSettings.kind.described($0.values)) } }
        set { self[.slack] = newValue.map { SlackSettings.kind.configured($0.values) } }
    }
}

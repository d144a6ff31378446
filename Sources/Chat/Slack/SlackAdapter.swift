import Core
import Foundation

/// Slack: configured by `chat.slack`; delivers through the Web API with the bot token.
package struct SlackAdapter: ChatAdapter {
    package init() {}
    package var platform: ChatPlatform { .slack }
    package var commandPrefix: String { "/soc2" }

    /// The Web API with the bot token read from the variable `chat.slack.bot_token` names; Slack's pacing runs on the
    /// bot's clock.
    package func connect(_ config: BotConfig, _ context: ChatContext) async throws -> (any ChatConnection)? {
        guard let slack = config.chat.slack else { return nil }
        guard let token = context.environment[slack.botTokenVariable], !token.isEmpty else {
            throw ChatSetupError(description: "chat.slack is configured but the environment variable \(slack.botTokenVariable) (the bot token) is not set")
        }
        guard let base = URL(string: slack.apiBaseURL ?? "https://slack.com/api/") else {
            throw ChatSetupError(description: "chat.slack.api_base_url is not a URL")
        }
        let api = SlackWebAPI(baseURL: base, token: token, transport: context.transport)
        return SlackConnection(api: api, surface: SlackSurface(api: api, clock: context.clock))
    }
}

/// The bot's Slack workspace: the Web API with the bot token, and the surface over it.
package struct SlackConnection: ChatConnection {
    package let api: SlackWebAPI
    package let surface: any ChatSurface
}

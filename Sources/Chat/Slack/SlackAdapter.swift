import Core
import Foundation
import HTTP

/// Slack: configured by `chat.slack`; delivers through the Web API with the bot token, and hears people through
/// Socket Mode (a listener) or HTTP mode (routes of the inbound server), as `chat.slack.mode` says; the mode's secret
/// (the app-level token, the signing secret) is read when the inbound side is built.
package struct SlackAdapter: ChatAdapter {
    package init() {}
    package var platform: ChatPlatform { .slack }
    package var commandPrefix: String { "/soc2" }
    package var capturedHeaders: [String] { SlackHTTPEndpoint.capturedHeaders }

    package func unserved(path: String) -> String? {
        SlackHTTPEndpoint.paths.contains(path) ? "Slack HTTP mode is not configured (chat.slack.mode: http)" : nil
    }

    /// The Web API with the bot token read from the variable `chat.slack.bot_token` names; Slack's pacing runs on the
    /// bot's clock.
    package func connect(_ config: BotConfig, _ context: ChatContext) async throws -> (any ChatConnection)? {
        guard let slack = config.chat.slack else { return nil }
        let token = try Self.secret(slack.botTokenVariable, "the bot token", of: slack, in: context.environment)
        guard let base = URL(string: slack.apiBaseURL ?? "https://slack.com/api/") else {
            throw ChatSetupError(description: "chat.slack.api_base_url is not a URL")
        }
        let api = SlackWebAPI(baseURL: base, token: token, transport: context.transport)
        return SlackConnection(api: api, surface: SlackSurface(api: api, clock: context.clock), config: config, base: base,
                               transport: context.transport, clock: context.clock)
    }

    /// The value of the secret `variable` names in `environment`: a configured secret whose variable is unset is an
    /// error, the bot must not run deaf.
    static func secret(_ variable: String?, _ what: String, of slack: ChatConfig.Slack, in environment: [String: String]) throws -> String {
        guard let variable else { throw ChatSetupError(description: "chat.slack needs \(what) for mode \(slack.mode.rawValue)") }
        guard let value = environment[variable], !value.isEmpty else {
            throw ChatSetupError(description: "chat.slack is configured but the environment variable \(variable) (\(what)) is not set")
        }
        return value
    }
}

/// The bot's Slack workspace: the Web API with the bot token, the surface over it, and how people reach the bot.
package struct SlackConnection: ChatConnection {
    package let api: SlackWebAPI
    package let surface: any ChatSurface
    let config: BotConfig
    /// The Web API's base URL (a local stand-in's when `chat.slack.api_base_url` says so).
    let base: URL
    let transport: any HTTPTransport
    /// The bot's clock (the directory's cache of who is who runs on it).
    let clock: any BotClock
    /// Hosts a `response_url` may point at: Slack's, and the configured API base's (a local stand-in).
    var responseHosts: Set<String> { Set(["hooks.slack.com", base.host].compactMap { $0 }) }
    var slack: ChatConfig.Slack { config.chat.slack! }

    /// Slash commands, clicks and forms, handed to `bot`; Slack's 3 s answer budget runs on the wire clock.
    func interactions(_ bot: any ChatBot, _ context: ChatInboundContext) -> SlackInteractions {
        SlackInteractions(bot: bot, directory: SlackDirectory(config: config, api: api, clock: clock), api: api, settings: slack,
                          tasks: context.tasks, transport: transport, logger: context.logger, answerClock: context.wireClock,
                          responseHosts: responseHosts)
    }

    /// Socket Mode (`chat.slack.mode: socket`) with the app-level token, connected from start until its task is
    /// cancelled; its health is the integration's.
    package func listeners(_ bot: any ChatBot, _ context: ChatInboundContext) throws -> [ChatListener] {
        guard slack.mode == .socket else { return [] }
        let appAPI = SlackWebAPI(baseURL: base, token: try SlackAdapter.secret(slack.appTokenVariable, "the app-level token", of: slack, in: context.environment),
                                 transport: transport)
        let interactions = interactions(bot, context)
        let client = SlackSocketModeClient(
            api: appAPI, connect: WebSocketConnection.opener(caFile: context.caFile), logger: context.logger, seen: bot.seenRequests,
            health: { state in
                switch state {
                case .connected: bot.connectionHealth(.slack, problem: nil)
                case .credentialRejected(let problem): bot.connectionHealth(.slack, problem: problem)
                }
            },
            clock: context.wireClock, handler: { await interactions.envelope($0) })
        return [ChatListener(name: "slack socket mode") { await client.run() }]
    }

    /// HTTP mode: `/slack/commands`, `/slack/interactions`, `/slack/events`, verified with the signing secret.
    package func routes(_ bot: any ChatBot, _ context: ChatInboundContext) throws -> [ChatRoute] {
        guard slack.mode == .http else { return [] }
        let signingSecret = try SlackAdapter.secret(slack.signingSecretVariable, "the signing secret", of: slack, in: context.environment)
        return [SlackHTTPEndpoint(interactions: interactions(bot, context), signingSecret: signingSecret, logger: context.logger).route]
    }
}

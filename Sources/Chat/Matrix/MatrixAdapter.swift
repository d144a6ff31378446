import Core
import Foundation

/// Matrix: configured by `chat.matrix`; signs in to the homeserver (`MatrixSession`).
package struct MatrixAdapter: ChatAdapter {
    package init() {}
    package var platform: ChatPlatform { .matrix }
    /// `/` starts a client command in Matrix clients, so the bot listens for `!soc2`.
    package var commandPrefix: String { "!soc2" }

    /// Signs the bot in when `chat.matrix` is configured: with the access token (checked with `whoami`), else with
    /// the password as the configured device. A missing variable, a refused login or a token for another account is
    /// an error: the bot must not run half-connected.
    package func connect(_ config: BotConfig, _ context: ChatContext) async throws -> (any ChatConnection)? {
        guard let matrix = config.chat.matrix else { return nil }
        guard let homeserver = URL(string: matrix.homeserver) else { throw ChatSetupError(description: "chat.matrix.homeserver is not a URL") }
        func value(_ variable: String?) -> String? { variable.flatMap { context.environment[$0] }.flatMap { $0.isEmpty ? nil : $0 } }
        do {
            if let token = value(matrix.accessTokenVariable) {
                let client = MatrixClient(homeserver: homeserver, accessToken: token, transport: context.transport)
                let who = try await client.whoami()
                guard who == matrix.userID else {
                    throw ChatSetupError(description: "the Matrix access token belongs to \(who), not chat.matrix.user_id \(matrix.userID)")
                }
                return MatrixSession(client: client, userID: who)
            }
            if let password = value(matrix.passwordVariable) {
                let (client, who) = try await MatrixClient.login(homeserver: homeserver, user: matrix.userID, password: password,
                                                                  deviceID: matrix.deviceID, transport: context.transport)
                return MatrixSession(client: client, userID: who)
            }
        } catch let error as ChatSetupError {
            throw error
        } catch {
            throw ChatSetupError(description: "cannot sign in to Matrix at \(matrix.homeserver) as \(matrix.userID): \(error)")
        }
        let names = [matrix.accessTokenVariable, matrix.passwordVariable].compactMap { $0 }.joined(separator: " or ")
        throw ChatSetupError(description: "chat.matrix is configured but the environment variable \(names) is not set")
    }
}

/// The bot's signed-in Matrix account, and the surface that delivers as it.
package struct MatrixSession: ChatConnection {
    package let client: MatrixClient
    package let userID: String
    package let surface: any ChatSurface

    package init(client: MatrixClient, userID: String) {
        self.client = client; self.userID = userID
        self.surface = MatrixSurface(client: client, userID: userID)
    }

    /// The `/sync` loop (`MatrixInbound`).
    package func listeners(_ bot: any ChatBot, _ context: ChatInboundContext) -> [ChatListener] {
        let inbound = MatrixInbound(client: client, userID: userID, bot: bot, logger: context.logger, wireClock: context.wireClock)
        return [ChatListener(name: "matrix /sync", oneReplicaAtATime: true) { await inbound.run() }]
    }
}

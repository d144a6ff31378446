import Chat
import Core
import Foundation
import Logging
import Store

/// The bot as the platforms' inbound code sees it (`ChatBot`): the command handler, the database and the doorbell.
package struct EngineChatBot: ChatBot {
    let commands: CommandHandler
    let doorbell: Doorbell

    package init(commands: CommandHandler, doorbell: Doorbell) { self.commands = commands; self.doorbell = doorbell }

    var database: BotDatabase { commands.engine.database }
    package var clock: any BotClock { commands.clock }

    package func routedChannels(on platform: ChatPlatform) -> Set<String> {
        let config = commands.engine.config
        var channels = Set(config.teams.flatMap { team in Severity.allCases.compactMap { team.channels.channels(for: $0)[platform] } })
        if let fallback = config.defaultChannels[platform] { channels.insert(fallback) }
        return channels
    }

    package func command(_ text: String, from user: String, on platform: ChatPlatform, surface: Surface, handled: String?) throws -> ChatMessage {
        let answer = try commands.handle(text, from: user, on: platform, surface: surface, cursor: handled.map { ($0, "handled") })
        doorbell.ring()
        return answer
    }

    package func reply(_ message: ChatMessage, to destination: ChatDestination, txnID: String) throws {
        let payload = try StoreJSON.encode(message)
        let now = clock.now()
        try database.write { try $0.enqueueOnce(txnID: txnID, alert: nil, kind: .reply, destination: destination, payload: payload, at: now) }
        doorbell.ring()
    }

    package func alert(messageID: String, platform: ChatPlatform, channel: String) throws -> AlertID? {
        try database.read { try $0.alert(messageID: messageID, platform: platform, channel: channel) }
    }

    package func retryPending(to destination: ChatDestination) throws {
        let now = clock.now()
        try database.write { try $0.retryPending(to: destination, at: now) }
        doorbell.ring()
    }

    package func cursor(_ name: String) throws -> String? { try database.read { try $0.cursor(name) } }

    package func setCursor(_ name: String, _ value: String) throws { try database.write { try $0.setCursor(name, value) } }

    package func cursor(_ name: String, settingIfUnset value: String) throws -> String {
        try database.write { tx in
            if let kept = try tx.cursor(name) { return kept }
            try tx.setCursor(name, value)
            return value
        }
    }

    package func question(sender: String, root: String) throws -> ChatQuestion? {
        try database.read { try $0.matrixPrompt(sender: sender, root: root) }.map {
            ChatQuestion(sender: $0.sender, root: $0.root, room: $0.room, command: $0.command, expiresAt: $0.expiresAt)
        }
    }

    package func ask(_ question: ChatQuestion) throws {
        let now = clock.now()
        let prompt = MatrixPrompt(sender: question.sender, root: question.root, room: question.room, command: question.command, expiresAt: question.expiresAt)
        try database.write { try $0.saveMatrixPrompt(prompt, now: now) }
    }

    package func forget(sender: String, root: String) throws {
        try database.write { try $0.deleteMatrixPrompt(sender: sender, root: root) }
    }
}

extension MatrixInbound {
    /// Matrix inbound for the bot `commands` belongs to.
    package convenience init(client: MatrixClient, userID: String, commands: CommandHandler, doorbell: Doorbell, logger: Logger,
                             wireClock: any BotClock, pollTimeout: Int = 30_000) {
        self.init(client: client, userID: userID, bot: EngineChatBot(commands: commands, doorbell: doorbell), logger: logger, wireClock: wireClock,
                  pollTimeout: pollTimeout)
    }
}

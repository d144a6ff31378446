import Chat
import Core
import FactSources
import Foundation
import Logging
import Reports
import Store

/// The bot as the platforms' inbound code sees it (`ChatBot`): the command handler, the alert engine and routing
/// under it, the database, the doorbell and the integrations' health.
package struct EngineChatBot: ChatBot {
    let commands: CommandHandler
    let doorbell: Doorbell
    /// Where a platform's connection health is recorded (nil: not watched here).
    let sourceHealth: SourceHealthMonitor?

    package init(commands: CommandHandler, doorbell: Doorbell, sourceHealth: SourceHealthMonitor? = nil) {
        self.commands = commands; self.doorbell = doorbell; self.sourceHealth = sourceHealth
    }

    var engine: AlertEngine { commands.engine }

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

extension EngineChatBot {
    package func command(_ text: String, as person: Person?, chatUser: String, on platform: ChatPlatform, surface: Surface) throws -> ChatMessage {
        let answer = try commands.handle(text, as: person, chatID: chatUser, on: platform, surface: surface)
        doorbell.ring()
        return answer
    }

    package func act(_ request: ChatActRequest) throws -> ChatActOutcome {
        let now = clock.now()
        guard let person = request.person else {
            let why = CommandHandler.unmapped(chatID: request.chatUser, platform: request.platform)
            try? engine.recordRefusal(actor: "\(request.platform.rawValue):\(request.chatUser)", surface: request.surface,
                                      request: "\(request.action.command) \(request.alert)", reason: why, at: now)
            return .refused(why)
        }
        let action: AlertAction
        switch request.action {
        case .evidence:
            return .answer(try database.read { tx -> ChatMessage in
                guard let alert = try tx.alert(request.alert) else { return .text("There is no alert \(request.alert).") }
                return try AlertHistory.message(alert, store: tx, topLevel: engine.config.policy.topLevel)
            })
        case .form(let kind):
            guard let alert = try database.read({ try $0.alert(request.alert) }) else { return .answer(.text("There is no alert \(request.alert).")) }
            guard !alert.state.isEnded else { return .unchanged("\(alert.id) is already \(alert.state.label).") }
            let probe: AlertAction = kind == .accept ? .acceptRisk(until: now, rationale: "") : .acknowledge
            guard Routing.mayPerform(probe, person: person.id, team: alert.team, config: engine.config) else {
                let why = AlertEngine.refusal(probe, alert: alert)
                try engine.recordRefusal(actor: person.id.rawValue, surface: request.surface, request: "\(kind.command) \(alert.id)", reason: why, at: now)
                return .refused(why)
            }
            return .formReady(alertTitle: alert.title)
        case .acknowledge: action = .acknowledge
        case .escalate: action = .escalate(note: nil)
        case .snooze(let duration, let rationale): action = .snooze(until: now.addingTimeInterval(duration), rationale: rationale)
        case .acceptRisk(let duration, let rationale): action = .acceptRisk(until: now.addingTimeInterval(duration), rationale: rationale)
        case .close(let remediation, let link): action = .close(remediation: remediation, link: link)
        }
        switch try engine.apply(AlertRequest(action, by: .person(person.id), via: request.surface, at: now, expectedVersion: request.expectedVersion),
                                to: request.alert) {
        case .changed:
            doorbell.ring()
            return .changed
        case .unchanged(_, let why): return .unchanged(why)
        case .refused(let why): return .refused(why)
        }
    }

    package func refuse(chatUser: String, on platform: ChatPlatform, surface: Surface, request: String, reason: String) {
        try? engine.recordRefusal(actor: "\(platform.rawValue):\(chatUser)", surface: surface, request: request, reason: reason, at: clock.now())
    }

    package var seenRequests: any SeenRequests { StoreSeenRequests(database: database) }

    package func connectionHealth(_ platform: ChatPlatform, problem: String?) {
        let source = SourceID("chat.\(platform.rawValue)")
        if let problem {
            sourceHealth?.failed(source, kind: platform.rawValue, error: problem)
        } else {
            sourceHealth?.succeeded(source, kind: platform.rawValue)
        }
        // Recorded where `soc2bot status` (another process) reads it too.
        let database = database
        _ = try? database.write { try $0.setCursor(StatusReport.chatHealthCursor(platform), problem ?? "") }
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

import Core
import Foundation
import HTTP
import Logging
import Synchronization

/// What people do in Slack, whichever transport brought it (HTTP mode or Socket Mode): `/soc2` commands, button
/// clicks and modal submissions, handed to the bot through `ChatBot` (a command, or `act` for a click or a form) like
/// every platform's.
///
/// Slack waits 3 s for an answer. Work that takes longer (a `users.info` lookup on a slow day) answers
/// "working on it" in time and posts the real answer to the request's `response_url` when done.
/// Modals are opened before anything slow: their trigger id lives 3 s.
package struct SlackInteractions: Sendable {
    /// Who sent a request, as Slack says.
    package struct Caller: Sendable, Equatable {
        package var user: String
        package var team: String?
        package var appID: String?
        package init(user: String, team: String?, appID: String?) { self.user = user; self.team = team; self.appID = appID }
    }

    package let bot: any ChatBot
    package let directory: SlackDirectory
    package let api: SlackWebAPI
    package let settings: ChatConfig.Slack
    package let transport: any HTTPTransport
    package let logger: Logger
    /// How long a command may take before its answer goes to `response_url` instead (Slack shows a timeout at 3 s).
    package let answerBudget: Duration
    /// The clock the budget runs on. Slack's 3 s are real time, so `run` and the demo pass the wall clock
    /// (`SystemClock`) even when the bot's own time is simulated; tests a `TestClock` they advance.
    package let answerClock: any BotClock
    /// Hosts a `response_url` may point at (`hooks.slack.com`); anything else is not posted to.
    package let responseHosts: Set<String>

    /// Runs what is answered after the request returned (clicks, late command answers); graceful shutdown drains it.
    package let tasks: InboundTasks

    package init(bot: any ChatBot, directory: SlackDirectory, api: SlackWebAPI, settings: ChatConfig.Slack,
                 tasks: InboundTasks, transport: any HTTPTransport, logger: Logger, answerBudget: Duration = .milliseconds(2_500),
                 answerClock: any BotClock, responseHosts: Set<String> = ["hooks.slack.com"]) {
        self.bot = bot; self.directory = directory; self.api = api; self.settings = settings
        self.tasks = tasks; self.transport = transport; self.logger = logger; self.answerBudget = answerBudget; self.answerClock = answerClock
        self.responseHosts = responseHosts
    }

    var clock: any BotClock { bot.clock }

    // MARK: Either transport

    /// An interaction payload (HTTP mode's `payload` field, Socket Mode's `interactive` envelope): the body to
    /// answer with, or nil for an empty acknowledgement. Clicks are acknowledged at once and handled meanwhile
    /// (their answers go to `response_url`); modal submissions are answered with their field errors, in time.
    package func interaction(_ interaction: SlackInteraction) async -> JSONValue? {
        switch interaction {
        case .blockActions(let actions):
            let caller = Caller(user: actions.userID, team: actions.teamID, appID: actions.apiAppID)
            let responseURL = actions.responseURL.flatMap(URL.init(string:))
            let origin = actions.channelID.flatMap { channel in actions.messageTS.map { (channel: channel, ts: $0) } }
            for element in actions.actions {
                guard let action = element.chatAction else {
                    logger.notice("Slack click on an element soc2bot does not know", metadata: ["action_id": "\(element.actionID.prefix(80))"])
                    await tasks.submit { await respond(responseURL, .text("That button is not one soc2bot knows (it may come from an older version of the message). Use /soc2 help.")) }
                    continue
                }
                await tasks.submit { await click(action, caller: caller, triggerID: actions.triggerID, responseURL: responseURL, origin: origin) }
            }
            return nil
        case .viewSubmission(let submission):
            return await submit(submission).map(SlackModal.errorsResponse)
        case .viewClosed, .unsupported:
            return nil
        }
    }

    /// A Socket Mode envelope: the acknowledgement's payload (a slash command's answer, a modal's errors), or nil.
    package func envelope(_ envelope: SocketModeEnvelope) async -> JSONValue? {
        switch envelope.type {
        case .slashCommands:
            do { return await slashCommand(try SlackSlashCommandRequest(payload: envelope.payload)) } catch {
                logger.warning("Slack slash command unreadable", metadata: ["error": "\(error)"])
                return SlackReply.ephemeral(.text("soc2bot could not read that command (\(error)).", body: SlashCommand.helpText()))
            }
        case .interactive:
            do { return await interaction(try SlackInteraction(payload: envelope.payload)) } catch {
                logger.warning("Slack interaction unreadable", metadata: ["error": "\(error)"])
                return nil
            }
        default:
            // events_api and anything newer: acknowledged, not used.
            return nil
        }
    }

    // MARK: Slash commands

    /// `/soc2 <text>`: the ephemeral answer, in time.
    package func slashCommand(_ command: SlackSlashCommandRequest) async -> JSONValue {
        let caller = Caller(user: command.userID, team: command.teamID, appID: command.apiAppID)
        if let refusal = refusal(for: caller, request: "/soc2 \(command.text)") { return SlackReply.ephemeral(.text("Refused: \(refusal)")) }
        let responseURL = URL(string: command.responseURL)
        let answer = await firstWithin(answerBudget, on: answerClock, tasks: tasks, work: { () async -> ChatMessage in
            let person = await directory.person(slackUser: caller.user)
            do {
                return try bot.command(command.text, as: person, chatUser: caller.user, on: .slack, surface: .chat(.slack))
            } catch {
                logger.error("slash command failed", metadata: ["error": "\(error)"])
                return .text("soc2bot could not do that: an internal error (the bot's log has the details). Nothing was changed.")
            }
        }, late: { message in
            await respond(responseURL, message)
        })
        return SlackReply.ephemeral(answer ?? .text("Working on it… the answer will follow here."))
    }

    // MARK: Buttons

    /// A click on an alert message's button or overflow menu. Answers go to the clicker only (`response_url`);
    /// the alert message itself is edited through the outbox.
    package func click(_ action: ChatAction, caller: Caller, triggerID: String?, responseURL: URL?, origin: (channel: String, ts: String)?) async {
        if let refusal = refusal(for: caller, request: "\(action.kind.command) \(action.alert)") {
            await respond(responseURL, .text("Refused: \(refusal)"))
            return
        }
        // Modals first: the trigger id expires 3 s after the click.
        let person = await directory.person(slackUser: caller.user)
        func request(_ act: ChatActRequest.Action) -> ChatActRequest {
            ChatActRequest(alert: action.alert, action: act, person: person, chatUser: caller.user, platform: .slack, surface: .chat(.slack),
                           expectedVersion: action.version)
        }
        do {
            let outcome: ChatActOutcome
            switch action.kind {
            case .acknowledge: outcome = try bot.act(request(.acknowledge))
            case .escalate: outcome = try bot.act(request(.escalate))
            case .evidence: outcome = try bot.act(request(.evidence))
            case .snooze, .close, .accept: outcome = try bot.act(request(.form(action.kind)))
            }
            guard case .formReady(let title) = outcome else {
                if let answer = outcome.answer { await respond(responseURL, answer) }
                return
            }
            await openModal(for: action, alertTitle: title, triggerID: triggerID, responseURL: responseURL, origin: origin)
        } catch {
            logger.error("button failed", metadata: ["action": "\(action.actionID)", "error": "\(error)"])
            await respond(responseURL, .text("soc2bot could not do that: an internal error (the bot's log has the details)."))
        }
    }

    /// Opens the form for `action`, which the bot said may be done (`ChatActOutcome.formReady`).
    private func openModal(for action: ChatAction, alertTitle: String, triggerID: String?, responseURL: URL?,
                           origin: (channel: String, ts: String)?) async {
        guard let triggerID else {
            await respond(responseURL, .text("Slack sent no trigger for a form; use /soc2 \(action.kind.command) \(action.alert) … instead."))
            return
        }
        do {
            guard let view = SlackModal.view(for: action, alertTitle: alertTitle, origin: origin) else { return }
            _ = try await api.call("views.open", .object(["trigger_id": .string(triggerID), "view": view]))
        } catch {
            logger.warning("views.open failed", metadata: ["alert": "\(action.alert)", "error": "\(error)"])
            await respond(responseURL, .text("The form could not be opened (\(error)). Click again, or type /soc2 \(action.kind.command) \(action.alert) ….\n\(SlashCommand.helpText())"))
        }
    }

    // MARK: Modal submissions

    /// A submitted Snooze…, Close… or Accept risk… form: nil closes the modal (done); otherwise the errors to show
    /// on its fields (`response_action: errors`), and nothing changed.
    package func submit(_ submission: SlackViewSubmission) async -> [String: String]? {
        let caller = Caller(user: submission.userID, team: submission.teamID, appID: submission.apiAppID)
        let decoded: ModalDecision
        switch SlackModal.submission(submission) {
        case .success(let value): decoded = value
        case .failure(.fields(let errors)): return errors
        case .failure(.metadata(let problem)):
            // Not a form this bot built (forged or garbled): nothing to show on a field; closed, nothing changed.
            logger.warning("Slack modal submission refused", metadata: ["reason": "\(problem)"])
            return nil
        }
        let firstBlock: String
        let name: String
        switch decoded.choice {
        case .snooze: firstBlock = SlackModal.Block.duration; name = "snooze"
        case .accept: firstBlock = SlackModal.Block.duration; name = "accept"
        case .close: firstBlock = SlackModal.Block.remediation; name = "close"
        }
        if let refusal = refusal(for: caller, request: "\(name) \(decoded.alert)") { return [firstBlock: String("Refused: \(refusal)".prefix(150))] }
        // The form must be answered within Slack's 3 s: a slow lookup of who this is gives a retryable error.
        let directory = directory, user = caller.user
        guard let lookup = await firstWithin(answerBudget, on: answerClock, tasks: tasks, work: { await directory.person(slackUser: user) }, late: { _ in }) else {
            return [firstBlock: "Slack did not say who you are in time; nothing was changed. Submit again."]
        }
        let act: ChatActRequest.Action
        switch decoded.choice {
        case .snooze(let duration, let rationale): act = .snooze(for: duration, rationale: rationale)
        case .accept(let duration, let rationale): act = .acceptRisk(for: duration, rationale: rationale)
        case .close(let remediation, let link): act = .close(remediation: remediation, link: link)
        }
        do {
            let outcome = try bot.act(ChatActRequest(alert: decoded.alert, action: act, person: lookup, chatUser: caller.user, platform: .slack,
                                                     surface: .chat(.slack), expectedVersion: decoded.version))
            guard let answer = outcome.answer else { return nil }
            return [firstBlock: String(answer.title.prefix(150))]
        } catch {
            logger.error("modal submission failed", metadata: ["alert": "\(decoded.alert)", "error": "\(error)"])
            return [firstBlock: "soc2bot could not save this (internal error); nothing was changed. Try again."]
        }
    }

    // MARK: Shared

    /// Why a request from `caller` is refused outright (another workspace or app, or none named while one is
    /// configured), recorded in the ledger; nil when admitted. A payload without a team or app id cannot show it is
    /// for this workspace and app, so it is refused too: an org-wide install leaves `team_id` unset instead.
    func refusal(for caller: Caller, request: String) -> String? {
        var why: String?
        if let team = settings.teamID, caller.team != team {
            why = caller.team.map { "this soc2bot serves Slack workspace \(team) only; the request came from \($0)." }
                ?? "this soc2bot serves Slack workspace \(team) only; the request names no workspace (an org-wide install needs chat.slack.team_id unset)."
        } else if let app = settings.appID, caller.appID != app {
            why = caller.appID.map { "this request was meant for Slack app \($0), not soc2bot (\(app))." }
                ?? "this request names no Slack app; soc2bot (\(app)) acts only on its own app's requests."
        }
        guard let why else { return nil }
        bot.refuse(chatUser: caller.user, on: .slack, surface: .chat(.slack), request: request, reason: why)
        logger.warning("Slack request refused", metadata: ["reason": "\(why)"])
        return why
    }

    /// Posts an ephemeral answer to a `response_url` (valid 30 min, 5 uses). Only Slack's hosts are posted to, over
    /// `https`; plain `http` only to a loopback host among them (the configured API base of a local stand-in).
    func respond(_ url: URL?, _ message: ChatMessage) async {
        guard let url else { return }
        if let refusal = Self.responseURLRefusal(url, hosts: responseHosts) {
            logger.warning("response_url refused: \(refusal)", metadata: ["host": "\(url.host ?? "")", "scheme": "\(url.scheme ?? "")"])
            return
        }
        do {
            let body = try JSONValue.encoded(SlackReply.ephemeral(message))
            let response = try await transport.send(HTTPRequest(method: "POST", url: url, headers: [("Content-Type", "application/json; charset=utf-8")], body: body))
            if response.status != 200 { logger.warning("response_url answered HTTP \(response.status)") }
        } catch {
            logger.warning("response_url post failed", metadata: ["error": "\(error)"])
        }
    }
}

extension SlackInteractions {
    /// Why an answer is not posted to `url`, or nil when it may be: the host must be one of `hosts` (Slack's), and
    /// the scheme `https` — or `http` when the host is loopback (a local stand-in at the configured API base).
    package static func responseURLRefusal(_ url: URL, hosts: Set<String>) -> String? {
        guard let host = url.host, hosts.contains(host) else { return "not a Slack host" }
        switch url.scheme?.lowercased() {
        case "https": return nil
        case "http" where ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased()): return nil
        default: return "not https (answers go to Slack over TLS only; plain http only to a loopback API base)"
        }
    }
}

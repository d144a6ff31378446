import Core
import Foundation
import Logging
import Sockets

/// Slack's HTTP mode: every request is verified first — signature over the raw body, timestamp within 300 s,
/// never seen before (by this process or another on the same database, before or after a restart) — then decoded
/// and answered within Slack's 3 s. Mounted by the inbound server as the Slack connection's routes (`routes`).
package struct SlackHTTPEndpoint: Sendable {
    let interactions: SlackInteractions
    let verifier: SlackRequestVerifier
    let replays: SlackReplayGuard
    let logger: Logger

    /// The paths Slack posts to: slash commands, interactions (clicks, forms), the Events API.
    package static let paths: Set<String> = ["/slack/commands", "/slack/interactions", "/slack/events"]
    /// The headers Slack signs and retries with.
    package static let capturedHeaders = ["x-slack-signature", "x-slack-request-timestamp", "x-slack-retry-num"]

    /// - Parameter interactions: what the requests are handed to; its bot keeps the replay memory (`ChatBot.seenRequests`).
    package init(interactions: SlackInteractions, signingSecret: String, logger: Logger) {
        self.interactions = interactions
        self.verifier = SlackRequestVerifier(signingSecret: signingSecret)
        self.replays = SlackReplayGuard(seen: interactions.bot.seenRequests)
        self.logger = logger
    }

    /// This endpoint as the inbound server mounts it.
    package var route: ChatRoute {
        ChatRoute(paths: Self.paths, capturedHeaders: Self.capturedHeaders) { request in
            guard request.method == "POST" else { return .text(405, "Slack posts here; use POST\n") }
            return await handle(request)
        }
    }

    package func handle(_ request: HTTPServerRequest) async -> HTTPServerResponse {
        let now = interactions.clock.now()
        do throws(SlackRequestVerifier.Refusal) {
            let signature = try verifier.verify(body: request.body, timestamp: request.header("x-slack-request-timestamp"),
                                                signature: request.header("x-slack-signature"), now: now)
            try replays.admit(signature: signature, now: now)
        } catch {
            logger.warning("Slack request refused", metadata: ["path": "\(request.path)", "reason": "\(error)"])
            return .text(error == .unavailable ? 503 : 401, "refused: \(error)\n")
        }
        do {
            switch request.path {
            case "/slack/commands":
                return try .json(200, await interactions.slashCommand(SlackSlashCommandRequest(formBody: request.body)))
            case "/slack/interactions":
                guard let answer = await interactions.interaction(try SlackInteraction(formBody: request.body)) else { return .empty(200) }
                return try .json(200, answer)
            default:
                return try events(request.body)
            }
        } catch let error as SlackInboundError {
            logger.warning("Slack request unreadable", metadata: ["path": "\(request.path)", "error": "\(error)"])
            return .text(400, "unreadable Slack request: \(error)\n")
        } catch {
            logger.error("Slack request failed", metadata: ["path": "\(request.path)", "error": "\(error)"])
            return .text(500, "internal error\n")
        }
    }

    /// The Events API: the URL verification handshake; other events are acknowledged and not used.
    private func events(_ body: Data) throws -> HTTPServerResponse {
        let event = try InboundJSON.parse(body, what: "event")
        if event["type"]?.stringValue == "url_verification" {
            guard let challenge = event["challenge"]?.stringValue else { throw SlackInboundError.missingField("challenge") }
            return try .json(200, .object(["challenge": .string(challenge)]))
        }
        return .empty(200)
    }
}

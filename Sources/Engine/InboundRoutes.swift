import Chat
import Core
import Foundation
import Logging
import Reports
import Sockets

/// What the inbound HTTP server answers: `/healthz`, Slack's HTTP mode (`/slack/commands`,
/// `/slack/interactions`, `/slack/events`) when Slack is configured for it, and webhooks (`/webhooks/github`,
/// `/webhooks/okta`) for sources with a webhook secret.
package struct InboundRoutes: Sendable {
    package let slack: SlackHTTPEndpoint?
    package let webhooks: WebhookEndpoint?
    /// The store `/metrics` reads (nil: not served).
    package let metrics: MetricsEndpoint?
    package init(slack: SlackHTTPEndpoint?, webhooks: WebhookEndpoint? = nil, metrics: MetricsEndpoint? = nil) {
        self.slack = slack; self.webhooks = webhooks; self.metrics = metrics
    }

    /// The headers the server must capture for these routes.
    package static let capturedHeaders = ["x-slack-signature", "x-slack-request-timestamp", "x-slack-retry-num"] + WebhookEndpoint.capturedHeaders

    package func handle(_ request: HTTPServerRequest) async -> HTTPServerResponse {
        switch request.path {
        case "/healthz":
            return request.method == "GET" || request.method == "HEAD" ? .text(200, "ok\n") : .text(405, "use GET\n")
        case "/slack/commands", "/slack/interactions", "/slack/events":
            guard let slack else { return .text(404, "Slack HTTP mode is not configured (chat.slack.mode: http)\n") }
            guard request.method == "POST" else { return .text(405, "Slack posts here; use POST\n") }
            return await slack.handle(request)
        case "/webhooks/github", "/webhooks/okta":
            guard let webhooks else { return .text(404, "no source takes webhooks\n") }
            return await webhooks.handle(request)
        case "/metrics":
            guard let metrics else { return .text(404, "not found\n") }
            guard request.method == "GET" || request.method == "HEAD" else { return .text(405, "use GET\n") }
            return metrics.handle()
        default:
            return .text(404, "not found\n")
        }
    }
}

/// Slack's HTTP mode: every request is verified first — signature over the raw body, timestamp within 300 s,
/// never seen before — then decoded and answered within Slack's 3 s.
package struct SlackHTTPEndpoint: Sendable {
    let interactions: SlackInteractions
    let verifier: SlackRequestVerifier
    let replays: SlackReplayGuard
    let logger: Logger

    package init(interactions: SlackInteractions, signingSecret: String, logger: Logger) {
        self.interactions = interactions
        self.verifier = SlackRequestVerifier(signingSecret: signingSecret)
        self.replays = SlackReplayGuard()
        self.logger = logger
    }

    package func handle(_ request: HTTPServerRequest) async -> HTTPServerResponse {
        let now = interactions.clock.now()
        do {
            let signature = request.header("x-slack-signature")
            try verifier.verify(body: request.body, timestamp: request.header("x-slack-request-timestamp"), signature: signature, now: now)
            if let signature { try replays.admit(signature: signature, now: now) }
        } catch {
            logger.warning("Slack request refused", metadata: ["path": "\(request.path)", "reason": "\(error)"])
            return .text(401, "refused: \(error)\n")
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

extension HTTPServerResponse {
    static func json(_ status: Int, _ value: JSONValue) throws -> HTTPServerResponse {
        HTTPServerResponse(status: status, headers: [("Content-Type", "application/json; charset=utf-8")], body: try JSONValue.encoded(value))
    }
    static func empty(_ status: Int) -> HTTPServerResponse { HTTPServerResponse(status: status, headers: [], body: Data()) }
}

/// `GET /metrics`: Prometheus text format from the store (see `PrometheusMetrics`).
package struct MetricsEndpoint: Sendable {
    let engine: AlertEngine
    let clock: any BotClock
    package init(engine: AlertEngine, clock: any BotClock) { self.engine = engine; self.clock = clock }

    func handle() -> HTTPServerResponse {
        do {
            let text = try engine.database.read { try PrometheusMetrics.render(config: engine.config, store: $0, now: clock.now()) }
            return HTTPServerResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: Data(text.utf8))
        } catch {
            return .text(503, "metrics unavailable: the store could not be read\n")
        }
    }
}

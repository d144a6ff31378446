import Chat
import Core
import Foundation
import Logging
import Reports
import Sockets
import Synchronization

/// What the inbound HTTP server answers: `/healthz`, Slack's HTTP mode (`/slack/commands`,
/// `/slack/interactions`, `/slack/events`) when Slack is configured for it, and webhooks (`/webhooks/github`,
/// `/webhooks/okta`) for sources with a webhook secret.
package struct InboundRoutes: Sendable {
    package let slack: SlackHTTPEndpoint?
    package let webhooks: WebhookEndpoint?
    /// The store `/metrics` reads (nil: not served).
    package let metrics: MetricsEndpoint?
    /// The signed public posture feed (nil: no key configured, not served).
    package let trustCenter: TrustCenterEndpoint?
    package init(slack: SlackHTTPEndpoint?, webhooks: WebhookEndpoint? = nil, metrics: MetricsEndpoint? = nil, trustCenter: TrustCenterEndpoint? = nil) {
        self.slack = slack; self.webhooks = webhooks; self.metrics = metrics; self.trustCenter = trustCenter
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
        case "/trust-center", "/trust-center.json", "/trust-center.json.sig", "/trust-center.pub":
            guard let trustCenter else { return .text(404, "not found\n") }
            guard request.method == "GET" || request.method == "HEAD" else { return .text(405, "use GET\n") }
            return trustCenter.handle(path: request.path)
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

/// The trust-center feed (see `TrustCenter`): `/trust-center` (HTML), `/trust-center.json` (the signed bytes),
/// `/trust-center.json.sig` (the raw 64-byte Ed25519 signature) and `/trust-center.pub` (PEM).
/// The signed feed is kept for `refresh` (5 minutes), so the JSON and the signature fetched a moment apart match;
/// the JSON's `X-Soc2bot-Signature` header also carries its signature (base64), for a single fetch.
package final class TrustCenterEndpoint: Sendable {
    let engine: AlertEngine
    let clock: any BotClock
    let center: TrustCenter
    static let refresh: TimeInterval = 300
    private let cache = Mutex<(at: Date, json: Data, signature: Data, html: String)?>(nil)
    package init(engine: AlertEngine, clock: any BotClock, center: TrustCenter) { self.engine = engine; self.clock = clock; self.center = center }

    /// The current signed feed: the cached one while fresh, else a new one.
    func current() throws -> (json: Data, signature: Data, html: String) {
        let now = clock.now()
        if let cached = cache.withLock({ $0 }), now.timeIntervalSince(cached.at) < Self.refresh, now >= cached.at {
            return (cached.json, cached.signature, cached.html)
        }
        let feed = try engine.database.read { try TrustCenter.feed(config: engine.config, store: $0, now: now) }
        let (json, signature) = try center.signed(feed)
        let html = TrustCenter.html(feed)
        cache.withLock { $0 = (now, json, signature, html) }
        return (json, signature, html)
    }

    func handle(path: String) -> HTTPServerResponse {
        if path == "/trust-center.pub" {
            return HTTPServerResponse(status: 200, headers: [("Content-Type", "application/x-pem-file")], body: Data(center.publicKeyPEM.utf8))
        }
        do {
            let (json, signature, html) = try current()
            switch path {
            case "/trust-center.json":
                return HTTPServerResponse(status: 200, headers: [("Content-Type", "application/json"),
                                                                 ("X-Soc2bot-Signature", "ed25519=" + signature.base64EncodedString())], body: json)
            case "/trust-center.json.sig": return HTTPServerResponse(status: 200, headers: [("Content-Type", "application/octet-stream")], body: signature)
            default: return HTTPServerResponse(status: 200, headers: [("Content-Type", "text/html; charset=utf-8")], body: Data(html.utf8))
            }
        } catch {
            return .text(503, "the trust-center feed is unavailable: the store could not be read\n")
        }
    }
}

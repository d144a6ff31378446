import Chat
import Core
import FactSources
import Foundation
import Logging
import Reports
import Sockets
import Synchronization

/// What the inbound HTTP server answers: `/healthz`, the chat connections' routes (Slack's HTTP mode:
/// `/slack/commands`, `/slack/interactions`, `/slack/events`, when Slack is configured for it), and webhooks
/// (`/webhooks/github`, `/webhooks/okta`) for sources with a webhook secret.
package struct InboundRoutes: Sendable {
    /// What the chat connections serve (`ChatConnection.routes`).
    package let chat: [ChatRoute]
    package let webhooks: WebhookEndpoint?
    /// The store `/metrics` reads (nil: not served).
    package let metrics: MetricsEndpoint?
    /// The signed public posture feed (nil: no key configured, not served).
    package let trustCenter: TrustCenterEndpoint?
    /// The read-only dashboard and the auditors' view (nil: no token configured, not served).
    package let dashboard: DashboardEndpoint?
    package init(chat: [ChatRoute] = [], webhooks: WebhookEndpoint? = nil, metrics: MetricsEndpoint? = nil, trustCenter: TrustCenterEndpoint? = nil,
                 dashboard: DashboardEndpoint? = nil) {
        self.chat = chat; self.webhooks = webhooks; self.metrics = metrics; self.trustCenter = trustCenter; self.dashboard = dashboard
    }

    /// The headers the server must capture for these routes.
    package static let capturedHeaders = ChatAdapters.capturedHeaders + ["authorization"] + WebhookEndpoint.capturedHeaders

    package func handle(_ request: HTTPServerRequest) async -> HTTPServerResponse {
        if let route = chat.first(where: { $0.paths.contains(request.path) }) { return await route.handle(request) }
        if let why = ChatAdapters.unserved(path: request.path) { return .text(404, why + "\n") }
        switch request.path {
        case "/healthz":
            guard request.method == "GET" || request.method == "HEAD" else { return .text(405, "use GET\n") }
            // A chat platform that refuses the bot's credential leaves nobody able to act on alerts: unhealthy.
            let deaf = (metrics?.sourceHealth?.snapshot ?? []).filter { !$0.healthy && $0.source.rawValue.hasPrefix("chat.") }
            guard deaf.isEmpty else {
                return .text(503, deaf.map { "unhealthy: \($0.source): \($0.lastError ?? "failing")\n" }.joined())
            }
            return .text(200, "ok\n")
        case "/webhooks/github", "/webhooks/okta":
            guard let webhooks else { return .text(404, "no source takes webhooks\n") }
            return await webhooks.handle(request)
        case "/trust-center", "/trust-center.json", "/trust-center.json.sig", "/trust-center.pub":
            guard let trustCenter else { return .text(404, "not found\n") }
            guard request.method == "GET" || request.method == "HEAD" else { return .text(405, "use GET\n") }
            return trustCenter.handle(path: request.path, query: request.query)
        case let path where path == "/dashboard" || path.hasPrefix("/dashboard/") || path == "/audit" || path.hasPrefix("/audit/"):
            guard let dashboard else { return .text(404, "not found\n") }
            guard request.method == "GET" || request.method == "HEAD" else { return .text(405, "use GET\n") }
            return dashboard.handle(request)
        case "/metrics":
            guard let metrics else { return .text(404, "not found\n") }
            guard request.method == "GET" || request.method == "HEAD" else { return .text(405, "use GET\n") }
            return metrics.handle()
        default:
            return .text(404, "not found\n")
        }
    }
}

/// `GET /metrics`: Prometheus text format from the store (see `PrometheusMetrics`).
package struct MetricsEndpoint: Sendable {
    let engine: AlertEngine
    let clock: any BotClock
    /// The sources' latest reads (nil: not watched here, no source samples).
    let sourceHealth: SourceHealthMonitor?
    package init(engine: AlertEngine, clock: any BotClock, sourceHealth: SourceHealthMonitor? = nil) {
        self.engine = engine; self.clock = clock; self.sourceHealth = sourceHealth
    }

    func handle() -> HTTPServerResponse {
        do {
            let now = clock.now()
            let sources = (sourceHealth?.snapshot ?? []).map { health in
                PrometheusMetrics.SourceStatus(source: health.source.rawValue, kind: health.kind, up: health.healthy,
                                               failingFor: health.failingSince.map { max(0, now.timeIntervalSince($0)) })
            }
            let text = try engine.database.read { try PrometheusMetrics.render(config: engine.config, store: $0, now: now, sources: sources) }
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
    private let cache = Mutex<[Framework: (at: Date, json: Data, signature: Data, html: String)]>([:])
    package init(engine: AlertEngine, clock: any BotClock, center: TrustCenter) { self.engine = engine; self.clock = clock; self.center = center }

    /// The current signed feed: the cached one while fresh, else a new one.
    /// Checked and rebuilt under one lock: two requests that both found it stale (the JSON and its `.sig`, fetched
    /// in parallel) must not each build a feed and get halves of different ones.
    func current(_ framework: Framework = .soc2) throws -> (json: Data, signature: Data, html: String) {
        let now = clock.now()
        return try cache.withLock { cache in
            if let cached = cache[framework], now.timeIntervalSince(cached.at) < Self.refresh, now >= cached.at {
                return (cached.json, cached.signature, cached.html)
            }
            let feed = try engine.database.read { try TrustCenter.feed(config: engine.config, store: $0, now: now, framework: framework) }
            let (json, signature) = try center.signed(feed)
            let html = TrustCenter.html(feed)
            cache[framework] = (now, json, signature, html)
            return (json, signature, html)
        }
    }

    /// `?framework=iso27001` lists the feed by that framework's criteria (default SOC 2).
    func handle(path: String, query: String? = nil) -> HTTPServerResponse {
        if path == "/trust-center.pub" {
            return HTTPServerResponse(status: 200, headers: [("Content-Type", "application/x-pem-file")], body: Data(center.publicKeyPEM.utf8))
        }
        guard let framework = FrameworkQuery.parse(query) else { return FrameworkQuery.refusal }
        do {
            let (json, signature, html) = try current(framework)
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

/// The read-only dashboard (`/dashboard`, `/dashboard/alerts/A-3`, `/dashboard/ledger`, `/dashboard/trend.png`) behind the token in
/// `server.dashboard_token`, and each auditor's view of their period (`/audit`, `/audit/alerts/A-3`) behind their own
/// token until it expires. The token comes as `Authorization: Bearer …` or `?token=…` (links keep it); tokens are
/// compared in constant time, and an unknown, missing or expired token gets 403 and nothing else.
package struct DashboardEndpoint: Sendable {
    let engine: AlertEngine
    let clock: any BotClock
    let token: String?
    let auditors: [(access: AuditorAccess, token: String)]

    package init(engine: AlertEngine, clock: any BotClock, token: String?, auditors: [(access: AuditorAccess, token: String)]) {
        self.engine = engine; self.clock = clock; self.token = token; self.auditors = auditors
    }

    func handle(_ request: HTTPServerRequest) -> HTTPServerResponse {
        let fromQuery = (request.query ?? "").split(separator: "&").first { $0.hasPrefix("token=") }
            .map { String($0.dropFirst(6)).removingPercentEncoding ?? "" }
        let header = request.header("authorization").flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        guard let presented = header ?? fromQuery, !presented.isEmpty else { return .text(403, "a token is required\n") }
        let link: (String) -> String = { path in
            fromQuery.map { path + "?token=" + ($0.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? "") } ?? path
        }
        let now = clock.now()
        let config = engine.config
        // Asked for only once the token is known: a bad token gets its 403 whatever else the request says.
        let asked = FrameworkQuery.parse(request.query)
        do {
            if request.path.hasPrefix("/audit") {
                guard let auditor = auditors.first(where: { Self.same($0.token, presented) }) else { return .text(403, "unknown auditor token\n") }
                guard now < auditor.access.expires else { return .text(403, "this auditor token expired \(TimeText.human(auditor.access.expires))\n") }
                guard let framework = asked else { return FrameworkQuery.refusal }
                let period = DateInterval(start: auditor.access.from, end: auditor.access.to)
                return try engine.database.read { tx in
                    if request.path == "/audit" {
                        return Self.html(try Dashboard.audit(config: config, store: tx, period: period, auditor: auditor.access.name, now: now, framework: framework, link: link))
                    }
                    guard let id = AlertID(parsing: String(request.path.dropFirst("/audit/alerts/".count))),
                          let page = try Dashboard.alert(id, config: config, store: tx, within: period, link: link) else {
                        return .text(404, "no such alert in the audit period\n")
                    }
                    return Self.html(page)
                }
            }
            guard let token, Self.same(token, presented) else { return .text(403, "unknown token\n") }
            guard let framework = asked else { return FrameworkQuery.refusal }
            return try engine.database.read { tx in
                switch request.path {
                case "/dashboard": return Self.html(try Dashboard.main(config: config, store: tx, now: now, framework: framework, link: link))
                case "/dashboard/ledger": return Self.html(try Dashboard.ledger(store: tx, link: link))
                case "/dashboard/trend.png":
                    return HTTPServerResponse(status: 200, headers: [("Content-Type", "image/png"), ("Cache-Control", "no-store")],
                                              body: try Dashboard.trendPNG(config: config, store: tx, now: now))
                default:
                    guard request.path.hasPrefix("/dashboard/alerts/"), let id = AlertID(parsing: String(request.path.dropFirst("/dashboard/alerts/".count))),
                          let page = try Dashboard.alert(id, config: config, store: tx, link: link) else { return .text(404, "not found\n") }
                    return Self.html(page)
                }
            }
        } catch {
            return .text(503, "the dashboard is unavailable: the store could not be read\n")
        }
    }

    static func html(_ page: String) -> HTTPServerResponse {
        HTTPServerResponse(status: 200, headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"),
                                                  ("X-Frame-Options", "DENY"), ("Referrer-Policy", "no-referrer")], body: Data(page.utf8))
    }

    static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    /// Constant-time comparison of two tokens.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// The `framework=` query parameter of the dashboard, the auditor's view and the trust-center feed.
enum FrameworkQuery {
    /// The framework asked for; SOC 2 when none is; nil for an unknown name.
    static func parse(_ query: String?) -> Framework? {
        guard let value = (query ?? "").split(separator: "&").first(where: { $0.hasPrefix("framework=") }) else { return .soc2 }
        return Framework(name: String(value.dropFirst("framework=".count)).removingPercentEncoding ?? "")
    }

    static var refusal: HTTPServerResponse { .text(400, "unknown framework; use framework=\(Framework.allCases.map(\.rawValue).joined(separator: "|"))\n") }
}

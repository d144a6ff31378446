import Chat
import Checks
import Core
import Foundation
import HTTP
import Logging
import Sockets
import Store
import Synchronization

/// Controls to run at once, outside their cadence: a webhook said something they watch changed. The loop runs
/// them (`TriggeredWork`), so they never race the scheduler's own runs; polling stays the safety net.
package final class ControlTriggers: Sendable {
    private let pending = Mutex<[ControlID]>([])
    package init() {}

    package func trigger(_ controls: [ControlID]) {
        pending.withLock { queue in for id in controls where !queue.contains(id) { queue.append(id) } }
    }
    package var isEmpty: Bool { pending.withLock { $0.isEmpty } }
    func take() -> [ControlID] { pending.withLock { queue in defer { queue.removeAll() }; return queue } }
}

/// Runs triggered controls on the loop: those triggered in memory (webhooks, and a chat command's wake-up) and those
/// whose run a chat command requested in the database (`requestRuns`), which a restart still finds.
package struct TriggeredWork: StoredTimedWork {
    let triggers: ControlTriggers
    let scheduler: ControlScheduler
    package init(triggers: ControlTriggers, scheduler: ControlScheduler) { self.triggers = triggers; self.scheduler = scheduler }
    package var database: BotDatabase { scheduler.engine.database }
    package func nextDue(in snapshot: StoreTransaction) throws -> Date? {
        if let now = dueOutsideTheDatabase() { return now }
        return try snapshot.requestedRuns().isEmpty ? nil : .distantPast
    }
    /// A webhook's trigger is held in memory until the run.
    package func dueOutsideTheDatabase() -> Date? { triggers.isEmpty ? nil : .distantPast }
    package func run(at now: Date) async throws {
        let requested = try scheduler.engine.database.read { try $0.requestedRuns() }
        var ids = triggers.take()
        ids += requested.filter { !ids.contains($0) }
        var controls: [Control] = []
        for id in ids {
            guard let control = scheduler.engine.config.control(id) else {
                // No longer in the manifests: nothing will run it, so its request must not keep the loop awake.
                try scheduler.engine.database.write { try $0.clearRunRequest(id) }
                continue
            }
            controls.append(control)
        }
        // One step: the triggered controls share their reads.
        try await scheduler.run(controls, at: now)
    }
}

/// Event-driven detection: GitHub webhooks (`POST /webhooks/github`, `X-Hub-Signature-256` verified in constant
/// time over the raw body, deliveries de-duplicated by `X-GitHub-Delivery`) and Okta event hooks
/// (`/webhooks/okta`: the one-time verification challenge, then events carrying the shared `Authorization`
/// value). An event re-runs the controls reading what it can have changed, at once.
package final class WebhookEndpoint: Sendable {
    struct Secret: Sendable { let source: SourceConfig; let value: Data }
    let config: BotConfig
    let triggers: ControlTriggers
    let doorbell: Doorbell
    let logger: Logger
    let github: [Secret]
    let okta: [Secret]
    private let deliveries = Mutex(RecentIDs(capacity: 4_096))

    /// The routes this endpoint serves, and the headers they need captured.
    package static let capturedHeaders = ["x-hub-signature-256", "x-github-event", "x-github-delivery", "x-okta-verification-challenge"]

    /// Secrets come from the environment variables the sources name (`credentials.webhook_secret` for GitHub,
    /// `credentials.event_hook_secret` for Okta); a source without one takes no webhooks.
    package init(config: BotConfig, triggers: ControlTriggers, doorbell: Doorbell, logger: Logger,
                 environment: [String: String] = ProcessInfo.processInfo.environment) {
        func secrets(kind: String, role: String) -> [Secret] {
            config.sources.filter { $0.kind == kind }.compactMap { source in
                guard let variable = source.credentialVariables[role], let value = environment[variable], !value.isEmpty else { return nil }
                return Secret(source: source, value: Data(value.utf8))
            }
        }
        self.config = config; self.triggers = triggers; self.doorbell = doorbell; self.logger = logger
        github = secrets(kind: "github", role: "webhook_secret")
        okta = secrets(kind: "okta", role: "event_hook_secret")
    }

    /// Whether any source takes webhooks (the inbound server then runs).
    package var isConfigured: Bool { !github.isEmpty || !okta.isEmpty }

    package func handle(_ request: HTTPServerRequest) async -> HTTPServerResponse {
        switch request.path {
        case "/webhooks/github": return github(request)
        case "/webhooks/okta": return okta(request)
        default: return .text(404, "not found\n")
        }
    }

    // MARK: GitHub

    private func github(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard request.method == "POST" else { return .text(405, "GitHub posts here; use POST\n") }
        guard !github.isEmpty else { return .text(404, "no GitHub source takes webhooks (credentials.webhook_secret)\n") }
        guard let signature = request.header("x-hub-signature-256"), signature.hasPrefix("sha256=") else {
            logger.warning("GitHub webhook refused: no X-Hub-Signature-256")
            return .text(401, "refused: missing X-Hub-Signature-256\n")
        }
        let hex = String(signature.dropFirst(7))
        guard let source = github.first(where: { HMACSignature.isValid(hexSignature: hex, message: request.body, key: $0.value) })?.source else {
            logger.warning("GitHub webhook refused: signature does not match")
            return .text(401, "refused: signature does not match\n")
        }
        if let delivery = request.header("x-github-delivery"), !deliveries.withLock({ $0.insert("github:\(delivery)") }) {
            logger.notice("GitHub webhook replay ignored", metadata: ["delivery": "\(delivery)"])
            return .text(200, "already received\n")
        }
        guard (try? JSONSerialization.jsonObject(with: request.body)) is [String: Any] else {
            return .text(400, "unreadable GitHub event: not a JSON object\n")
        }
        let event = request.header("x-github-event") ?? ""
        let kinds: Set<FactKind>
        switch event {
        case "ping": return .text(200, "pong\n")
        case "branch_protection_rule", "repository", "repository_ruleset": kinds = [.repositories]
        case "member", "membership", "organization", "team": kinds = [.accounts]
        case "secret_scanning_alert", "dependabot_alert", "repository_vulnerability_alert": kinds = [.vulnerabilities]
        default: return .text(200, "event \(event.prefix(40)) not used\n")
        }
        return triggered(source: source, kinds: kinds, what: "GitHub \(event)")
    }

    // MARK: Okta

    private func okta(_ request: HTTPServerRequest) -> HTTPServerResponse {
        guard !okta.isEmpty else { return .text(404, "no Okta source takes event hooks (credentials.event_hook_secret)\n") }
        guard let authorization = request.header("authorization"),
              let source = okta.first(where: { HMACSignature.constantTimeEqual(Data(authorization.utf8), $0.value) })?.source else {
            logger.warning("Okta event hook refused: Authorization does not match")
            return .text(401, "refused: Authorization does not match the event hook's secret\n")
        }
        if request.method == "GET" {
            // The one-time verification: echo the challenge.
            guard let challenge = request.header("x-okta-verification-challenge") else { return .text(400, "no verification challenge\n") }
            let body = (try? JSONSerialization.data(withJSONObject: ["verification": challenge])) ?? Data()
            return .json(200, body)
        }
        guard request.method == "POST" else { return .text(405, "use GET (verification) or POST (events)\n") }
        guard let object = (try? JSONSerialization.jsonObject(with: request.body)) as? [String: Any],
              let events = (object["data"] as? [String: Any])?["events"] as? [[String: Any]] else {
            return .text(400, "unreadable Okta event hook: no data.events\n")
        }
        if let id = object["eventId"] as? String, !deliveries.withLock({ $0.insert("okta:\(id)") }) {
            return .text(200, "already received\n")
        }
        let types = events.compactMap { $0["eventType"] as? String }
        logger.info("Okta events", metadata: ["types": "\(types.prefix(5).joined(separator: ","))"])
        return triggered(source: source, kinds: [.accounts], what: "Okta \(types.first ?? "event")")
    }

    // MARK: Shared

    /// Queues every automated control that reads `kinds` from `source`, and wakes the loop.
    private func triggered(source: SourceConfig, kinds: Set<FactKind>, what: String) -> HTTPServerResponse {
        let controls = config.controls.filter { control in
            guard control.isAutomated, let spec = control.check, let type = CheckRegistry.type(named: spec.type) else { return false }
            let usesSource = spec.sources.isEmpty || spec.sources.contains(source.id)
            return usesSource && !kinds.isDisjoint(with: type.reads)
        }.map(\.id)
        triggers.trigger(controls)
        doorbell.ring(.runs)   // the scheduler; its run rings the dispatchers
        logger.notice("webhook: re-checking at once", metadata: ["event": "\(what)", "controls": "\(controls.map(\.rawValue).joined(separator: ","))"])
        return .text(202, "re-checking \(controls.count) control(s)\n")
    }
}

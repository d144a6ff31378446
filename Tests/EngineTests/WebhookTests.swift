import Checks
import Core
import Engine
import FactSources
import Foundation
import HTTP
import Logging
import Sockets
import Store
import Synchronization
import Testing
import TestSupport

/// Event-driven detection: a signed GitHub webhook or an Okta event hook re-runs the affected controls at once,
/// through the bot's own loop, so a change is alerted within one reconcile instead of at the next poll.
@Suite("Webhooks", .serialized)
struct WebhookTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    static let secret = "It's a Secret to Everybody"

    struct World {
        let bot: Bot
        let github: FakeGitHub
        let server: HTTPServer
        let clock: VirtualClock

        static func make() async throws -> World {
            let config = BotConfig(
                organisation: "Northwind", people: [Person(id: "dana", name: "Dana", email: "dana@example.com", team: "infra")],
                teams: [Team(id: "infra", name: "Infrastructure", manager: "dana", channels: ChannelRoutes(defaults: [.terminal: "#infra"]))],
                securityLeads: ["dana"],
                controls: [
                    Control(id: "branch-protection", title: "Default branches protected", criteria: [Criterion("CC8.1")!], owner: "infra",
                            severity: .high, cadence: 86_400, check: CheckSpec(type: "branch_protection"), remediation: "Protect the branch."),
                    Control(id: "mfa", title: "MFA", criteria: [Criterion("CC6.1")!], owner: "infra", severity: .high, cadence: 86_400,
                            check: CheckSpec(type: "mfa"), remediation: "Enforce MFA."),
                ],
                sources: [SourceConfig(id: "github", kind: "github", credentialVariables: ["token": "GITHUB_TOKEN", "webhook_secret": "GITHUB_WEBHOOK_SECRET"]),
                          SourceConfig(id: "okta", kind: "okta", credentialVariables: ["token": "OKTA_API_TOKEN", "event_hook_secret": "OKTA_EVENT_HOOK_SECRET"])])
            // The live GitHub client against the fake GitHub API: one org member, one protected repository.
            let github = FakeGitHub(organization: .init(login: "northwind", members: [.init("dana-r", admin: true)],
                                                        repos: [.init("api", requiredReviews: .some(2))]))
            var sourceConfig = config.sources[0]
            sourceConfig.settings = ["organization": .string("northwind"), "base_url": .string("https://api.github.test"),
                                     "secret_scanning": .bool(false), "dependabot": .bool(false)]
            let clock = VirtualClock(start: Date(timeIntervalSince1970: 1_772_438_400))
            let source = try GitHubSource(config: sourceConfig, environment: ["GITHUB_TOKEN": github.token], transport: github, clock: clock)
            let bot = Bot.make(config: config, database: try BotDatabase.inMemory(), sources: [source], surfaces: [], clock: clock,
                               logger: logger, start: clock.now())
            try await bot.loop.step()   // the first scheduled runs: everything passes
            let webhooks = WebhookEndpoint(config: config, triggers: bot.triggers, doorbell: bot.doorbell, logger: logger,
                                           environment: ["GITHUB_WEBHOOK_SECRET": secret, "OKTA_EVENT_HOOK_SECRET": "okta-shared-secret"])
            let routes = InboundRoutes(webhooks: webhooks)
            let server = HTTPServer(configuration: .init(capturedHeaders: InboundRoutes.capturedHeaders), handler: { await routes.handle($0) })
            try server.start()
            return World(bot: bot, github: github, server: server, clock: clock)
        }

        func post(_ path: String, _ body: String, headers: [(String, String)]) async throws -> HTTPResponse {
            try await URLSessionTransport().send(HTTPRequest(method: "POST", url: URL(string: "http://127.0.0.1:\(server.port)\(path)")!,
                                                             headers: headers + [("Content-Type", "application/json")], body: Data(body.utf8)))
        }

        func github(_ event: String, _ body: String, delivery: String = UUID().uuidString, secret: String = WebhookTests.secret) async throws -> HTTPResponse {
            try await post("/webhooks/github", body, headers: [
                ("X-GitHub-Event", event), ("X-GitHub-Delivery", delivery),
                ("X-Hub-Signature-256", "sha256=" + HMACSignature.hex(message: Data(body.utf8), key: Data(secret.utf8))),
            ])
        }

        func openAlerts() throws -> [Alert] { try bot.engine.database.read { try $0.liveAlerts() } }
    }

    @Test func removingBranchProtectionIsAlertedWithinOneReconcile() async throws {
        let world = try await World.make()
        defer { world.server.stop() }
        #expect(try world.openAlerts().isEmpty)
        world.github.update { $0.repos[0].protection = nil }   // someone removes the branch protection
        let body = #"{"action":"deleted","rule":{"name":"main","repository_id":1},"repository":{"full_name":"northwind/api"},"sender":{"login":"mallory"}}"#
        let answer = try await world.github("branch_protection_rule", body)
        #expect(answer.status == 202)
        #expect(String(decoding: answer.body, as: UTF8.self).contains("re-checking 1 control"), "branch protection, not MFA")
        // Not a minute later on the clock: the next loop step runs the triggered control.
        try await world.bot.loop.step()
        let alerts = try world.openAlerts()
        #expect(alerts.map(\.control) == ["branch-protection"])
        #expect(alerts.first?.openedAt == world.clock.now())
        #expect(try world.bot.engine.database.read { try $0.allOutbox() }.contains { $0.alert == alerts.first?.id && $0.kind == .post })
    }

    @Test func forgedUnsignedReplayedAndGarbledWebhooksTriggerNothing() async throws {
        let world = try await World.make()
        defer { world.server.stop() }
        let body = #"{"action":"deleted","repository":{"full_name":"northwind/api"}}"#
        #expect(try await world.github("branch_protection_rule", body, secret: "guessed").status == 401)
        #expect(try await world.post("/webhooks/github", body, headers: [("X-GitHub-Event", "repository")]).status == 401)
        #expect(try await world.github("repository", "{not json").status == 400)
        #expect(world.bot.triggers.isEmpty)
        #expect(try await world.github("repository", body, delivery: "d-1").status == 202)
        #expect(try await world.github("repository", body, delivery: "d-1").status == 200, "a replayed delivery is not run twice")
        #expect(try await world.github("ping", #"{"zen":"Keep it logically awesome."}"#).status == 200)
        #expect(try await world.github("star", #"{"action":"created"}"#).status == 200)
    }

    @Test func oktaEventHooksAreVerifiedThenTriggerAccountControls() async throws {
        let world = try await World.make()
        defer { world.server.stop() }
        let url = URL(string: "http://127.0.0.1:\(world.server.port)/webhooks/okta")!
        let transport = URLSessionTransport()
        let verify = try await transport.send(HTTPRequest(method: "GET", url: url, headers: [
            ("Authorization", "okta-shared-secret"), ("X-Okta-Verification-Challenge", "YXNkZmFzZGZhc2Rm")]))
        #expect(verify.status == 200)
        #expect(String(decoding: verify.body, as: UTF8.self).contains(#""verification":"YXNkZmFzZGZhc2Rm""#))
        let wrong = try await transport.send(HTTPRequest(method: "GET", url: url, headers: [
            ("Authorization", "guess"), ("X-Okta-Verification-Challenge", "x")]))
        #expect(wrong.status == 401)

        let event = #"{"eventType":"com.okta.event_hook","eventId":"b5a188b9-5ece-4636-b041-482ffda96311","data":{"events":[{"eventType":"user.mfa.factor.deactivate","uuid":"1"}]}}"#
        let posted = try await world.post("/webhooks/okta", event, headers: [("Authorization", "okta-shared-secret")])
        #expect(posted.status == 202)
        #expect(String(decoding: posted.body, as: UTF8.self).contains("re-checking 1 control"), "MFA reads accounts")
        #expect(try await world.post("/webhooks/okta", #"{"data":{}}"#, headers: [("Authorization", "okta-shared-secret")]).status == 400)
    }
}

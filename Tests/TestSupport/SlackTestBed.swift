import Chat
import Core
import Engine
import Foundation
import HTTP
import Logging
import Store

/// The bot wired to a fake Slack: an organisation whose `infra` team lives in Slack channel `C0INFRA`, a
/// failing control, the real engine, dispatcher and `SlackInteractions`, a virtual clock.
///
/// People: dana (`U0DANA`, infra engineer), sam (infra manager, **no Slack id**: found by e-mail), lee (security
/// lead, `U0LEE`), eve (payments, `U0EVE`: another team). Slack users the manifests do not map: `U0STRANGER`
/// (no profile e-mail match) and `U0SAMSLACK` (sam's Slack account, profile e-mail sam@example.com).
package final class SlackTestBed: Sendable {
    package static let t0 = Date(timeIntervalSince1970: 1_772_438_400)   // 2026-03-02 08:00 UTC
    package static let signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"
    package static let channel = "C0INFRA"

    package let config: BotConfig
    package let engine: AlertEngine
    package let fake: FakeSlackWebAPI
    package let clock: VirtualClock
    /// The clock of Slack's answer budget and of its trigger ids' 3 s: it moves only when a test advances it, so an
    /// answer comes in time, and a form opens, unless the test lets the time run out.
    package let answerClock: TestClock
    package let dispatcher: Dispatcher
    package let doorbell: Doorbell
    package let directory: SlackDirectory
    package let interactions: SlackInteractions
    package let commands: CommandHandler
    /// Runs `interactions.tasks` (what handlers answer after their request returned) for the bed's lifetime.
    private let tasksRunner: Task<Void, Never>?

    package static func config(teamID: String? = FakeSlackPayloads.team, appID: String? = FakeSlackPayloads.appID,
                               mode: ChatConfig.Slack.Mode = .http) -> BotConfig {
        BotConfig(
            organisation: "Northwind",
            people: [
                Person(id: "dana", name: "Dana", email: "dana@example.com", team: "infra", manager: "sam", chatIDs: [.slack: "U0DANA"]),
                Person(id: "sam", name: "Sam", email: "sam@example.com", team: "infra"),
                Person(id: "lee", name: "Lee", email: "lee@example.com", team: "security", chatIDs: [.slack: "U0LEE"]),
                Person(id: "eve", name: "Eve", email: "eve@example.com", team: "payments", chatIDs: [.slack: "U0EVE"]),
            ],
            teams: [
                Team(id: "infra", name: "Infrastructure", manager: "sam", channels: ChannelRoutes(defaults: [.slack: channel])),
                Team(id: "payments", name: "Payments", manager: "lee", channels: ChannelRoutes(defaults: [.slack: "C0PAY"])),
            ],
            securityLeads: ["lee"],
            policy: EscalationPolicy(ackTimeout: [.high: 3_600], sla: [.high: 86_400], maxSnooze: 14 * 86_400,
                                     maxRiskAcceptance: 180 * 86_400, levels: [.teamChannel, .teamManager, .securityLeads]),
            controls: [Control(id: "bucket-encryption", title: "Customer buckets encrypted", criteria: [Criterion("CC6.1")!], owner: "infra",
                               severity: .high, cadence: 3_600, check: CheckSpec(type: "storage_encryption"),
                               remediation: "Enable default encryption (SSE-KMS).")],
            chat: ChatConfig(slack: .init(botTokenVariable: "SLACK_BOT_TOKEN", appTokenVariable: "SLACK_APP_TOKEN",
                                          signingSecretVariable: "SLACK_SIGNING_SECRET", mode: mode, teamID: teamID, appID: appID)))
    }

    /// - Parameter runsTasks: runs the interactions' late answers for the bed's lifetime; false when a test runs
    ///   `interactions.tasks` itself (in a service group).
    package init(config: BotConfig = SlackTestBed.config(), database: BotDatabase? = nil, answerBudget: Duration = .milliseconds(2_500),
                 runsTasks: Bool = true) throws {
        self.config = config
        engine = AlertEngine(config: config, database: try database ?? BotDatabase.inMemory())
        let answerClock = TestClock()
        self.answerClock = answerClock
        fake = FakeSlackWebAPI(channels: [Self.channel, "C0PAY"],
                               users: ["U0DANA": "dana@example.com", "U0SAMSLACK": "sam@example.com", "U0LEE": "lee@example.com",
                                       "U0EVE": "eve@example.com", "U0STRANGER": "stranger@elsewhere.example"],
                               clock: answerClock)
        clock = VirtualClock(start: Self.t0)
        let clock = clock
        let api = SlackWebAPI(token: "xoxb-test-token", transport: fake)
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        dispatcher = Dispatcher(database: engine.database, surfaces: [SlackSurface(api: api, perChannelInterval: 0, clock: clock)],
                                clock: clock, logger: logger)
        doorbell = Doorbell()
        directory = SlackDirectory(config: config, api: api, clock: clock)
        commands = CommandHandler(engine: engine, clock: clock)
        let tasks = InboundTasks()
        interactions = SlackInteractions(bot: EngineChatBot(commands: commands, doorbell: doorbell), directory: directory, api: api,
                                         settings: config.chat.slack!, tasks: tasks, transport: fake, logger: logger, answerBudget: answerBudget, answerClock: answerClock,
                                         responseHosts: [FakeSlackWebAPI.responseHost])
        tasksRunner = runsTasks ? Task { try? await tasks.run() } : nil
    }

    deinit { tasksRunner?.cancel() }

    /// Returns once every answer the interactions started after their requests returned has been sent: tests wait
    /// on this rather than polling what Slack received.
    package func settled() async { await interactions.tasks.idle() }

    /// Fails the control on `resources` and delivers the resulting posts.
    @discardableResult
    package func fail(_ resources: [String] = ["customer-exports"]) async throws -> [FakeSlackWebAPI.Posted] {
        let results = resources.map {
            CheckResult(resource: ResourceRef(id: $0, name: $0, kind: "bucket"), status: .fail, expected: "encrypted", observed: "no default encryption")
        }
        try engine.reconcile(config.controls[0], results: results, at: clock.now())
        try await dispatcher.drain()
        return fake.messages.filter { $0.threadTS == nil }
    }

    package func alert(_ id: Int64 = 1) throws -> Alert? { try engine.database.read { try $0.alert(AlertID(id)) } }

    /// The action id of the element on a posted message whose action kind is `kind` (button or overflow option).
    package static func actionID(_ kind: ChatAction.Kind, in message: FakeSlackWebAPI.Posted) -> (actionID: String, selected: String?)? {
        let body = (try? JSONSerialization.jsonObject(with: message.body) as? [String: Any]) ?? [:]
        for block in body["blocks"] as? [[String: Any]] ?? [] {
            for element in block["elements"] as? [[String: Any]] ?? [] {
                if let id = element["action_id"] as? String, ChatAction(actionID: id)?.kind == kind { return (id, nil) }
                for option in element["options"] as? [[String: Any]] ?? [] {
                    if let value = option["value"] as? String, ChatAction(actionID: value)?.kind == kind {
                        return (element["action_id"] as? String ?? "", value)
                    }
                }
            }
        }
        return nil
    }

    /// The newest version of the posted message with `ts` (edits included).
    package func message(ts: String) -> FakeSlackWebAPI.Posted? { fake.messages.first { $0.ts == ts && $0.threadTS == nil } }

    /// Ledger entries of `kind`, as JSON objects.
    package func evidence(kind: String) throws -> [[String: Any]] {
        var entries: [[String: Any]] = []
        try engine.database.read { tx in
            try tx.ledgerRows { row in
                if row.kind == kind, let object = try JSONSerialization.jsonObject(with: row.entry) as? [String: Any] { entries.append(object) }
            }
        }
        return entries
    }
}

/// Runs blocking work (a child process, pipe reads) on its own thread, so it never holds one of the few threads of
/// Swift's cooperative pool: with 2 cores, two blocked tests would otherwise starve every async test meanwhile.
package func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// Runs `body` with an `InboundTasks` service running beside it; stops the service (cancelled) when `body` returns.
package func withInboundTasks<T: Sendable>(_ body: (InboundTasks) async -> T) async -> T {
    let tasks = InboundTasks()
    return await withTaskGroup(of: Void.self, returning: T.self) { group in
        group.addTask { try? await tasks.run() }
        defer { group.cancelAll() }
        return await body(tasks)
    }
}

import Chat
import Checks
import Core
import Engine
import Foundation
import Logging
import Store

/// A small organisation: team infra (manager dana, security admin omar), security lead priya, one control.
enum EngineFixtures {
    static let t0 = Date(timeIntervalSince1970: 1_772_438_400)   // 2026-03-02 08:00 UTC

    static func config(grouping: AlertGrouping = .perResource, tolerance: TimeInterval = 0) -> BotConfig {
        BotConfig(
            organisation: "Test Co",
            people: [
                Person(id: "dana", name: "Dana", email: "dana@test.example", team: "infra", chatIDs: [.terminal: "dana", .slack: "UDANA"]),
                Person(id: "omar", name: "Omar", email: "omar@test.example", team: "infra", manager: "dana", chatIDs: [.terminal: "omar"]),
                Person(id: "priya", name: "Priya", email: "priya@test.example", team: "security", chatIDs: [.terminal: "priya"]),
            ],
            teams: [Team(id: "infra", name: "Infrastructure", manager: "dana",
                         channels: ChannelRoutes(defaults: [.terminal: "#infra"], bySeverity: [.critical: [.terminal: "#oncall"]]),
                         securityAdmins: ["omar"])],
            securityLeads: ["priya"],
            policy: EscalationPolicy(ackTimeout: [.high: 3_600], sla: [.high: 86_400], maxSnooze: 7 * 86_400,
                                     maxRiskAcceptance: 30 * 86_400, levels: [.teamChannel, .teamManager, .securityLeads]),
            controls: [Control(id: "bucket-encryption", title: "Buckets encrypted", criteria: [Criterion("CC6.1")!], owner: "infra",
                               severity: .high, cadence: 3_600, check: CheckSpec(type: "storage_encryption"), remediation: "Enable SSE-KMS.",
                               tolerance: tolerance, grouping: grouping)])
    }

    static func result(_ id: String, _ status: CheckStatus) -> CheckResult {
        CheckResult(resource: ResourceRef(id: id, name: id, kind: "bucket"), status: status, expected: "encrypted",
                    observed: status == .pass ? "encrypted" : "no default encryption")
    }

    static func engine(_ config: BotConfig = config()) throws -> AlertEngine {
        AlertEngine(config: config, database: try BotDatabase.inMemory())
    }

    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
}

struct TestError: Error {}

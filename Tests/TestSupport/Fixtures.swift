import Core
import Foundation
import Store

/// A small sample organisation shared by the test targets: one team (`infra`, Slack + terminal channels), its
/// manager and one engineer, and one automated per-resource control (`mfa-enforced`, CC6.1). Times are fixed;
/// nothing here reads the wall clock.
package enum Sample {
    /// 2026-02-25 06:13:20 UTC.
    package static let t0 = Date(timeIntervalSince1970: 1_772_000_000)
    package static let minute: TimeInterval = 60
    package static let hour: TimeInterval = 3_600
    package static let day: TimeInterval = 86_400

    /// `t0` plus `offset` seconds.
    package static func at(_ offset: TimeInterval) -> Date { t0.addingTimeInterval(offset) }

    package static let teamID: TeamID = "infra"
    package static let slackChannel = "C0INFRA"
    package static let terminalChannel = "infra"

    /// The team's manager (escalation level 1) and a security lead.
    package static let sam = Person(id: "sam", name: "Sam Okafor", email: "sam@example.com", team: "infra",
                                    chatIDs: [.slack: "U0SAM", .terminal: "sam"])
    /// An engineer of the team who acts on alerts.
    package static let dana = Person(id: "dana", name: "Dana Reyes", email: "dana@example.com", team: "infra", manager: "sam",
                                     chatIDs: [.slack: "U0DANA", .terminal: "dana"])

    package static let team = Team(id: "infra", name: "Infrastructure", manager: "sam",
                                   channels: ChannelRoutes(defaults: [.slack: slackChannel, .terminal: terminalChannel]))

    /// An MFA control over identity-provider accounts, alerting at once on the first failing run.
    package static func control(id: ControlID = "mfa-enforced", severity: Severity = .high, grouping: AlertGrouping = .perResource,
                                tolerance: TimeInterval = 0, minFailures: Int = 1) -> Control {
        Control(id: id, title: "MFA enforced", criteria: [Criterion("CC6.1")!], owner: teamID, severity: severity,
                cadence: hour, check: CheckSpec(type: "mfa_enforced"), remediation: "enforce MFA for the account in Okta",
                tolerance: tolerance, minFailures: minFailures, grouping: grouping)
    }

    /// The organisation with `controls` (by default the one sample control).
    package static func config(controls: [Control] = [control()]) -> BotConfig {
        BotConfig(organisation: "Acme", people: [sam, dana], teams: [team], securityLeads: ["sam"], controls: controls)
    }

    /// An identity-provider account, `okta:<name>`.
    package static func account(_ name: String) -> ResourceRef {
        ResourceRef(id: "okta:\(name)", name: name, kind: "account")
    }

    package static func fail(_ name: String, observed: String = "MFA off", since: Date? = nil) -> CheckResult {
        CheckResult(resource: account(name), status: .fail, expected: "MFA on", observed: observed, failingSince: since)
    }

    package static func pass(_ name: String) -> CheckResult {
        CheckResult(resource: account(name), status: .pass, expected: "MFA on", observed: "MFA on")
    }

    package static func error(_ name: String, _ message: String = "timed out") -> CheckResult {
        CheckResult(resource: account(name), status: .error(message), expected: "MFA on", observed: "")
    }

    /// The new-alert draft the reconcile planner makes for `name` failing `control` for the first time.
    package static func draft(_ name: String, control: Control = control(), observed: String = "MFA off",
                              at: Date = t0) -> ReconcilePlan.NewAlert {
        let plan = ReconcilePlan.plan(control: control, results: [fail(name, observed: observed)], at: at,
                                      tracks: [:], liveAlerts: [:])
        precondition(plan.alertsToOpen.count == 1, "the sample control alerts on the first failing run")
        return plan.alertsToOpen[0]
    }

    /// A soc2bot database file `bot.sqlite` in `directory` (WAL, synchronous=FULL, migrated).
    package static func fileDatabase(in directory: URL, name: String = "bot.sqlite") throws -> BotDatabase {
        try BotDatabase.open(path: directory.appendingPathComponent(name).path)
    }
}

/// Runs `body` with a fresh empty directory under the system temporary directory and removes it afterwards.
/// Scoped by a closure rather than an object's lifetime, so the directory cannot vanish under an open database.
package func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let url = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

/// Runs async `body` with a fresh empty directory and removes it afterwards.
package func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let url = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}

private func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("soc2bot-test-\(UUID().uuidString.lowercased())", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

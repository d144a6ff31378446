import Chat
import Core
import Foundation
import Testing

/// An organisation with three teams:
/// - infra: manager mo, default channels on Slack and Matrix, a paging channel for critical, ada may accept risk;
/// - payments: no manager, no channels, escalation contacts (with a duplicate and someone not in the manifests);
/// - data: a Matrix channel for critical only, a manager missing from the people list.
enum Org {
    static let people: [Person] = [
        Person(id: "dana", name: "Dana", email: "dana@example.com", team: "infra", manager: "mo",
               chatIDs: [.slack: "U-DANA", .matrix: "@dana:example.org"]),
        Person(id: "mo", name: "Mo", email: "mo@example.com", team: "infra", chatIDs: [.slack: "U-MO"]),
        Person(id: "lee", name: "Lee", email: "lee@example.com", chatIDs: [.slack: "U-LEE", .terminal: "lee"]),
        Person(id: "kim", name: "Kim", email: "kim@example.com", chatIDs: [.matrix: "@kim:example.org"]),
        Person(id: "ada", name: "Ada", email: "ada@example.com", team: "infra", chatIDs: [.slack: "U-ADA"]),
        Person(id: "pat", name: "Pat", email: "pat@example.com", team: "payments", chatIDs: [.slack: "U-PAT"]),
        Person(id: "eve", name: "Eve", email: "eve@example.com", team: "payments"),
    ]
    static let teams: [Team] = [
        Team(id: "infra", name: "Infrastructure", manager: "mo",
             channels: ChannelRoutes(defaults: [.slack: "C-INFRA", .matrix: "!infra:example.org"],
                                     bySeverity: [.critical: [.slack: "C-INFRA-PAGE"]]),
             securityAdmins: ["ada"]),
        Team(id: "payments", name: "Payments", escalationContacts: ["pat", "pat", "ghost"]),
        Team(id: "data", name: "Data", manager: "ghost", channels: ChannelRoutes(bySeverity: [.critical: [.matrix: "!data-crit:example.org"]])),
    ]

    static func config(levels: [EscalationTarget] = EscalationPolicy.standard.levels,
                       defaultChannels: [ChatPlatform: String] = [.slack: "C-SOC2"]) -> BotConfig {
        var policy = EscalationPolicy.standard
        policy.levels = levels
        return BotConfig(organisation: "Acme", people: people, teams: teams, defaultChannels: defaultChannels,
                         securityLeads: ["lee", "kim"], policy: policy, controls: [])
    }
}

@Suite("Routing")
struct RoutingTests {
    let config = Org.config()

    /// A message that fails for good is told in the organisation's default channels and to every security lead on
    /// every platform they are on, so one surface that works is enough. (Lee has no Matrix id; Kim no Slack id and,
    /// with Slack configured, is addressed there by e-mail.)
    @Test func deliveryFailuresGoToTheDefaultChannelsAndTheSecurityLeadsEverywhere() {
        var config = Org.config(defaultChannels: [.slack: "C-SOC2", .matrix: "!security:example.org"])
        #expect(Routing.deliveryFailureDestinations(config: config) == [
            .channel(.matrix, "!security:example.org"), .channel(.slack, "C-SOC2"),
            .direct(.slack, "U-LEE"), .direct(.terminal, "lee"), .direct(.matrix, "@kim:example.org"),
        ])
        config.chat = ChatConfig(slack: .init(botTokenVariable: "SLACK_BOT_TOKEN"))
        #expect(Routing.deliveryFailureDestinations(config: config).contains(.direct(.slack, "mailto:kim@example.com")))
    }

    struct ChannelCase: Sendable, CustomTestStringConvertible {
        var team: TeamID
        var severity: Severity
        var channels: [String]
        var testDescription: String { "\(team) \(severity) → \(channels.joined(separator: ", "))" }
    }

    static let channelCases: [ChannelCase] = [
        .init(team: "infra", severity: .critical, channels: ["matrix:!infra:example.org", "slack:C-INFRA-PAGE"]),
        .init(team: "infra", severity: .high, channels: ["matrix:!infra:example.org", "slack:C-INFRA"]),
        .init(team: "infra", severity: .low, channels: ["matrix:!infra:example.org", "slack:C-INFRA"]),
        .init(team: "data", severity: .critical, channels: ["matrix:!data-crit:example.org"]),
        .init(team: "data", severity: .medium, channels: ["slack:C-SOC2"]),
        .init(team: "payments", severity: .critical, channels: ["slack:C-SOC2"]),
        .init(team: "unknown", severity: .high, channels: ["slack:C-SOC2"]),
    ]

    @Test(arguments: channelCases)
    func teamChannelsBySeverityWithDefaultsAndOrganisationFallback(_ row: ChannelCase) {
        let channels = Routing.teamChannels(team: row.team, severity: row.severity, config: config)
        #expect(channels.map(\.description) == row.channels)
        #expect(channels.allSatisfy { $0.kind == .channel })
    }

    @Test func noTeamChannelAndNoOrganisationDefaultMeansNowhere() {
        let bare = Org.config(defaultChannels: [:])
        #expect(Routing.teamChannels(team: "payments", severity: .critical, config: bare).isEmpty)
    }

    struct EscalationCase: Sendable, CustomTestStringConvertible {
        var team: TeamID
        var level: Int
        var people: [PersonID]
        var why: String
        var testDescription: String { "\(team) L\(level) → [\(people.map(\.rawValue).joined(separator: ", "))]: \(why)" }
    }

    static let escalationCases: [EscalationCase] = [
        .init(team: "infra", level: 0, people: [], why: "level 0 is the team channel"),
        .init(team: "infra", level: -1, people: [], why: "no negative levels"),
        .init(team: "infra", level: 1, people: ["mo"], why: "the team manager"),
        .init(team: "payments", level: 1, people: ["lee", "kim"], why: "no manager: security leads"),
        .init(team: "unknown", level: 1, people: ["lee", "kim"], why: "unknown team: security leads"),
        .init(team: "data", level: 1, people: [], why: "manager not in the manifests: nobody (validation's job)"),
        .init(team: "infra", level: 2, people: ["lee", "kim"], why: "no escalation contacts: security leads"),
        .init(team: "payments", level: 2, people: ["pat"], why: "contacts, deduplicated, unknown ids dropped"),
        .init(team: "infra", level: 7, people: ["lee", "kim"], why: "beyond the top: the top level"),
    ]

    @Test(arguments: escalationCases)
    func escalationPeoplePerLevel(_ row: EscalationCase) {
        let people = Routing.escalationPeople(team: row.team, level: row.level, config: config)
        #expect(people.map(\.id) == row.people)
    }

    @Test func escalationFollowsThePolicyLevels() {
        let straightToSecurity = Org.config(levels: [.teamChannel, .securityLeads])
        #expect(Routing.escalationPeople(team: "infra", level: 1, config: straightToSecurity).map(\.id) == ["lee", "kim"])
        let noLevels = Org.config(levels: [])
        #expect(Routing.escalationPeople(team: "infra", level: 1, config: noLevels).isEmpty)
        let channelTwice = Org.config(levels: [.teamChannel, .teamChannel])
        #expect(Routing.escalationPeople(team: "infra", level: 1, config: channelTwice).isEmpty)
    }

    @Test func directMessagesGoToEveryPlatformEachPersonIsOn() {
        let people = ["dana", "lee", "eve"].compactMap { config.person(PersonID($0)) }
        #expect(Routing.directMessages(to: people, config: config).map(\.description) == [
            "matrix:dm:@dana:example.org", "slack:dm:U-DANA", "slack:dm:U-LEE", "terminal:dm:lee",
        ])
        #expect(Routing.directMessages(to: people, config: config).allSatisfy { $0.kind == .direct })
        #expect(Routing.directMessages(to: [], config: config).isEmpty)
    }

    @Test func slackDirectMessagesFallBackToTheEmailWhenSlackIsConfigured() {
        var slack = config
        slack.chat.slack = .init(botTokenVariable: "SLACK_BOT_TOKEN", appTokenVariable: "SLACK_APP_TOKEN")
        let kim = [config.person("kim")!]
        #expect(Routing.directMessages(to: kim, config: config).map(\.description) == ["matrix:dm:@kim:example.org"])
        let destinations = Routing.directMessages(to: kim, config: slack)
        #expect(destinations.map(\.description) == ["matrix:dm:@kim:example.org", "slack:dm:mailto:kim@example.com"])
        #expect(destinations.last?.email == "kim@example.com")
        #expect(destinations.first?.email == nil)
    }

    /// The e-mail fallback is the platform's (`ChatPlatformKind.directsByEmail`), not Slack's by name: any configured
    /// platform that directs by e-mail gets it, one that does not gets nothing.
    @Test func theEmailFallbackIsThePlatformsOwn() {
        var withTeams = config
        withTeams.chat[ChatPlatform("teams")] = ChatSettings(values: [:], directsByEmail: true)
        withTeams.chat[ChatPlatform("irc")] = ChatSettings(values: [:], directsByEmail: false)
        let kim = [config.person("kim")!]
        #expect(Routing.directMessages(to: kim, config: withTeams).map(\.description) == ["matrix:dm:@kim:example.org", "teams:dm:mailto:kim@example.com"])
    }

    static let everyoneMay: [AlertAction] = [
        .acknowledge, .snooze(until: Fixture.at(Fixture.day), rationale: "vendor"), .escalate(note: nil),
        .close(remediation: "fixed", link: nil),
    ]
    static let acceptRisk = AlertAction.acceptRisk(until: Fixture.at(30 * Fixture.day), rationale: "legacy")

    @Test(arguments: everyoneMay)
    func theOwningTeamItsManagerAdminsAndLeadsMayActOthersMayNot(_ action: AlertAction) {
        #expect(Routing.mayPerform(action, person: "dana", team: "infra", config: config), "a member")
        #expect(Routing.mayPerform(action, person: "mo", team: "infra", config: config), "the manager")
        #expect(Routing.mayPerform(action, person: "ada", team: "infra", config: config), "a security admin")
        #expect(Routing.mayPerform(action, person: "kim", team: "infra", config: config), "a security lead")
        #expect(Routing.mayPerform(action, person: "pat", team: "payments", config: config), "an escalation contact")
        #expect(!Routing.mayPerform(action, person: "eve", team: "infra", config: config), "another team's member")
        #expect(!Routing.mayPerform(action, person: "dana", team: "payments", config: config), "another team's member")
        #expect(!Routing.mayPerform(action, person: "mallory", team: "infra", config: config), "not in the manifests")
    }

    @Test func acceptingRiskTakesASecurityLeadOrTheTeamsSecurityAdmin() {
        func may(_ person: PersonID, _ team: TeamID) -> Bool {
            Routing.mayPerform(Self.acceptRisk, person: person, team: team, config: config)
        }
        #expect(may("lee", "infra"))
        #expect(may("kim", "payments"))
        #expect(may("ada", "infra"))
        #expect(!may("ada", "payments"), "a security admin of infra only")
        #expect(!may("dana", "infra"))
        #expect(!may("mo", "infra"), "managers are not risk approvers")
        #expect(!may("mallory", "infra"))
    }

    @Test func peopleAreFoundByTheirChatID() {
        #expect(config.person(platform: .matrix, chatID: "@kim:example.org")?.id == "kim")
        #expect(config.person(platform: .slack, chatID: "@kim:example.org") == nil)
    }
}

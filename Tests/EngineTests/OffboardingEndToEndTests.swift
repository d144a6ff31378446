import Chat
import Core
import Engine
import FactSources
import Foundation
import HTTP
import Logging
import Store
import Testing
import TestSupport

/// The seed's headline finding, end to end on a test clock: HR (a CSV export) records a termination; the first run
/// after it tells the owning team once — the leaver's GitHub (fake GitHub, by the manifests' login alias), Okta (fake
/// Okta) and AWS (moto) accounts still active and the deadline — without chasing anyone; 25 hours later, the deadline
/// passed, the same alert escalates; once the accounts are gone, it is closed with the remediation and the next run
/// keeps it closed.
@Suite("Offboarding across HR, GitHub, Okta and AWS", .serialized)
struct OffboardingEndToEndTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    static let t0 = Date(timeIntervalSince1970: 1_772_409_600)   // 2026-03-02 00:00 UTC: Lee's termination date

    /// Sends each request to the fake for its host; anything else (moto) over real HTTP.
    struct ByHost: HTTPTransport {
        let fakes: [String: any HTTPTransport]
        let network = URLSessionTransport(timeout: 10)
        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            try await (fakes[request.url.host ?? ""] ?? network).send(request)
        }
    }

    @Test func aLeaverStillActiveInThreeSystemsIsOneAlertThatClosesWithItsRemediation() async throws {
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let lee = "lee-\(tag)@northwind.example", dana = "dana-\(tag)@northwind.example"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("offboarding-\(tag)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let csv = directory.appendingPathComponent("people.csv")
        try """
            employee_id,name,email,status,termination_date,department,manager
            17,Lee Park,\(lee),terminated,2026-03-02,Platform,\(dana)
            4,Dana Reyes,\(dana),active,,Platform,

            """.write(to: csv, atomically: true, encoding: .utf8)

        // GitHub: Lee is an org admin under a login the manifests map to Lee; Okta: a super admin; AWS: a console admin.
        let github = FakeGitHub(organization: .init(login: "northwind", members: [.init("lee-gh-\(tag)", admin: true), .init("dana-r")]))
        let okta = FakeOkta(users: [
            .init(id: "00u1", login: lee, factors: [.init("token:software:totp")], roles: [.init("SUPER_ADMIN")]),
            .init(id: "00u2", login: dana, factors: [.init("token:software:totp")]),
        ])
        let iamUser = "lee-\(tag)"
        _ = try await Moto.iam("CreateUser", [("UserName", iamUser)])
        _ = try await Moto.iam("CreateLoginProfile", [("UserName", iamUser), ("Password", "Corr3ct-Horse-\(tag)")])
        _ = try await Moto.iam("TagUser", [("UserName", iamUser), ("Tags.member.1.Key", "email"), ("Tags.member.1.Value", lee)])

        var leePerson = Person(id: "lee", name: "Lee Park", email: lee, team: "platform")
        leePerson.accounts = ["github": ["lee-gh-\(tag)"]]
        let config = BotConfig(
            organisation: "Northwind",
            people: [leePerson, Person(id: "dana", name: "Dana Reyes", email: dana, team: "platform")],
            teams: [Team(id: "platform", name: "Platform", manager: "dana", channels: ChannelRoutes(defaults: [.terminal: "#platform"]))],
            securityLeads: ["dana"],
            controls: [Control(id: "offboarding-sla", title: "Leavers' access removed within 24h", criteria: [Criterion("CC6.2")!], owner: "platform",
                               severity: .critical, cadence: 3_600, check: CheckSpec(type: "offboarding", parameters: ["sla": .string("24h")]),
                               remediation: "Disable every account of the leaver.")],
            sources: [
                SourceConfig(id: "hr", kind: "csv_hr", settings: ["path": .string(csv.path)]),
                SourceConfig(id: "github", kind: "github", credentialVariables: ["token": "GITHUB_TOKEN"],
                             settings: ["organization": .string("northwind"), "base_url": .string("https://api.github.test")]),
                SourceConfig(id: "okta", kind: "okta", credentialVariables: ["token": "OKTA_API_TOKEN"],
                             settings: ["base_url": .string("https://northwind.okta.test")]),
                SourceConfig(id: "aws", kind: "aws", settings: ["endpoint": .string(try #require(Moto.endpoint, "\(Moto.NotRunning())"))]),
            ])
        let environment = ["GITHUB_TOKEN": github.token, "OKTA_API_TOKEN": okta.token,
                           "AWS_ACCESS_KEY_ID": Moto.credentials.accessKeyID, "AWS_SECRET_ACCESS_KEY": Moto.credentials.secretAccessKey]
        let clock = VirtualClock(start: Self.t0.addingTimeInterval(3_600))
        let sources = Bot.sources(for: config, clock: clock, environment: environment,
                                  transport: ByHost(fakes: ["api.github.test": github, "northwind.okta.test": okta]), demoWorld: { _ in nil })
        #expect(sources.allSatisfy { !($0 is UnavailableSource) }, "every source has a live client: \(sources.map { "\($0.id)" })")
        let surface = RecordingSurface()
        let bot = Bot.make(config: config, database: try BotDatabase.inMemory(), sources: sources, surfaces: [surface], clock: clock,
                           logger: Self.logger, start: clock.now())

        // Hourly runs from 1 h to 23 h after the termination: the clock has started. One message to the team, naming the
        // accounts and the deadline; nobody is chased (no escalation, no direct message) before the policy is broken.
        for _ in 1...23 {
            try await bot.loop.step()
            let live = try bot.engine.database.read { try $0.liveAlerts() }
            #expect(live.count == 1 && live.first?.state == .open && live.first?.escalationLevel == 0, "within the SLA at \(clock.now())")
            clock.advance(by: 3_600)
        }
        let notice = try #require(try bot.engine.database.read { try $0.liveAlerts() }.first)
        #expect(notice.observed.contains("remove by \(TimeText.human(Self.t0.addingTimeInterval(86_400)))"), "\(notice.observed)")
        #expect(notice.failingSince == Self.t0)
        #expect(await surface.delivered.filter { $0.kind == .post && $0.destination.address == "#platform" }.count == 1)
        #expect(await !surface.delivered.contains { $0.kind == .direct })
        clock.advance(by: 3_600)
        try await bot.loop.step()   // 25 h after the termination: the deadline has passed and the same alert escalates
        let alerts = try bot.engine.database.read { try $0.liveAlerts() }
        #expect(alerts.count == 1)
        let alert = try #require(alerts.first)
        #expect(alert.id == notice.id && alert.slaBreachedAt != nil && alert.escalationLevel >= 1)
        #expect(alert.severity == .critical && alert.team == "platform")
        #expect(alert.title.contains("Lee Park"))
        #expect(alert.observed.contains("GitHub (lee-gh-\(tag), org admin)"), "\(alert.observed)")
        #expect(alert.observed.contains("Okta (\(lee), SUPER_ADMIN)"), "\(alert.observed)")
        #expect(alert.observed.contains("AWS (\(iamUser)"), "\(alert.observed)")
        // The policy's own deadline (24 h after the termination) is the alert's SLA: no second grace from opening.
        #expect(alert.slaDeadline == Self.t0.addingTimeInterval(86_400) && alert.policyDeadline == alert.slaDeadline)

        // The accounts are removed; Dana closes the alert with what was done.
        github.update { $0.members.removeAll { $0.login.hasPrefix("lee-gh") } }
        okta.users = okta.users.map { user in var user = user; if user.login == lee { user.status = "DEPROVISIONED" }; return user }
        _ = try await Moto.iam("DeleteLoginProfile", [("UserName", iamUser)])
        let reply = try bot.commands.handle("close \(alert.id) removed from the GitHub org, Okta deprovisioned, IAM console login deleted",
                                            as: config.person("dana"), chatID: "dana", on: .terminal, surface: .chat(.terminal))
        #expect(reply.title.contains("is now closed"), "\(reply)")
        clock.advance(by: 3_600)
        try await bot.loop.step()
        #expect(try bot.engine.database.read { try $0.liveAlerts() }.isEmpty, "the next run passes: nothing re-opens")
        let closed = try #require(try bot.engine.database.read { try $0.alert(alert.id) })
        #expect(closed.state == .closed && closed.remediationNote?.contains("Okta deprovisioned") == true)
    }
}

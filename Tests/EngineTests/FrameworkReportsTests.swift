import Core
import Engine
import Foundation
import Reports
import Sockets
import Store
import Testing

/// The same alerts and ledger reported under SOC 2 and under ISO/IEC 27001: metrics, exceptions, status, the export,
/// the trust-center feed and the auditor's view group and name them by the chosen framework's criteria.
@Suite("Reports by framework")
struct FrameworkReportsTests {
    let t0 = EngineFixtures.t0
    let hour: TimeInterval = 3_600, day: TimeInterval = 86_400

    /// Two controls: `bucket-encryption` (storage_encryption, CC6.1; ISO by default A.8.24) and `leavers`
    /// (offboarding, CC6.2; its manifest narrows ISO to A.5.18, where the default adds A.6.5).
    var config: BotConfig {
        var config = EngineFixtures.config()
        var leavers = Control(id: "leavers", title: "Leavers' access removed", criteria: [Criterion("CC6.2")!], owner: "infra", severity: .high,
                              cadence: 3_600, check: CheckSpec(type: "offboarding"), remediation: "Disable the account.")
        leavers.frameworkCriteria = [.iso27001: ["A.5.18"]]
        config.controls.append(leavers)
        return config
    }

    /// bucket `exports` fails at t0, closed on day 5 (in breach from day 1). A-2: `j.smith` still active an hour
    /// later, still open on day 10 (in breach from day 1). Both controls' last runs fail.
    func history() throws -> AlertEngine {
        let engine = AlertEngine(config: config, database: try BotDatabase.inMemory())
        try engine.reconcile(engine.config.controls[0], results: [EngineFixtures.result("exports", .fail)], at: t0)
        try engine.reconcile(engine.config.controls[1], results: [EngineFixtures.result("j.smith", .fail)], at: t0 + hour)
        let outcome = try engine.apply(AlertRequest(.close(remediation: "SSE-KMS enabled", link: "https://tickets.example/OPS-9"), by: .person("dana"),
                                                    via: .chat(.slack), at: t0 + 5 * day), to: AlertID(1))
        guard case .changed = outcome else { throw TestError() }
        return engine
    }

    var period: DateInterval { DateInterval(start: t0, end: t0 + 10 * day) }

    func metrics(_ engine: AlertEngine, _ framework: Framework) throws -> [MetricsBreakdown.Row] {
        try engine.database.read { tx in
            MetricsBreakdown.compute(.criterion, alerts: try tx.alertFacts(touching: period), controls: engine.config.controls,
                                     ran: try tx.controlsRun(in: period), ranBefore: [], evidencedManual: [], period: period, framework: framework)
        }
    }

    @Test func metricsGroupTheSameAlertsByEitherFrameworksCriteria() throws {
        let engine = try history()
        let soc2 = try metrics(engine, .soc2), iso = try metrics(engine, .iso27001)
        #expect(soc2.map(\.group) == ["CC6.1", "CC6.2"])
        #expect(iso.map(\.group) == ["A.5.18", "A.8.24"])
        // The same numbers, under other names: A.8.24 is the bucket control's, A.5.18 the leavers'.
        #expect(soc2.map(\.current.opened) == [1, 1] && iso.map(\.current.opened) == [1, 1])
        #expect(soc2.map(\.current.remediated) == [1, 0] && iso.map(\.current.remediated) == [0, 1])
        #expect(iso.map { $0.openRisk.values.reduce(0, +) } == [1, 0])
        #expect(soc2.map(\.current.slaBreaches).reduce(0, +) == 2 && iso.map(\.current.slaBreaches).reduce(0, +) == 2)
    }

    @Test func exceptionsNameTheFrameworksCriteria() throws {
        let engine = try history()
        let soc2 = try engine.database.read { try ExceptionsReport.build(config: engine.config, store: $0, period: period) }.markdown
        let iso = try engine.database.read { try ExceptionsReport.build(config: engine.config, store: $0, period: period, framework: .iso27001) }.markdown
        #expect(soc2.contains("(bucket-encryption, CC6.1) persisting beyond the policy SLA"))
        #expect(soc2.contains("(leavers, CC6.2) persisting beyond the policy SLA"))
        #expect(iso.contains("(criteria of ISO/IEC 27001:2022 Annex A)"))
        #expect(iso.contains("(bucket-encryption, A.8.24) persisting beyond the policy SLA"))
        #expect(iso.contains("(leavers, A.5.18) persisting beyond the policy SLA"))
        #expect(!iso.contains("CC6.") && !iso.contains("A.6.5"))
    }

    @Test func statusCountsOpenAlertsPerCriterion() throws {
        let engine = try history()
        let at = t0 + 10 * day
        let iso = try engine.database.read { try StatusReport.build(config: engine.config, store: $0, now: at, framework: .iso27001) }
        let soc2 = try engine.database.read { try StatusReport.build(config: engine.config, store: $0, now: at, framework: .soc2) }
        #expect(iso.byCriterion.map { "\($0.criterion):\($0.open)/\($0.breached)" } == ["A.5.18:1/1"])
        #expect(soc2.byCriterion.map { "\($0.criterion):\($0.open)/\($0.breached)" } == ["CC6.2:1/1"])
        #expect(iso.message.body?.contains("Open by ISO 27001 criterion: A.5.18 1 (1 SLA breached)") == true)
        #expect(iso.message.title.contains("ISO 27001 readiness"))
        // Without a framework the readiness view is as it was.
        let plain = try engine.database.read { try StatusReport.build(config: engine.config, store: $0, now: at) }
        #expect(plain.byCriterion.isEmpty && plain.message.body?.contains("Open by") == false)
    }

    @Test func theExportsCriteriaFilesFollowTheFramework() throws {
        let engine = try history()
        func criteria(_ framework: Framework) throws -> [[String: Any]] {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fw-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            _ = try EvidenceExport.export(database: engine.database, config: engine.config, from: period.start, to: period.end,
                                          exportedAt: t0 + 20 * day, directory: directory, framework: framework)
            let data = try Data(contentsOf: directory.appendingPathComponent("criteria.json"))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        }
        let iso = try criteria(.iso27001), soc2 = try criteria(.soc2)
        #expect(iso.map { $0["criterion"] as? String } == ["A.5.18", "A.8.24"])
        #expect(iso.map { $0["title"] as? String } == ["Access rights", "Use of cryptography"])
        #expect(iso.map { $0["controls"] as? [String] } == [["leavers"], ["bucket-encryption"]])
        #expect(iso.map { $0["slaBreaches"] as? Int } == [1, 1])
        #expect(soc2.map { $0["criterion"] as? String } == ["CC6.1", "CC6.2"])
        #expect(soc2.allSatisfy { $0["framework"] as? String == "soc2" })
    }

    @Test func theTrustCenterFeedAndTheAuditorsViewFollowTheFramework() throws {
        let engine = try history()
        let (soc2, iso, audit) = try engine.database.read { tx in
            (try TrustCenter.feed(config: engine.config, store: tx, now: t0 + 10 * day),
             try TrustCenter.feed(config: engine.config, store: tx, now: t0 + 10 * day, framework: .iso27001),
             try Dashboard.audit(config: engine.config, store: tx, period: period, auditor: "Ada", now: t0 + 10 * day, framework: .iso27001, link: { $0 }))
        }
        #expect(soc2.criteria.map(\.criterion) == ["CC6.1", "CC6.2"] && soc2.framework == nil && soc2.criteria.allSatisfy { $0.title == nil })
        #expect(iso.criteria.map(\.criterion) == ["A.5.18", "A.8.24"] && iso.framework == "iso27001")
        #expect(iso.criteria.map(\.title) == ["Access rights", "Use of cryptography"])
        #expect(iso.criteria.map(\.status) == soc2.criteria.map(\.status).reversed())
        #expect(audit.contains("<td>A.8.24 Use of cryptography</td><td>1</td><td>1</td><td>1</td>"))
        #expect(audit.contains("<td>A.5.18 Access rights</td><td>1</td><td>0</td><td>1</td>"))
    }

    @Test func theServerTakesTheFrameworkAsAQueryParameter() async throws {
        let engine = try history()
        let clock = VirtualClock(start: t0 + 10 * day)
        let auditor = AuditorAccess(name: "Ada", tokenVariable: "UNUSED", from: period.start, to: period.end, expires: t0 + 60 * day)
        let routes = InboundRoutes(trustCenter: TrustCenterEndpoint(engine: engine, clock: clock, center: try TrustCenter(base64Key: TrustCenter.generate().base64Key)),
                                   dashboard: DashboardEndpoint(engine: engine, clock: clock, token: "dash-0123456789abcdef", auditors: [(auditor, "audit-0123456789abcdef")]))
        func get(_ path: String, _ query: String?, bearer: String? = nil) async -> (Int, String) {
            let response = await routes.handle(HTTPServerRequest(method: "GET", path: path, query: query,
                                                                  headers: bearer.map { ["authorization": "Bearer \($0)"] } ?? [:]))
            return (response.status, String(decoding: response.body, as: UTF8.self))
        }
        let (status, iso) = await get("/dashboard", "framework=iso27001", bearer: "dash-0123456789abcdef")
        #expect(status == 200 && iso.contains("Controls by criterion (ISO/IEC 27001:2022 Annex A)") && iso.contains("<td>A.8.24 Use of cryptography</td><td>bucket-encryption</td>"))
        let (_, soc2) = await get("/dashboard", nil, bearer: "dash-0123456789abcdef")
        #expect(soc2.contains("<td>CC6.1</td><td>bucket-encryption</td>") && !soc2.contains("A.8.24"))
        // The framework links keep the token of a bookmarked link.
        let (_, linked) = await get("/dashboard", "token=dash-0123456789abcdef&framework=pci")
        #expect(linked.contains("href=\"/dashboard?token=dash-0123456789abcdef&amp;framework=iso27001\"") && linked.contains("<td>3.5.1 "))
        let (auditStatus, audit) = await get("/audit", "framework=hipaa", bearer: "audit-0123456789abcdef")
        #expect(auditStatus == 200 && audit.contains("<td>164.312(a)(2)(iv) Encryption and decryption</td>"))
        let (refused, why) = await get("/dashboard", "framework=nist", bearer: "dash-0123456789abcdef")
        #expect(refused == 400 && why.contains("framework=soc2|iso27001|hipaa|pci|cis"))
        #expect(await get("/dashboard", "framework=nist", bearer: "wrong-0123456789abcdef").0 == 403, "a bad token is refused before anything else")
        let (_, feed) = await get("/trust-center.json", "framework=iso27001")
        #expect(feed.contains("\"framework\":\"iso27001\"") && feed.contains("\"criterion\":\"A.8.24\""))
        let (_, plainFeed) = await get("/trust-center.json", nil)
        #expect(!plainFeed.contains("framework") && plainFeed.contains("\"criterion\":\"CC6.1\""))
    }

    @Test func theDigestGivesTheWeekUnderASecondFramework() throws {
        let engine = try history()
        var config = engine.config
        config.digest = DigestSchedule(leadership: [.terminal: "#leadership"], also: .iso27001)
        func leadership(_ config: BotConfig) throws -> String {
            let digest = try engine.database.read { try WeeklyDigest.build(config: config, store: $0, now: t0 + 7 * day) }
            return try #require(digest.messages.first { $0.destination == .channel(.terminal, "#leadership") }?.message.body)
        }
        let body = try leadership(config)
        #expect(body.contains("By SOC 2 criterion this week: CC6.1 1 opened, 0 open, 1 SLA breach; CC6.2 1 opened, 1 open, 1 SLA breach"), "\(body)")
        #expect(body.contains("By ISO 27001 criterion this week: A.5.18 1 opened, 1 open, 1 SLA breach; A.8.24 1 opened, 0 open, 1 SLA breach"), "\(body)")
        config.digest?.also = nil
        #expect(try !leadership(config).contains("criterion this week"))
    }
}

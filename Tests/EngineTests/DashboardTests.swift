import Core
import Engine
import Foundation
import Sockets
import Store
import Testing

/// The read-only dashboard and the auditor's view: behind tokens, the pages people read.
@Suite("Dashboard")
struct DashboardTests {
    static let t0 = Date(timeIntervalSince1970: 1_772_438_400)
    static let dashboardToken = "dash-0123456789abcdef"
    static let auditorToken = "audit-0123456789abcdef"

    func routes(clock: VirtualClock) throws -> (InboundRoutes, AlertEngine) {
        let engine = try EngineFixtures.engine()
        let control = EngineFixtures.config().controls[0]
        try engine.reconcile(control, results: [EngineFixtures.result("s3:exports", .fail), EngineFixtures.result("s3:logs", .pass)], at: Self.t0)
        // A second alert long after the audit period.
        try engine.reconcile(control, results: [EngineFixtures.result("s3:exports", .fail), EngineFixtures.result("s3:backups", .fail)],
                             at: Self.t0.addingTimeInterval(40 * 86_400))
        let auditor = AuditorAccess(name: "Jane Auditor", tokenVariable: "UNUSED", from: Self.t0.addingTimeInterval(-86_400),
                                    to: Self.t0.addingTimeInterval(7 * 86_400), expires: Self.t0.addingTimeInterval(60 * 86_400))
        let dashboard = DashboardEndpoint(engine: engine, clock: clock, token: Self.dashboardToken, auditors: [(auditor, Self.auditorToken)])
        return (InboundRoutes(dashboard: dashboard), engine)
    }

    func get(_ routes: InboundRoutes, _ path: String, query: String? = nil, bearer: String? = nil) async -> (Int, String) {
        let response = await routes.handle(HTTPServerRequest(method: "GET", path: path, query: query,
                                                              headers: bearer.map { ["authorization": "Bearer \($0)"] } ?? [:]))
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    @Test func theDashboardShowsRiskAlertsMetricsAndControlsBehindItsToken() async throws {
        let clock = VirtualClock(start: Self.t0.addingTimeInterval(41 * 86_400))
        let (routes, _) = try routes(clock: clock)
        #expect(await get(routes, "/dashboard").0 == 403)
        #expect(await get(routes, "/dashboard", bearer: "wrong-0123456789abcdef").0 == 403)
        #expect(await get(routes, "/dashboard", bearer: Self.auditorToken).0 == 403, "an auditor's token does not open the whole dashboard")

        let (status, main) = await get(routes, "/dashboard", bearer: Self.dashboardToken)
        #expect(status == 200)
        #expect(main.contains("Open alerts (2)") && main.contains("<svg") && main.contains("MTTD by team"))
        #expect(main.contains("href=\"/dashboard/alerts/A-1\"") && main.contains("Controls by criterion") && main.contains("CC6.1"))
        // With the token in the query (a bookmarked link), the links keep it.
        let (_, linked) = await get(routes, "/dashboard", query: "token=\(Self.dashboardToken)")
        #expect(linked.contains("href=\"/dashboard/alerts/A-1?token=\(Self.dashboardToken)\""))

        let (alertStatus, alert) = await get(routes, "/dashboard/alerts/A-1", bearer: Self.dashboardToken)
        #expect(alertStatus == 200 && alert.contains("History:") && alert.contains("exports"))
        #expect(await get(routes, "/dashboard/alerts/A-99", bearer: Self.dashboardToken).0 == 404)
        let (_, ledger) = await get(routes, "/dashboard/ledger", bearer: Self.dashboardToken)
        #expect(ledger.contains("Evidence ledger: the latest") && ledger.contains("alert_opened"))
        #expect(await routes.handle(HTTPServerRequest(method: "POST", path: "/dashboard", headers: ["authorization": "Bearer \(Self.dashboardToken)"])).status == 405)
    }

    @Test func theAuditorSeesOnlyTheirPeriodUntilTheTokenExpires() async throws {
        let clock = VirtualClock(start: Self.t0.addingTimeInterval(41 * 86_400))
        let (routes, _) = try routes(clock: clock)
        let (status, page) = await get(routes, "/audit", bearer: Self.auditorToken)
        #expect(status == 200)
        #expect(page.contains("Prepared for Jane Auditor") && page.contains("Alerts in the period (1)") && page.contains("SLA breaches"))
        #expect(!page.contains("backups"), "the later alert is outside the period")
        #expect(await get(routes, "/audit/alerts/A-1", bearer: Self.auditorToken).0 == 200)
        #expect(await get(routes, "/audit/alerts/A-2", bearer: Self.auditorToken).0 == 404, "outside the period")
        #expect(await get(routes, "/audit", bearer: Self.dashboardToken).0 == 403)
        clock.advance(by: 30 * 86_400)
        let (expired, text) = await get(routes, "/audit", bearer: Self.auditorToken)
        #expect(expired == 403 && text.contains("expired"))
    }

    /// The overview shows the twelve-week trend: a picture (behind the same token) and the same in words.
    @Test func theTrendChartIsServedBehindTheToken() async throws {
        let clock = VirtualClock(start: Self.t0.addingTimeInterval(41 * 86_400))
        let (routes, _) = try routes(clock: clock)
        let refused = await routes.handle(HTTPServerRequest(method: "GET", path: "/dashboard/trend.png", query: nil, headers: [:]))
        #expect(refused.status == 403)
        let chart = await routes.handle(HTTPServerRequest(method: "GET", path: "/dashboard/trend.png", query: nil,
                                                          headers: ["authorization": "Bearer \(Self.dashboardToken)"]))
        #expect(chart.status == 200 && chart.header("content-type") == "image/png")
        #expect(chart.body.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let (status, page) = await get(routes, "/dashboard", query: "token=\(Self.dashboardToken)")
        #expect(status == 200)
        #expect(page.contains("<img src=\"/dashboard/trend.png?token=\(Self.dashboardToken)\""))
        #expect(page.contains("<figcaption>Open alerts 0 → 2 over 12 weeks"), "\(page)")
    }
}

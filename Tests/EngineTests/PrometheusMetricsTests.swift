import Core
import Engine
import FactSources
import Foundation
import Sockets
import Store
import Testing

/// `GET /metrics`: open alerts by severity, SLA breaches, MTTD/MTTR histograms, control errors, outbox and ledger,
/// in Prometheus text format, from the store.
@Suite("Prometheus metrics")
struct PrometheusMetricsTests {
    @Test func theScrapeReportsTheStoreInTextFormat() async throws {
        let engine = try EngineFixtures.engine()
        let control = EngineFixtures.config().controls[0]
        let t0 = Date(timeIntervalSince1970: 1_772_438_400)
        try engine.reconcile(control, results: [EngineFixtures.result("s3:a", .fail), EngineFixtures.result("s3:b", .fail),
                                                EngineFixtures.result("s3:c", .error("AccessDenied"))], at: t0)
        let clock = VirtualClock(start: t0.addingTimeInterval(2 * 86_400))
        let routes = InboundRoutes(metrics: MetricsEndpoint(engine: engine, clock: clock))
        let response = await routes.handle(HTTPServerRequest(method: "GET", path: "/metrics"))
        #expect(response.status == 200)
        #expect(response.headers.contains { $0.name == "Content-Type" && $0.value.hasPrefix("text/plain; version=0.0.4") })
        let lines = String(decoding: response.body, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.contains("soc2bot_open_alerts{severity=\"high\"} 2"))
        #expect(lines.contains("soc2bot_open_alerts{severity=\"critical\"} 0"))
        #expect(lines.contains("soc2bot_sla_breached_alerts 2"), "24 h SLA, two days on")
        #expect(lines.contains("soc2bot_detection_seconds_count 2") && lines.contains("soc2bot_detection_seconds_bucket{le=\"+Inf\"} 2"))
        #expect(lines.contains("soc2bot_remediation_seconds_count 0"))
        #expect(lines.contains("soc2bot_control_errors{control=\"bucket-encryption\"} 1"))
        #expect(lines.contains("soc2bot_control_failing_resources{control=\"bucket-encryption\"} 2"))
        #expect(lines.contains { $0.hasPrefix("soc2bot_outbox_depth ") } && lines.contains { $0.hasPrefix("soc2bot_ledger_entries ") })
        // Every sample line is `name{labels} value` after its HELP and TYPE.
        #expect(lines.filter { !$0.hasPrefix("#") }.allSatisfy { $0.range(of: #"^soc2bot_[a-z_]+(\{[^}]*\})? [0-9.e+-]+$"#, options: .regularExpression) != nil })
        #expect(await routes.handle(HTTPServerRequest(method: "POST", path: "/metrics")).status == 405)
        #expect(await InboundRoutes().handle(HTTPServerRequest(method: "GET", path: "/metrics")).status == 404)
    }

    struct Broken: FactSource {
        let id: SourceID = "okta"
        let provides: Set<FactKind> = [.accounts]
        struct Down: Error {}
        func facts(_ kinds: Set<FactKind>) async throws -> Facts { throw Down() }
    }

    /// A source whose reads fail shows as down, with how long, beside the healthy ones.
    @Test func theScrapeReportsEachSourcesLatestRead() async throws {
        let engine = try EngineFixtures.engine()
        let clock = VirtualClock(start: Date(timeIntervalSince1970: 1_772_438_400))
        let monitor = SourceHealthMonitor(now: { clock.now() })
        let broken = MonitoredSource(Broken(), kind: "okta", monitor: monitor)
        _ = try? await broken.facts([.accounts])
        clock.advance(by: 600)
        _ = try? await broken.facts([.accounts])
        let routes = InboundRoutes(metrics: MetricsEndpoint(engine: engine, clock: clock, sourceHealth: monitor))
        let lines = String(decoding: await routes.handle(HTTPServerRequest(method: "GET", path: "/metrics")).body, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.contains("soc2bot_source_up{source=\"okta\",kind=\"okta\"} 0"))
        #expect(lines.contains("soc2bot_source_failing_seconds{source=\"okta\",kind=\"okta\"} 600"))
    }
}

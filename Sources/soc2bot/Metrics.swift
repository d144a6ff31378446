import ArgumentParser
import Core
import Foundation
import Reports
import Store

/// `soc2bot metrics`: MTTD, MTTR, SLA breaches, drift, evidence coverage, remediation ratio and open risk per team,
/// TSC criterion or control category, for a period, each beside the period of the same length before it.
struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Program metrics per team, criterion or category, with the previous period beside each.")
    @OptionGroup var common: CommonOptions
    @Option(name: .long, help: "Start of the period (inclusive), e.g. 2026-03-01 (default: 7 days before --to).")
    var from: String?
    @Option(name: .long, help: "End of the period (exclusive), e.g. 2026-03-08 (default: now).")
    var to: String?
    @Option(name: .long, help: "organisation, team, criterion or category.")
    var by: String = "team"
    @Option(name: .long, help: frameworkHelp)
    var framework: String = "soc2"
    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        guard let dimension = MetricsBreakdown.Dimension(rawValue: by) else {
            throw ValidationError("--by must be organisation, team, criterion or category, not `\(by)`")
        }
        let framework = try parseFramework(framework)
        let end = try to.map { try parseDate($0, option: "--to") } ?? systemClock.now()
        let start = try from.map { try parseDate($0, option: "--from") } ?? end.addingTimeInterval(-7 * 86_400)
        guard start < end else { throw ValidationError("--from must be before --to") }
        let config = try loadConfig(common.manifests)
        let database = try openDatabase(common.database, readOnly: true, requireIntactLedger: false)
        let period = DateInterval(start: start, end: end)
        let rows = try database.read { tx in
            let evidenced = try ManualCoverage.evidenced(config: config, store: tx, at: end)
            let touching = DateInterval(start: start.addingTimeInterval(-period.duration), end: end)
            return MetricsBreakdown.compute(dimension, alerts: try tx.alertFacts(touching: touching), controls: config.controls, ran: try tx.controlsRun(in: period),
                                            ranBefore: try tx.controlsRun(in: DateInterval(start: start.addingTimeInterval(-period.duration), duration: period.duration)),
                                            evidencedManual: evidenced, period: period, framework: framework)
        }
        if json {
            let objects: [[String: Any]] = rows.map { row in
                func metrics(_ m: AlertMetrics) -> [String: Any] {
                    var o: [String: Any] = ["opened": m.opened, "remediated": m.remediated, "risk_accepted": m.accepted, "still_open": m.stillOpen,
                                            "sla_breaches": m.slaBreaches, "coverage": m.coverage,
                                            "drift": m.driftByControl.values.reduce(0, +)]
                    if let mttd = m.mttd { o["mttd_seconds"] = mttd }
                    if let mttr = m.mttr { o["mttr_seconds"] = mttr }
                    return o
                }
                var o: [String: Any] = ["group": row.group, "current": metrics(row.current), "previous": metrics(row.previous),
                                        "open_risk": Dictionary(uniqueKeysWithValues: row.openRisk.map { ($0.key.rawValue, $0.value) })]
                if let target = row.mttdTarget { o["mttd_target_seconds"] = target }
                if dimension == .criterion {
                    o["framework"] = framework.rawValue
                    if let title = framework.criterion(row.group)?.title { o["title"] = title }
                }
                return o
            }
            print(String(decoding: try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
            return
        }
        print("\(config.organisation) — metrics by \(dimension == .criterion ? "\(framework.shortName) criterion" : dimension.rawValue), \(TimeText.human(start)) to \(TimeText.human(end)) (previous period in brackets)")
        guard !rows.isEmpty else { print("no data"); return }
        func time(_ value: TimeInterval?) -> String { value.map(DurationText.format) ?? "no data" }
        for row in rows {
            let c = row.current, p = row.previous
            let target = row.mttdTarget.map { target in c.mttd.map { $0 <= target ? " ✓ under \(DurationText.format(target))" : " ✗ over \(DurationText.format(target))" } ?? "" } ?? ""
            let risk = Severity.allCases.map { "\(row.openRisk[$0] ?? 0) \($0)" }.joined(separator: ", ")
            print("""
                \(dimension == .criterion ? framework.label(row.group) : row.group)
                  MTTD \(time(c.mttd)) (\(time(p.mttd)))\(target) · MTTR \(time(c.mttr)) (\(time(p.mttr)))
                  opened \(c.opened) (\(p.opened)) · remediated \(c.remediated) · risk-accepted \(c.accepted) · still open \(c.stillOpen) · SLA breaches \(c.slaBreaches) (\(p.slaBreaches))
                  drift \(c.driftByControl.values.reduce(0, +)) (\(p.driftByControl.values.reduce(0, +))) · evidence coverage \(Int((c.coverage * 100).rounded()))% · open at the end: \(risk)
                """)
        }
    }
}

import ArgumentParser
import Chat
import Core
import Foundation
import Reports
import Store

/// `soc2bot status`: the readiness view, as `/soc2 status` shows it.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the readiness view: open alerts by severity, breached SLAs, what needs attention.")
    @OptionGroup var common: CommonOptions
    @Option(name: .long, help: "Evaluate as of this time (default now), e.g. the demo's simulated time.")
    var at: String?
    @Option(name: .long, help: "Also count the open alerts per criterion of this framework: soc2, iso27001, hipaa, pci or cis.")
    var framework: String?

    func run() throws {
        let framework = try framework.map(parseFramework)
        let config = try loadConfig(common.manifests)
        let database = try openDatabase(common.database, readOnly: true, requireIntactLedger: false)
        let now = try at.map { try parseDate($0, option: "--at") } ?? systemClock.now()
        let (report, verdict, anchors) = try database.read { tx in
            (try StatusReport.build(config: config, store: tx, now: now, framework: framework), try tx.verifyLedger(),
             try config.ledgerAnchor.map { settings in try LedgerAnchors.status(tx, settings: settings) })
        }
        print(TerminalRenderer(colour: false).render(report.message, destination: .channel(.terminal, "status"), kind: "reply"))
        print(verdict.isIntact ? "  Evidence chain verified." : "  WARNING: \(verdict) — run `soc2bot evidence verify` and restore from backup.")
        if let anchors { print("  " + anchors) }
    }
}

/// `soc2bot alerts`: alerts, optionally by state, as lines or JSON.
struct Alerts: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List alerts (default: live ones).")
    @OptionGroup var common: CommonOptions
    @Option(name: .long, help: "Comma-separated states: open, acknowledged, snoozed, escalated, closed, risk_accepted, resolved, live, all.")
    var state: String = "live"
    @Flag(name: .long, help: "Print JSON.")
    var json = false
    @Option(name: .long, help: "Ages and SLAs as of this time (default now), e.g. a demo's simulated time.")
    var at: String?

    func run() throws {
        let database = try openDatabase(common.database, readOnly: true, requireIntactLedger: false)
        let now = try at.map { try parseDate($0, option: "--at") } ?? systemClock.now()
        var states: [AlertState] = []
        for word in state.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
            switch word {
            case "all": states = []
            case "live": states += AlertState.allCases.filter { !$0.isEnded }
            default:
                guard let s = AlertState(rawValue: word) ?? AlertState.allCases.first(where: { $0.label == word }) else {
                    throw ValidationError("unknown state `\(word)`; use \(AlertState.allCases.map(\.rawValue).joined(separator: ", ")), live or all")
                }
                states.append(s)
            }
        }
        if state.lowercased().contains("all") { states = [] }
        let alerts = try database.read { try $0.alerts(states: states) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .custom { date, encoder in var c = encoder.singleValueContainer(); try c.encode(TimeText.iso(date)) }
            print(String(decoding: try encoder.encode(alerts), as: UTF8.self))
        } else {
            for alert in alerts { print(AlertListing.line(alert, now: max(now, alert.endedAt ?? alert.openedAt))) }
            print("\(alerts.count) alert\(alerts.count == 1 ? "" : "s")")
        }
    }
}

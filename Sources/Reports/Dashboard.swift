import Chat
import Core
import Foundation
import Store

/// The read-only dashboard's pages, as HTML with inline SVG charts: open risk, alerts with their full history, the
/// metrics by team, every control's latest run grouped by TSC criterion, and the ledger. The auditor's view is the
/// same material limited to one audit period: its alerts, metrics, SLA breaches and justified exceptions.
package enum Dashboard {
    static let escape = HTMLText.escape

    static func page(_ title: String, _ body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>body{font-family:sans-serif;margin:1.5em;color:#222}td,th{padding:.25em .8em;text-align:left;border-bottom:1px solid #ddd}
        .critical{color:#b03a2e;font-weight:bold}.high{color:#ca6f1e}.medium{color:#b7950b}.low{color:#555}
        .pass{color:#186a3b}.fail{color:#b03a2e}.error{color:#7d3c98}nav a{margin-right:1em}pre{white-space:pre-wrap}</style></head>
        <body>\(body)</body></html>

        """
    }

    /// A horizontal bar chart: one bar per label, scaled to the largest value, the value written beside it.
    static func bars(_ title: String, _ values: [(label: String, value: Double, text: String)]) -> String {
        let width = 320.0, rowHeight = 22.0
        let top = max(values.map(\.value).max() ?? 0, 1)
        let rows = values.enumerated().map { index, entry in
            let y = Double(index) * rowHeight
            let length = max(1, entry.value / top * width)
            return "<text x=\"0\" y=\"\(y + 15)\" font-size=\"12\">\(escape(entry.label))</text>"
                + "<rect x=\"120\" y=\"\(y + 4)\" width=\"\(String(format: "%.1f", length))\" height=\"14\" fill=\"#2e86c1\"><title>\(escape(entry.text))</title></rect>"
                + "<text x=\"\(String(format: "%.1f", 126 + length))\" y=\"\(y + 15)\" font-size=\"12\">\(escape(entry.text))</text>"
        }.joined()
        return "<figure><figcaption>\(escape(title))</figcaption><svg role=\"img\" aria-label=\"\(escape(title))\" width=\"\(Int(width + 220))\" height=\"\(Int(Double(max(values.count, 1)) * rowHeight + 6))\">\(rows)</svg></figure>"
    }

    static func alertRows(_ alerts: [AlertFacts], now: Date, link: (AlertID) -> String) -> String {
        alerts.map { a in
            "<tr><td><a href=\"\(link(a.id))\">\(a.id)</a></td><td class=\"\(a.severity.rawValue)\">\(a.severity.label)</td><td>\(a.state.label)</td>"
                + "<td>\(escape(a.team.rawValue))</td><td>\(escape(a.title))</td><td>\(TimeText.human(a.openedAt))</td>"
                + "<td>\(a.breachedSLA(at: now) ? "breached" : "by \(TimeText.human(a.slaDeadline))")</td></tr>"
        }.joined(separator: "\n")
    }

    static let alertHeader = "<tr><th>Alert</th><th>Severity</th><th>State</th><th>Team</th><th>Title</th><th>Opened</th><th>SLA</th></tr>"

    /// The main page: open risk, live alerts, this week's metrics by team, controls by criterion.
    package static func main(config: BotConfig, store: StoreTransaction, now: Date, framework: Framework = .soc2, link: (String) -> String) throws -> String {
        let period = DateInterval(start: now.addingTimeInterval(-7 * 86_400), end: now)
        // Twelve weeks of facts serve the live list (a live alert has not ended, so it touches them), the trend and
        // this week beside the last: one read of the alert rows' columns, no alert body decoded.
        let history = try store.alertFacts(touching: WeeklyTrend.span(endingAt: now))
        let live = history.filter { !$0.state.isEnded }.sorted { ($0.severity, $0.openedAt) < ($1.severity, $1.openedAt) }
        let trend = WeeklyTrend.compute(alerts: history, endingAt: now)
        let teams = MetricsBreakdown.compute(.team, alerts: history,
                                             controls: config.controls, ran: try store.controlsRun(in: period),
                                             ranBefore: [], evidencedManual: try ManualCoverage.evidenced(config: config, store: store, at: now), period: period)
        let runs = Dictionary(try store.latestRuns().map { ($0.control, $0) }, uniquingKeysWith: { a, _ in a })
        let undelivered = try store.undeliverableOutbox()
        let undeliveredRows = undelivered.map { m in
            "<tr><td>\(m.alert.map { "<a href=\"\(link("/dashboard/alerts/\($0)"))\">\($0)</a>" } ?? "")</td><td>\(m.kind.noun)</td>"
                + "<td>\(m.destination.platform.rawValue)</td><td>\(escape(m.destination.address))</td><td>\(escape(m.lastError ?? ""))</td>"
                + "<td>\(TimeText.human(m.createdAt))</td></tr>"
        }
        let undeliveredSection = undelivered.isEmpty ? "" : "<h2>Undelivered for good (\(undelivered.count))</h2>\n"
            + "<table><tr><th>Alert</th><th>Message</th><th>Platform</th><th>Destination</th><th>Reason</th><th>Since</th></tr>\n"
            + undeliveredRows.joined(separator: "\n") + "\n</table>"
        let counts = Severity.allCases.map { s in "<span class=\"\(s.rawValue)\">\(live.filter { $0.severity == s }.count) \(s.label)</span>" }.joined(separator: " · ")
        var byCriterion: [String: [Control]] = [:]
        for control in config.controls { for criterion in framework.groups(of: control) { byCriterion[criterion, default: []].append(control) } }
        let controlRows = (framework == .soc2 ? byCriterion.keys.sorted() : framework.sorted(byCriterion.keys)).map { criterion in
            byCriterion[criterion]!.map { control -> String in
                let run = runs[control.id]
                let status = run.map { $0.errors > 0 ? "error" : $0.failed > 0 ? "fail" : "pass" } ?? "not run"
                return "<tr><td>\(escape(framework == .soc2 ? criterion : framework.label(criterion)))</td><td>\(escape(control.id.rawValue))</td><td>\(escape(control.title))</td>"
                    + "<td class=\"\(status)\">\(status)</td><td>\(run.map { "\($0.passed) pass, \($0.failed) fail, \($0.errors) error, \(TimeText.human($0.at))" } ?? (control.isAutomated ? "" : "manual"))</td></tr>"
            }.joined(separator: "\n")
        }.joined(separator: "\n")
        let body = """
            <nav><a href="\(link("/dashboard"))">Overview</a><a href="\(link("/dashboard/ledger"))">Ledger</a></nav>
            <h1>\(escape(config.organisation)) — SOC 2 readiness at \(TimeText.human(now))</h1>
            <p>Open: \(counts)</p>
            <h2>Open alerts (\(live.count))</h2>
            <table>\(alertHeader)
            \(alertRows(live, now: now) { link("/dashboard/alerts/\($0)") })
            </table>
            \(undeliveredSection)
            <h2>The last \(trend.weeks.count) weeks</h2>
            <figure><img src="\(link("/dashboard/trend.png"))" alt="\(escape(trend.summary))"><figcaption>\(escape(trend.summary))</figcaption></figure>
            <h2>This week by team</h2>
            \(bars("MTTD by team (hours)", teams.map { ($0.group, ($0.current.mttd ?? 0) / 3_600, $0.current.mttd.map(DurationText.format) ?? "no data") }))
            \(bars("MTTR by team (hours)", teams.map { ($0.group, ($0.current.mttr ?? 0) / 3_600, $0.current.mttr.map(DurationText.format) ?? "no data") }))
            \(bars("Open alerts by team", teams.map { row in (row.group, Double(row.openRisk.values.reduce(0, +)), "\(row.openRisk.values.reduce(0, +))") }))
            <h2>Controls by criterion (\(escape(framework.title)))</h2>
            <p>\(frameworkLinks(link("/dashboard"), current: framework))</p>
            <table><tr><th>Criterion</th><th>Control</th><th>Title</th><th>Latest</th><th>Run</th></tr>
            \(controlRows)
            </table>
            """
        return page("\(config.organisation) — SOC 2 dashboard", body)
    }

    /// Links to the same page under each framework (`?framework=iso27001`), the current one unlinked.
    static func frameworkLinks(_ base: String, current: Framework) -> String {
        "Criteria of: " + Framework.allCases.map { framework in
            framework == current ? "<strong>\(escape(framework.shortName))</strong>"
                : "<a href=\"\(escape(base + (base.contains("?") ? "&" : "?") + "framework=" + framework.rawValue))\">\(escape(framework.shortName))</a>"
        }.joined(separator: " · ")
    }

    /// The twelve-week trend chart (open risk by severity, MTTD and MTTR) as a PNG, the picture the digest posts.
    package static func trendPNG(config: BotConfig, store: StoreTransaction, now: Date) throws -> Data {
        let trend = WeeklyTrend.compute(alerts: try store.alertFacts(touching: WeeklyTrend.span(endingAt: now)), endingAt: now)
        return trend.chart(title: trend.title(for: config.organisation)).png()
    }

    /// One alert with its full history; nil when there is no such alert (or, for an auditor, none in the period).
    package static func alert(_ id: AlertID, config: BotConfig, store: StoreTransaction, within period: DateInterval? = nil, link: (String) -> String) throws -> String? {
        guard let alert = try store.alert(id) else { return nil }
        if let period, !(alert.openedAt < period.end && (alert.endedAt ?? .distantFuture) >= period.start) { return nil }
        let message = try AlertHistory.message(alert, store: store, topLevel: config.policy.topLevel)
        let fields = message.fields.map { "<tr><th>\(escape($0.label))</th><td>\(escape($0.value))</td></tr>" }.joined(separator: "\n")
        return page("\(alert.id) \(alert.title)", """
            <nav><a href="\(link(period == nil ? "/dashboard" : "/audit"))">Back</a></nav>
            <h1 class="\(alert.severity.rawValue)">\(alert.id) \(escape(alert.title))</h1>
            <table>\(fields)</table>
            <h2>Resources</h2><ul>\(alert.findings.map { "<li>\(escape($0.resource.name)): \(escape($0.observed))</li>" }.joined())</ul>
            <pre>\(escape(message.body ?? ""))</pre>
            """)
    }

    /// The latest `limit` ledger entries, newest first.
    package static func ledger(store: any LedgerRepository, limit: Int = 200, link: (String) -> String) throws -> String {
        var rows: [LedgerRow] = []
        let head = try store.ledgerHead()?.seq ?? 0
        try store.ledgerRows(fromSeq: max(1, head - Int64(limit) + 1)) { rows.append($0) }
        let table = rows.reversed().map { row in
            "<tr><td>\(row.seq)</td><td>\(escape(row.at))</td><td>\(escape(row.kind))</td><td>\(escape(row.subject ?? ""))</td><td><code>\(row.hash.hexString.prefix(16))…</code></td></tr>"
        }.joined(separator: "\n")
        return page("Evidence ledger", """
            <nav><a href="\(link("/dashboard"))">Overview</a></nav>
            <h1>Evidence ledger: the latest \(rows.count) of \(head) entries</h1>
            <p>Verify the whole chain with <code>soc2bot evidence verify</code>.</p>
            <table><tr><th>Seq</th><th>At</th><th>Kind</th><th>Subject</th><th>Hash</th></tr>
            \(table)
            </table>
            """)
    }

    /// The auditor's view of one period: its alerts, metrics, SLA breaches and justified exceptions.
    /// `now` (the bot's clock) ends the alerts still open.
    package static func audit(config: BotConfig, store: StoreTransaction, period: DateInterval, auditor: String, now: Date, framework: Framework = .soc2,
                              link: (String) -> String) throws -> String {
        let alerts = try store.alertFacts(touching: period).sorted { $0.openedAt < $1.openedAt }
        let metrics = AlertMetrics.compute(alerts: alerts, controls: config.controls, ranInPeriod: try store.controlsRun(in: period),
                                           evidencedManual: try ManualCoverage.evidenced(config: config, store: store, at: period.end), period: period)
        let exceptions = try ExceptionsReport.build(config: config, store: store, period: period, framework: framework)
        let criteria = MetricsBreakdown.compute(.criterion, alerts: alerts, controls: config.controls, ran: try store.controlsRun(in: period), ranBefore: [],
                                                evidencedManual: try ManualCoverage.evidenced(config: config, store: store, at: period.end), period: period,
                                                framework: framework)
        let criteriaRows = criteria.map { row in
            "<tr><td>\(escape(framework.label(row.group)))</td><td>\(row.current.opened)</td><td>\(row.current.remediated)</td><td>\(row.current.slaBreaches)</td>"
                + "<td>\(row.current.mttd.map(DurationText.format) ?? "no data")</td><td>\(row.current.mttr.map(DurationText.format) ?? "no data")</td></tr>"
        }.joined(separator: "\n")
        return page("Audit period \(TimeText.human(period.start)) to \(TimeText.human(period.end))", """
            <h1>\(escape(config.organisation)) — audit period \(TimeText.human(period.start)) to \(TimeText.human(period.end))</h1>
            <p>Prepared for \(escape(auditor)). \(escape(metrics.summary)).</p>
            <h2>Alerts in the period (\(alerts.count))</h2>
            <table>\(alertHeader)
            \(alertRows(alerts, now: min(now, period.end)) { link("/audit/alerts/\($0)") })
            </table>
            <h2>By criterion (\(escape(framework.title)))</h2>
            <p>\(frameworkLinks(link("/audit"), current: framework))</p>
            <table><tr><th>Criterion</th><th>Alerts opened</th><th>Remediated</th><th>SLA breaches</th><th>MTTD</th><th>MTTR</th></tr>
            \(criteriaRows)
            </table>
            <h2>SLA breaches and justified exceptions</h2>
            <pre>\(escape(exceptions.markdown))</pre>
            """)
    }
}

/// Text made safe for HTML element content and attribute values (the report, the trust-center page, the dashboard).
enum HTMLText {
    static func escape(_ text: String) -> String {
        // One pass over the bytes (pages list hundreds of alerts); most text has nothing to escape.
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "\"") }) else {
            return text
        }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}

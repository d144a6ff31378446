import Chat
import Core
import Foundation
import Store

/// The weekly digest: to each team's channel, its own week (open alerts, MTTD, MTTR, its noisiest controls); to the
/// leadership channel, the executive summary ("0 Critical open, 1 High open (…), MTTD this week 47m, MTTR 3h 12m,
/// evidence coverage 94%"), each team's line, training completion and the controls that cry wolf. Computed from
/// the store like every metric here.
package struct WeeklyDigest: Sendable {
    package var organisation: String
    package var period: DateInterval
    package var summary: String
    package var messages: [(destination: ChatDestination, message: ChatMessage)]

    /// A control that opened at least `noisyMinimum` alerts in 30 days, most of them dismissed (closed or
    /// risk-accepted while its check still failed, rather than resolved by a passing run): a tuning hint.
    static let noisyMinimum = 3

    package static func build(config: BotConfig, store: StoreTransaction, now: Date) throws -> WeeklyDigest {
        let period = DateInterval(start: now.addingTimeInterval(-7 * 86_400), end: now)
        // Twelve weeks cover the week, the week before it, the 30-day noisy-control window and the trend chart.
        let alerts = try store.alertFacts(touching: WeeklyTrend.span(endingAt: now))
        let live = try store.liveAlerts()
        let ran = try store.controlsRun(in: period)
        let evidenced = try ManualCoverage.evidenced(config: config, store: store, at: now)
        let week = AlertMetrics.compute(alerts: alerts, controls: config.controls, ranInPeriod: ran, evidencedManual: evidenced, period: period)
        let teams = MetricsBreakdown.compute(.team, alerts: alerts, controls: config.controls, ran: ran,
                                             ranBefore: try store.controlsRun(in: DateInterval(start: period.start.addingTimeInterval(-period.duration), duration: period.duration)),
                                             evidencedManual: evidenced, period: period)
        let noisy = noisyControls(alerts: alerts, config: config, since: now.addingTimeInterval(-30 * 86_400))
        let runs = try store.latestRuns()

        func open(_ severity: Severity, in list: [Alert]) -> String {
            let matching = list.filter { $0.severity == severity }
            let detail = matching.prefix(3).map { "\($0.title), \($0.state.label)" }.joined(separator: "; ")
            return "\(matching.count) \(severity.label.capitalized) open" + (matching.isEmpty || severity > .high ? "" : " (\(detail))")
        }
        func time(_ value: TimeInterval?) -> String { value.map(DurationText.format) ?? "no data" }
        let summary = [open(.critical, in: live), open(.high, in: live), "MTTD this week \(time(week.mttd))", "MTTR \(time(week.mttr))",
                       "evidence coverage \(Int((week.coverage * 100).rounded()))%"].joined(separator: ", ")

        var messages: [(ChatDestination, ChatMessage)] = []
        var leadership = [summary, ""]
        for row in teams {
            let team = TeamID(row.group)
            let teamLive = live.filter { $0.team == team }
            let line = "\(config.team(team)?.name ?? row.group): \(teamLive.count) open, MTTD \(time(row.current.mttd)) (previous week \(time(row.previous.mttd))), "
                + "MTTR \(time(row.current.mttr)) (\(time(row.previous.mttr))), \(row.current.slaBreaches) SLA breach\(row.current.slaBreaches == 1 ? "" : "es")"
            leadership.append(line)
            var body = [line] + Severity.allCases.map { open($0, in: teamLive) }
            let teamNoisy = noisy.filter { $0.control.owner == team }
            if !teamNoisy.isEmpty { body.append("Noisy controls:") ; body += teamNoisy.map(\.hint) }
            let chart = chartMessage(of: alerts.filter { $0.team == team }, name: config.team(team)?.name ?? row.group, slug: row.group, now: now)
            for destination in Routing.teamChannels(team: team, severity: .low, config: config) {
                messages.append((destination, ChatMessage(title: "Weekly SOC 2 digest — \(config.team(team)?.name ?? row.group), week to \(TimeText.human(now))",
                                                         body: body.joined(separator: "\n"))))
                messages.append((destination, chart))
            }
        }
        for control in config.controls where control.check?.type == "training" {
            guard let run = runs.first(where: { $0.control == control.id }), run.errors == 0, run.passed + run.failed > 0 else { continue }
            leadership.append("\(control.title): \(run.failed) \(run.failed == 1 ? "person has" : "people have") not completed it; completion rate "
                              + "\(run.passed * 100 / (run.passed + run.failed))%, target 100%")
        }
        if !noisy.isEmpty { leadership.append("Controls that cry wolf (last 30 days):"); leadership += noisy.map(\.hint) }
        if let also = config.digest?.also {
            // The week by criterion, under SOC 2 and the second framework the manifests name (`digest: {also: …}`).
            for framework in [Framework.soc2, also] {
                let rows = MetricsBreakdown.compute(.criterion, alerts: alerts, controls: config.controls, ran: ran, ranBefore: [],
                                                    evidencedManual: evidenced, period: period, framework: framework)
                    .filter { $0.current.opened > 0 || $0.current.slaBreaches > 0 || !$0.openRisk.isEmpty }
                leadership.append("By \(framework.shortName) criterion this week: " + (rows.isEmpty ? "nothing opened, breached or open" : rows.map { row in
                    "\(row.group) \(row.current.opened) opened, \(row.openRisk.values.reduce(0, +)) open, \(row.current.slaBreaches) SLA breach\(row.current.slaBreaches == 1 ? "" : "es")"
                }.joined(separator: "; ")))
            }
        }
        let leadershipChart = chartMessage(of: alerts, name: config.organisation, slug: "organisation", now: now)
        for (platform, channel) in config.digest?.leadership.sorted(by: { $0.key < $1.key }) ?? [] {
            messages.append((.channel(platform, channel), ChatMessage(title: "Weekly SOC 2 digest — \(config.organisation), week to \(TimeText.human(now))",
                                                                      body: leadership.joined(separator: "\n"))))
            messages.append((.channel(platform, channel), leadershipChart))
        }
        return WeeklyDigest(organisation: config.organisation, period: period, summary: summary, messages: messages)
    }

    /// The trend chart of `alerts` over the last twelve weeks, as its own message (posted after the digest's text).
    static func chartMessage(of alerts: [AlertFacts], name: String, slug: String, now: Date) -> ChatMessage {
        let trend = WeeklyTrend.compute(alerts: alerts, endingAt: now)
        let title = trend.title(for: name)
        let safe = String(slug.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
        return ChatMessage(title: title, image: trend.image(title: title, filename: "soc2-trend-\(safe)-\(TimeText.iso(now).prefix(10)).png"))
    }

    struct Noisy {
        var control: Control
        var opened: Int
        var dismissed: Int
        var hint: String {
            "  \(control.title) (\(control.id)) opened \(opened) alerts, \(dismissed) dismissed: review its scope, parameters or tolerance "
                + "(now \(DurationText.format(control.tolerance)))."
        }
    }

    static func noisyControls(alerts: [AlertFacts], config: BotConfig, since: Date) -> [Noisy] {
        let recent = Dictionary(grouping: alerts.filter { $0.openedAt >= since }, by: \.control)
        return config.controls.compactMap { control in
            guard let list = recent[control.id], list.count >= noisyMinimum else { return nil }
            let dismissed = list.filter { $0.state == .closed || $0.state == .riskAccepted }.count
            return dismissed * 2 > list.count ? Noisy(control: control, opened: list.count, dismissed: dismissed) : nil
        }
    }
}

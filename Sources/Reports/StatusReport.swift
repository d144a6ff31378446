import Chat
import Core
import Foundation
import Store

/// The readiness view behind `/soc2 status` and `soc2bot status`: open alerts by severity, breached SLAs, what
/// waits on whom, the latest control runs and the outbox. Computed from recorded history as it stood at `now` (alerts in
/// the state they were in then, breaches that had begun by then, the runs recorded by then), so `status --at` shows
/// the past as it was; only the outbox depth and the ledger size are today's.
package struct StatusReport: Sendable, Equatable {
    package var organisation: String
    package var now: Date
    package var live: [Alert]
    package var bySeverity: [Severity: Int]
    package var breached: [Alert]
    package var controlsFailing: Int
    package var controlsErroring: Int
    package var controlsTotal: Int
    package var manualControls: Int
    package var outboxDepth: Int
    /// Messages given up on that have not reached their destination since (`undeliverableOutbox`), oldest first.
    package var undelivered: [OutboxMessage]
    package var ledgerEntries: Int64
    /// The last seven days' MTTD, MTTR, remediation ratio and evidence coverage.
    package var week: AlertMetrics
    /// Per training control, the latest run's people done and judged: the completion rate against 100%.
    package var training: [(control: String, done: Int, judged: Int)]
    /// Chat platforms that refuse the bot's credential, as the running bot recorded it (`chatHealthCursor`): nobody
    /// can act on alerts from there.
    package var chatProblems: [String] = []
    /// When a framework is asked for (`status --framework`): the live alerts per criterion of it, in its order, with
    /// how many of them breach their SLA (`Framework.groups`).
    package var framework: Framework?
    package var byCriterion: [(criterion: String, open: Int, breached: Int)] = []

    /// The cursor where the running bot records that a chat platform refuses its credential ("" once it connects
    /// again), so `soc2bot status` — another process — shows it.
    package static func chatHealthCursor(_ platform: ChatPlatform) -> String { "chat.health.\(platform.rawValue)" }

    package static func == (a: StatusReport, b: StatusReport) -> Bool {
        a.organisation == b.organisation && a.now == b.now && a.live == b.live && a.bySeverity == b.bySeverity && a.breached == b.breached
            && a.controlsFailing == b.controlsFailing && a.controlsErroring == b.controlsErroring && a.controlsTotal == b.controlsTotal
            && a.manualControls == b.manualControls && a.outboxDepth == b.outboxDepth && a.undelivered == b.undelivered && a.ledgerEntries == b.ledgerEntries && a.week == b.week
            && a.training.map { "\($0.control):\($0.done)/\($0.judged)" } == b.training.map { "\($0.control):\($0.done)/\($0.judged)" }
            && a.chatProblems == b.chatProblems && a.framework == b.framework
            && a.byCriterion.map { "\($0.criterion):\($0.open)/\($0.breached)" } == b.byCriterion.map { "\($0.criterion):\($0.open)/\($0.breached)" }
    }

    package static func build(config: BotConfig, store: StoreTransaction, now: Date, framework: Framework? = nil) throws -> StatusReport {
        // As of `now`, from history: the alerts open then in the state they were in then, the runs recorded by then.
        let live = try store.alerts(openAt: now).compactMap { $0.asOf(now) }
        let runs = try store.latestRuns(atOrBefore: now)
        let period = DateInterval(start: now.addingTimeInterval(-7 * 86_400), end: now)
        let ran = try store.controlsRun(in: period)
        let evidenced = try ManualCoverage.evidenced(config: config, store: store, at: now)
        let week = AlertMetrics.compute(alerts: try store.alertFacts(touching: period), controls: config.controls, ranInPeriod: ran,
                                        evidencedManual: evidenced, period: period)
        var byCriterion: [(criterion: String, open: Int, breached: Int)] = []
        if let framework {
            let controls = Dictionary(config.controls.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            var counts: [String: (open: Int, breached: Int)] = [:]
            for alert in live {
                for group in framework.groups(ofAlert: alert.criteria, control: controls[alert.control]) {
                    let count = counts[group] ?? (0, 0)
                    counts[group] = (count.open + 1, count.breached + (alert.breachedSLA(at: now) ? 1 : 0))
                }
            }
            byCriterion = framework.sorted(counts.keys).map { ($0, counts[$0]!.open, counts[$0]!.breached) }
        }
        return StatusReport(
            organisation: config.organisation, now: now, live: live,
            bySeverity: Dictionary(grouping: live, by: \.severity).mapValues(\.count),
            breached: live.filter { $0.breachedSLA(at: now) },
            controlsFailing: runs.filter { $0.failed > 0 }.count,
            controlsErroring: runs.filter { $0.errors > 0 }.count,
            controlsTotal: config.controls.count,
            manualControls: config.controls.filter { !$0.isAutomated }.count,
            outboxDepth: try store.outboxDepth(),
            undelivered: try store.undeliverableOutbox(),
            ledgerEntries: try store.ledgerHead()?.seq ?? 0,
            week: week,
            training: config.controls.filter { $0.check?.type == "training" }.compactMap { control in
                runs.first { $0.control == control.id }.flatMap { run in
                    run.errors > 0 ? nil : (control.title, run.passed, run.passed + run.failed)
                }
            },
            chatProblems: try ChatAdapters.builtIn.map(\.platform).compactMap { try store.cursor(chatHealthCursor($0)) }.filter { !$0.isEmpty },
            framework: framework, byCriterion: byCriterion)
    }

    /// As a chat message (every surface) — also what the CLI prints.
    package var message: ChatMessage {
        let counts = Severity.allCases.map { "\(bySeverity[$0] ?? 0) \($0)" }.joined(separator: " · ")
        var lines = chatProblems.map { "Chat: \($0)" } + ["Open: \(counts)"]
        if let framework {
            let groups = byCriterion.map { "\($0.criterion) \($0.open)" + ($0.breached > 0 ? " (\($0.breached) SLA breached)" : "") }
            lines.append("Open by \(framework.shortName) criterion: " + (groups.isEmpty ? "none" : groups.joined(separator: " · ")))
        }
        let attention = live.filter { $0.severity <= .high && ($0.state == .open || $0.state == .escalated) }
            .sorted { ($0.severity, $0.openedAt) < ($1.severity, $1.openedAt) }
        if !attention.isEmpty {
            lines.append("Needs attention:")
            lines += attention.prefix(10).map { "  \(AlertListing.line($0, now: now))" }
        }
        if !breached.isEmpty {
            lines.append("SLA breached (\(breached.count)):")
            lines += breached.prefix(10).map { "  \(AlertListing.line($0, now: now))" }
        }
        let snoozed = live.filter { $0.state == .snoozed || $0.state == .riskAccepted }
        if !snoozed.isEmpty { lines.append("Snoozed or risk-accepted: \(snoozed.count)") }
        lines.append("Last 7 days: " + week.summary)
        for entry in training where entry.judged > 0 {
            let missing = entry.judged - entry.done
            lines.append("\(entry.control): \(missing) \(missing == 1 ? "person has" : "people have") not completed it; completion rate "
                         + "\(Int((Double(entry.done) / Double(entry.judged) * 100).rounded(.down)))%, target 100%")
        }
        lines.append("Controls: \(controlsTotal) (\(manualControls) manual); failing now: \(controlsFailing); erroring: \(controlsErroring)")
        if !undelivered.isEmpty {
            lines.append("Undelivered for good (\(undelivered.count)): fix the cause; an alert's next change posts it anew:")
            lines += undelivered.prefix(20).map { "  \(Undelivered.line($0))" }
        }
        lines.append("Evidence ledger: \(ledgerEntries) entries · undelivered chat messages: \(outboxDepth)")
        return ChatMessage(title: "\(organisation) — \((framework ?? .soc2).shortName) readiness at \(TimeText.human(now))", body: lines.joined(separator: "\n"))
    }
}

/// Messages the bot gave up on, as the reports name them.
package enum Undelivered {
    /// `A-3 alert → slack:C0123 · Slack chat.postMessage: channel_not_found · since 2026-03-02 08:00 UTC`
    package static func line(_ message: OutboxMessage) -> String {
        "\(message.alert?.description ?? "(no alert)") \(message.kind.noun) → \(message.destination) · \(message.lastError ?? "unknown reason")"
            + " · since \(TimeText.human(message.createdAt))"
    }
}

/// One-line renderings of alerts for lists.
package enum AlertListing {
    /// `A-3 HIGH  acknowledged  infra  Storage encryption: exports (S3) · 2d 4h old · SLA in 3h`
    package static func line(_ alert: Alert, now: Date) -> String {
        let age = DurationText.format(now.timeIntervalSince(alert.openedAt))
        let sla: String
        if alert.state.isEnded {
            sla = alert.endedAt.map { "ended \(TimeText.human($0))" } ?? ""
        } else if alert.breachedSLA(at: now) {
            sla = "SLA breached \(DurationText.format(now.timeIntervalSince(alert.slaDeadline))) ago"
        } else if alert.slaDeadline <= now {
            sla = "SLA waived: risk accepted"
        } else {
            sla = "SLA in \(DurationText.format(alert.slaDeadline.timeIntervalSince(now)))"
        }
        return "\(alert.id.description.padding(toLength: 5, withPad: " ", startingAt: 0)) \(alert.severity.label.padding(toLength: 8, withPad: " ", startingAt: 0)) \(alert.state.label.padding(toLength: 13, withPad: " ", startingAt: 0)) \(alert.team.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(alert.title) · \(age) old · \(sla)"
    }

    /// Live alerts matching `filter` (a team id, a severity or a state), most severe first.
    package static func filter(_ alerts: [Alert], by filter: String?) -> [Alert] {
        let sorted = alerts.sorted { ($0.severity, $0.id) < ($1.severity, $1.id) }
        guard let filter, !filter.isEmpty else { return sorted }
        return sorted.filter { alert in
            alert.team.rawValue == filter || alert.severity.rawValue == filter
                || alert.state.rawValue == filter || alert.state.label == filter
        }
    }
}

/// The manual controls whose evidence, recorded from chat, is within their cadence at `now`: what counts for
/// evidence coverage (a control merely not yet due does not).
package enum ManualCoverage {
    package static func evidenced(config: BotConfig, store: StoreTransaction, at now: Date) throws -> Set<ControlID> {
        var evidenced = Set<ControlID>()
        for control in config.controls where !control.isAutomated {
            guard let at = try store.lastEvidenceAt(subject: control.manualEvidenceSubject, kind: Control.manualEvidenceKind) else { continue }
            if at <= now, now.timeIntervalSince(at) < control.cadence { evidenced.insert(control.id) }
        }
        return evidenced
    }
}

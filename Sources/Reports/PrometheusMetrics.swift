import Core
import Foundation
import Store

/// The bot's state in the Prometheus text exposition format (version 0.0.4), for `GET /metrics` on the inbound
/// server. Computed from the store on each scrape, like every other metric here; no resource names, no secrets.
package enum PrometheusMetrics {
    /// Histogram buckets for detection and remediation times, in seconds: 5 min … 30 days.
    static let buckets: [Double] = [300, 900, 3_600, 4 * 3_600, 86_400, 3 * 86_400, 7 * 86_400, 30 * 86_400]

    /// One source's latest read, as the running bot recorded it.
    package struct SourceStatus: Sendable {
        package var source: String
        package var kind: String
        package var up: Bool
        /// How long its reads have been failing (nil while healthy).
        package var failingFor: TimeInterval?
        package init(source: String, kind: String, up: Bool, failingFor: TimeInterval?) {
            self.source = source; self.kind = kind; self.up = up; self.failingFor = failingFor
        }
    }

    package static func render(config: BotConfig, store: StoreTransaction, now: Date, sources: [SourceStatus] = []) throws -> String {
        var out: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            out.append("# HELP \(name) \(help)")
            out.append("# TYPE \(name) \(type)")
            for sample in samples { out.append("\(name)\(sample.labels) \(format(sample.value))") }
        }
        let live = try store.liveAlerts()
        metric("soc2bot_open_alerts", "gauge", "Live alerts (not closed or resolved) by severity.",
               Severity.allCases.map { severity in ("{severity=\"\(severity.rawValue)\"}", Double(live.filter { $0.severity == severity }.count)) })
        metric("soc2bot_sla_breached_alerts", "gauge", "Live alerts past their remediation SLA.",
               [("", Double(live.filter { $0.breachedSLA(at: now) }.count))])
        let all = try store.alertFacts()
        out += histogram("soc2bot_detection_seconds", "Time from a failure beginning to its alert opening (MTTD), over every alert.",
                         all.map { max(0, $0.openedAt.timeIntervalSince($0.failingSince)) })
        out += histogram("soc2bot_remediation_seconds", "Time from an alert opening to its control passing again or its closing (MTTR), over ended alerts.",
                         all.filter { $0.state == .resolved || $0.state == .closed }.compactMap { alert in alert.endedAt.map { max(0, $0.timeIntervalSince(alert.openedAt)) } })
        let runs = try store.latestRuns()
        metric("soc2bot_control_failing_resources", "gauge", "Failing resources in each control's latest run.",
               runs.map { ("{control=\"\(escape($0.control.rawValue))\"}", Double($0.failed)) })
        metric("soc2bot_control_errors", "gauge", "Resources a control's latest run could not evaluate (a source unreadable: never a pass).",
               runs.map { ("{control=\"\(escape($0.control.rawValue))\"}", Double($0.errors)) })
        if !sources.isEmpty {
            metric("soc2bot_source_up", "gauge", "Whether the latest read of each configured source succeeded (1) or failed (0).",
                   sources.map { ("{source=\"\(escape($0.source))\",kind=\"\(escape($0.kind))\"}", $0.up ? 1 : 0) })
            metric("soc2bot_source_failing_seconds", "gauge", "How long each source's reads have been failing (0 while healthy).",
                   sources.map { ("{source=\"\(escape($0.source))\",kind=\"\(escape($0.kind))\"}", $0.failingFor ?? 0) })
        }
        metric("soc2bot_outbox_depth", "gauge", "Chat messages not yet delivered.", [("", Double(try store.outboxDepth()))])
        metric("soc2bot_outbox_failing", "gauge", "Undelivered chat messages whose last attempt failed.", [("", Double(try store.outboxFailing()))])
        metric("soc2bot_undelivered_message_since_timestamp_seconds", "gauge",
               "Chat messages given up on (failed for good) that have not reached their destination since, by alert: when each was queued (Unix time).",
               try store.undeliverableOutbox().map { message in
                   ("{alert=\"\(escape(message.alert?.description ?? ""))\",kind=\"\(message.kind.rawValue)\",platform=\"\(message.destination.platform.rawValue)\","
                    + "destination=\"\(escape(message.destination.description))\",reason=\"\(escape(String((message.lastError ?? "").prefix(200))))\"}",
                    message.createdAt.timeIntervalSince1970.rounded())
               })
        metric("soc2bot_ledger_entries", "gauge", "Entries in the evidence ledger.", [("", Double(try store.ledgerHead()?.seq ?? 0))])
        return out.joined(separator: "\n") + "\n"
    }

    static func histogram(_ name: String, _ help: String, _ values: [Double]) -> [String] {
        var lines = ["# HELP \(name) \(help)", "# TYPE \(name) histogram"]
        for bound in buckets { lines.append("\(name)_bucket{le=\"\(format(bound))\"} \(values.filter { $0 <= bound }.count)") }
        lines.append("\(name)_bucket{le=\"+Inf\"} \(values.count)")
        lines.append("\(name)_sum \(format(values.reduce(0, +)))")
        lines.append("\(name)_count \(values.count)")
        return lines
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// Label values escape backslash, quote and newline.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}

import Chat
import Core
import Foundation

/// The program's trend week by week (twelve weeks by default, oldest first): the alerts open at each week's end by
/// severity, and the week's MTTD and MTTR. Computed from the alerts' facts like every metric here; drawn by the bot
/// as the digest's chart and the dashboard's.
package struct WeeklyTrend: Sendable, Equatable {
    package struct Week: Sendable, Equatable {
        package var period: DateInterval
        /// Alerts open at the week's end (opened by then, not ended by then).
        package var openRisk: [Severity: Int]
        package var mttd: TimeInterval?
        package var mttr: TimeInterval?
    }

    package var weeks: [Week]

    package static let defaultWeeks = 12

    /// The span whose alerts `compute` needs: the weeks themselves.
    package static func span(endingAt end: Date, weeks: Int = defaultWeeks) -> DateInterval {
        DateInterval(start: end.addingTimeInterval(-Double(weeks) * 7 * 86_400), end: end)
    }

    /// - Parameter alerts: the facts of every alert touching `span(endingAt: end, weeks: weeks)`.
    package static func compute(alerts: [AlertFacts], endingAt end: Date, weeks: Int = defaultWeeks) -> WeeklyTrend {
        let first = span(endingAt: end, weeks: weeks).start
        return WeeklyTrend(weeks: (0..<weeks).map { index in
            let period = DateInterval(start: first.addingTimeInterval(Double(index) * 7 * 86_400), duration: 7 * 86_400)
            // The week's own alerts: opened by its end and not ended before its start (one pass, then the metrics' passes on few).
            let touching = alerts.filter { $0.openedAt <= period.end && ($0.endedAt.map { $0 >= period.start } ?? true) }
            let metrics = AlertMetrics.compute(alerts: touching, controls: [], ranInPeriod: [], period: period)
            let open = touching.filter { $0.isOpen(at: period.end) }
            return Week(period: period, openRisk: Dictionary(grouping: open, by: \.severity).mapValues(\.count), mttd: metrics.mttd, mttr: metrics.mttr)
        })
    }

    /// Whether any week has an alert open or a time measured: an empty history says "no data", not a flat zero line.
    package var hasData: Bool { weeks.contains { !$0.openRisk.isEmpty || $0.mttd != nil || $0.mttr != nil } }

    static let severityColours: [Severity: RGB] = [.critical: RGB(0xB03A2E), .high: RGB(0xE67E22), .medium: RGB(0xF1C40F), .low: RGB(0x95A5A6)]

    /// The chart: open risk stacked by severity (most severe at the bottom), MTTD and MTTR in hours.
    package func chart(title: String) -> TrendChart {
        let order = Severity.allCases.sorted()
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "d MMM"
        return TrendChart(
            title: title,
            stackedTitle: "Open alerts at each week's end, by severity",
            stackedSeries: order.map { TrendChart.Series(name: $0.label.capitalized, color: Self.severityColours[$0] ?? RGB(0x777777)) },
            linesTitle: "MTTD and MTTR (hours), week by week",
            lineSeries: [TrendChart.Series(name: "MTTD", color: RGB(0x2E86C1)), TrendChart.Series(name: "MTTR", color: RGB(0x8E44AD))],
            weeks: weeks.map { week in
                TrendChart.Week(label: formatter.string(from: week.period.start), stacked: order.map { week.openRisk[$0] ?? 0 },
                                lines: [week.mttd.map { $0 / 3_600 }, week.mttr.map { $0 / 3_600 }])
            })
    }

    /// What the chart shows, in words: for screen readers and surfaces without pictures.
    package var summary: String {
        guard let last = weeks.last, let first = weeks.first else { return "no data" }
        guard hasData else { return "No alerts and no measured times in the last \(weeks.count) weeks: no data." }
        func total(_ week: Week) -> Int { week.openRisk.values.reduce(0, +) }
        func time(_ value: TimeInterval?) -> String { value.map(DurationText.format) ?? "no data" }
        return "Open alerts \(total(first)) → \(total(last)) over \(weeks.count) weeks (peak \(weeks.map(total).max() ?? 0)); "
            + "MTTD \(time(first.mttd)) → \(time(last.mttd)); MTTR \(time(first.mttr)) → \(time(last.mttr))."
    }

    /// The chart's title for `name` (a team or the organisation), the same in the digest and on the dashboard.
    package func title(for name: String) -> String { "\(name): open risk, MTTD and MTTR over the last \(weeks.count) weeks" }

    /// The chart as a PNG to post.
    package func image(title: String, filename: String) -> ChatImage {
        let raster = chart(title: title).render()
        return ChatImage(filename: filename, data: raster.png(), width: raster.width, height: raster.height, altText: summary)
    }
}

import Foundation

/// A two-panel weekly trend chart rendered to a `Raster`:
/// a stacked bar chart (e.g. open risk by severity) above a line chart (e.g. MTTD/MTTR),
/// sharing one week axis.
package struct TrendChart: Sendable {
    /// A named, coloured data series (a bar segment or a line).
    package struct Series: Sendable {
        package var name: String
        package var color: RGB
        package init(name: String, color: RGB) {
            self.name = name
            self.color = color
        }
    }

    /// One week of data: a stacked value per `stackedSeries` entry and an optional value
    /// per `lineSeries` entry (`nil` leaves a gap in that line). Missing entries count as 0 / nil.
    package struct Week: Sendable {
        package var label: String
        package var stacked: [Int]
        package var lines: [Double?]
        package init(label: String, stacked: [Int], lines: [Double?]) {
            self.label = label
            self.stacked = stacked
            self.lines = lines
        }
    }

    package var title: String
    /// Heading of the upper (stacked bar) panel, e.g. "Open risk at week end".
    package var stackedTitle: String
    /// Bar segments, bottom to top, e.g. Critical, High, Medium, Low.
    package var stackedSeries: [Series]
    /// Heading of the lower (line) panel, e.g. "MTTD and MTTR (hours)".
    package var linesTitle: String
    /// Lines, with values in the unit named by `linesTitle`.
    package var lineSeries: [Series]
    /// Weeks, oldest first.
    package var weeks: [Week]

    package init(
        title: String, stackedTitle: String, stackedSeries: [Series],
        linesTitle: String, lineSeries: [Series], weeks: [Week]
    ) {
        self.title = title
        self.stackedTitle = stackedTitle
        self.stackedSeries = stackedSeries
        self.linesTitle = linesTitle
        self.lineSeries = lineSeries
        self.weeks = weeks
    }

    /// The chart as a PNG file.
    package func png() -> Data { render().png() }

    /// Draws the chart (900 × 560 px, white background).
    package func render() -> Raster {
        let g = geometry()
        var raster = Raster(width: g.width, height: g.height, background: Style.background)
        let fittedTitle = Self.fitted(title, maxWidth: g.width - 2 * g.margin - 1, scale: 2)
        drawBold(fittedTitle, x: g.margin, y: 16, color: Style.title, scale: 2, into: &raster)
        drawStackedPanel(into: &raster, g)
        drawLinePanel(into: &raster, g)
        return raster
    }

    // MARK: - Layout

    /// Pixel layout of the chart; shared by rendering and tests.
    struct Geometry {
        let width = 900
        let height = 560
        /// Outer left/right margin.
        let margin = 20
        var plotLeft: Int
        var plotRight: Int
        /// Upper panel: heading top row; plot area rows `upperTop...upperBottom` (baseline).
        let upperHeader = 50
        let upperTop = 88
        let upperBottom = 264
        /// Lower panel, laid out like the upper one.
        let lowerHeader = 308
        let lowerTop = 340
        let lowerBottom = 522
        /// Horizontal space per week.
        var slot: Double
        var barWidth: Int
        var stackedAxis: Axis
        var lineAxis: Axis

        /// Horizontal centre of week `index`'s bar and line point.
        func centerX(_ index: Int) -> Double { Double(plotLeft) + slot * (Double(index) + 0.5) }

        /// Left edge of week `index`'s bar.
        func barLeft(_ index: Int) -> Int { Int((centerX(index) - Double(barWidth) / 2).rounded()) }

        /// Row for `value` on the stacked axis.
        func stackedY(_ value: Double) -> Double { y(value, stackedAxis, upperTop, upperBottom) }

        /// Row for `value` on the line axis.
        func lineY(_ value: Double) -> Double { y(value, lineAxis, lowerTop, lowerBottom) }

        private func y(_ value: Double, _ axis: Axis, _ top: Int, _ bottom: Int) -> Double {
            guard axis.maximum > 0 else { return Double(bottom) }
            return Double(bottom) - min(1, max(0, value / axis.maximum)) * Double(bottom - top)
        }
    }

    /// A y axis from 0 to `maximum` in steps of `step`; `maximum == 0` means no data.
    struct Axis {
        var maximum: Double
        var step: Double
        var hasData: Bool { maximum > 0 }
        /// Gridline values, 0 first.
        var ticks: [Double] {
            let ratio = (maximum / step).rounded()
            guard hasData, step > 0, ratio.isFinite, ratio <= 100 else { return [0] }
            let count = Int(ratio)
            return (0...count).map { Double($0) * step }
        }
        /// Label for a tick value.
        func label(_ value: Double) -> String { TrendChart.format(value, step: step) }
    }

    func geometry() -> Geometry {
        let maxTotal = weeks.map { totals(of: $0).reduce(0, +) }.max() ?? 0
        let stackedAxis = Self.integerAxis(maxTotal)
        let measured = weeks.flatMap { lineValues(of: $0).compactMap { $0 } }
        // A measured zero (an alert detected the moment its failure began) is data: draw it on a 0–1 axis.
        let highest = measured.max() ?? 0
        let lineAxis = Self.decimalAxis(measured.isEmpty ? 0 : highest > 0 ? highest : 1)

        let yLabelWidth = max(
            stackedAxis.ticks.map { Raster.textWidth(stackedAxis.label($0), scale: Style.labelScale) }.max() ?? 0,
            lineAxis.ticks.map { Raster.textWidth(lineAxis.label($0), scale: Style.labelScale) }.max() ?? 0)
        var g = Geometry(
            plotLeft: 0, plotRight: 0, slot: 1, barWidth: 1, stackedAxis: stackedAxis, lineAxis: lineAxis)
        g.plotLeft = g.margin + max(yLabelWidth, 12) + 10
        g.plotRight = g.width - 24
        g.slot = Double(g.plotRight - g.plotLeft) / Double(max(1, weeks.count))
        g.barWidth = max(1, min(56, Int(g.slot * 0.6)))
        return g
    }

    /// Stacked values of `week`, one per stacked series, clamped to 0...10¹² so sums cannot overflow.
    private func totals(of week: Week) -> [Int] {
        stackedSeries.indices.map { $0 < week.stacked.count ? min(Self.maxStackedValue, max(0, week.stacked[$0])) : 0 }
    }

    private static let maxStackedValue = 1_000_000_000_000

    /// Finite line values of `week` clamped to 0...10¹⁵, one per line series (`nil` = gap).
    private func lineValues(of week: Week) -> [Double?] {
        lineSeries.indices.map { index -> Double? in
            guard index < week.lines.count, let value = week.lines[index], value.isFinite else { return nil }
            return min(1e15, max(0, value))
        }
    }

    // MARK: - Panels

    private func drawStackedPanel(into raster: inout Raster, _ g: Geometry) {
        drawHeader(stackedTitle, series: stackedSeries, lineSwatch: false, y: g.upperHeader, into: &raster, g)
        drawGrid(g.stackedAxis, top: g.upperTop, bottom: g.upperBottom, into: &raster, g)
        if g.stackedAxis.hasData {
            var lastTotalRight = Int.min / 2
            for (index, week) in weeks.enumerated() {
                let left = g.barLeft(index)
                var cumulative = 0
                for (seriesIndex, value) in totals(of: week).enumerated() where value > 0 {
                    let lower = Int(g.stackedY(Double(cumulative)).rounded())
                    cumulative += value
                    let upper = Int(g.stackedY(Double(cumulative)).rounded())
                    raster.fill(
                        x: left, y: upper, width: g.barWidth, height: lower - upper,
                        color: stackedSeries[seriesIndex].color)
                }
                // Total above the bar, skipped where it would collide with the previous one.
                let label = Self.totalLabel(cumulative)
                let width = Raster.textWidth(label, scale: Style.labelScale)
                let x = Int(g.centerX(index).rounded()) - width / 2
                guard x > lastTotalRight + 4 else { continue }
                lastTotalRight = x + width
                let top = Int(g.stackedY(Double(cumulative)).rounded())
                raster.text(
                    label, x: x, y: top - 6 - Raster.textHeight(scale: Style.labelScale),
                    color: cumulative > 0 ? Style.text : Style.muted, scale: Style.labelScale)
            }
        } else {
            drawNoData(top: g.upperTop, bottom: g.upperBottom, into: &raster, g)
        }
        drawBaseline(top: g.upperTop, bottom: g.upperBottom, into: &raster, g)
        drawWeekLabels(below: g.upperBottom, into: &raster, g)
    }

    private func drawLinePanel(into raster: inout Raster, _ g: Geometry) {
        drawHeader(linesTitle, series: lineSeries, lineSwatch: true, y: g.lowerHeader, into: &raster, g)
        drawGrid(g.lineAxis, top: g.lowerTop, bottom: g.lowerBottom, into: &raster, g)
        if g.lineAxis.hasData {
            let values = weeks.map(lineValues(of:))
            for (seriesIndex, series) in lineSeries.enumerated() {
                var previous: (Double, Double)? = nil
                for (index, week) in values.enumerated() {
                    guard let value = week[seriesIndex] else {
                        previous = nil
                        continue
                    }
                    let point = (g.centerX(index), g.lineY(value))
                    if let previous {
                        raster.line(from: previous, to: point, color: series.color, thickness: 2)
                    }
                    previous = point
                }
            }
            for (seriesIndex, series) in lineSeries.enumerated() {
                for (index, week) in values.enumerated() {
                    guard let value = week[seriesIndex] else { continue }
                    let point = (g.centerX(index), g.lineY(value))
                    raster.disc(center: point, radius: 4.5, color: Style.background)
                    raster.disc(center: point, radius: 3.2, color: series.color)
                }
            }
        } else {
            drawNoData(top: g.lowerTop, bottom: g.lowerBottom, into: &raster, g)
        }
        drawBaseline(top: g.lowerTop, bottom: g.lowerBottom, into: &raster, g)
        drawWeekLabels(below: g.lowerBottom, into: &raster, g)
    }

    /// Panel heading on the left, legend right-aligned on the same line.
    private func drawHeader(
        _ heading: String, series: [Series], lineSwatch: Bool, y: Int, into raster: inout Raster, _ g: Geometry
    ) {
        let scale = Style.headingScale
        let swatch = lineSwatch ? 18 : 10
        let itemWidths = series.map { swatch + 6 + Raster.textWidth($0.name, scale: Style.labelScale) }
        let gap = 18
        let legendWidth = itemWidths.reduce(0, +) + gap * max(0, series.count - 1)
        // The legend keeps its place at the right; a long heading is shortened to fit before it.
        var x = max(g.margin, g.plotRight - legendWidth)
        let headingSpace = (series.isEmpty ? g.width - g.margin : x - 24) - g.margin
        raster.text(Self.fitted(heading, maxWidth: headingSpace, scale: scale), x: g.margin, y: y,
                    color: Style.text, scale: scale)
        let textY = y + (Raster.textHeight(scale: scale) - Raster.textHeight(scale: Style.labelScale)) / 2
        let midY = textY + Raster.textHeight(scale: Style.labelScale) / 2
        for (item, width) in zip(series, itemWidths) {
            if lineSwatch {
                raster.line(
                    from: (Double(x), Double(midY)), to: (Double(x + swatch - 1), Double(midY)),
                    color: item.color, thickness: 2)
                raster.disc(center: (Double(x) + Double(swatch - 1) / 2, Double(midY)), radius: 3.2, color: item.color)
            } else {
                raster.fill(x: x, y: midY - 5, width: swatch, height: swatch, color: item.color)
            }
            raster.text(item.name, x: x + swatch + 6, y: textY, color: Style.text, scale: Style.labelScale)
            x += width + gap
        }
    }

    /// Horizontal gridlines with right-aligned value labels left of the plot.
    private func drawGrid(_ axis: Axis, top: Int, bottom: Int, into raster: inout Raster, _ g: Geometry) {
        let labelHeight = Raster.textHeight(scale: Style.labelScale)
        for value in axis.ticks {
            let y = axis.hasData
                ? Int((Double(bottom) - value / axis.maximum * Double(bottom - top)).rounded())
                : bottom
            if value > 0 {
                raster.fill(x: g.plotLeft, y: y, width: g.plotRight - g.plotLeft + 1, height: 1, color: Style.grid)
            }
            let label = axis.label(value)
            let width = Raster.textWidth(label, scale: Style.labelScale)
            raster.text(
                label, x: g.plotLeft - 8 - width, y: y - labelHeight / 2,
                color: Style.muted, scale: Style.labelScale)
        }
    }

    /// The x axis line at the bottom of a plot area and the y axis line on its left.
    private func drawBaseline(top: Int, bottom: Int, into raster: inout Raster, _ g: Geometry) {
        raster.fill(x: g.plotLeft, y: bottom, width: g.plotRight - g.plotLeft + 1, height: 1, color: Style.axis)
        raster.fill(x: g.plotLeft, y: top, width: 1, height: bottom - top, color: Style.axis)
    }

    /// Week labels centred under each bar, thinned out if they would overlap.
    private func drawWeekLabels(below bottom: Int, into raster: inout Raster, _ g: Geometry) {
        guard !weeks.isEmpty else { return }
        let widths = weeks.map { Raster.textWidth($0.label, scale: Style.labelScale) }
        let widest = widths.max() ?? 0
        let every = max(1, Int((Double(widest + 10) / g.slot).rounded(.up)))
        for (index, week) in weeks.enumerated() where (weeks.count - 1 - index) % every == 0 {
            let x = Int(g.centerX(index).rounded()) - widths[index] / 2
            raster.fill(x: Int(g.centerX(index).rounded()), y: bottom + 1, width: 1, height: 4, color: Style.axis)
            raster.text(week.label, x: x, y: bottom + 9, color: Style.muted, scale: Style.labelScale)
        }
    }

    private func drawNoData(top: Int, bottom: Int, into raster: inout Raster, _ g: Geometry) {
        let text = "no data"
        let scale = 2
        let width = Raster.textWidth(text, scale: scale)
        raster.text(
            text, x: (g.plotLeft + g.plotRight - width) / 2,
            y: (top + bottom - Raster.textHeight(scale: scale)) / 2, color: Style.muted, scale: scale)
    }

    /// Faux-bold text: drawn twice, one pixel apart.
    private func drawBold(_ s: String, x: Int, y: Int, color: RGB, scale: Int, into raster: inout Raster) {
        raster.text(s, x: x, y: y, color: color, scale: scale)
        raster.text(s, x: x + 1, y: y, color: color, scale: scale)
    }

    // MARK: - Axes and number formatting

    /// 0...max in 2–5 steps of 1, 2 or 5 × 10ⁿ (a zero maximum means no data).
    static func integerAxis(_ maxValue: Int) -> Axis {
        guard maxValue > 0 else { return Axis(maximum: 0, step: 1) }
        var magnitude = 1
        while true {
            for multiplier in [1, 2, 5] {
                let step = multiplier * magnitude
                let intervals = (maxValue - 1) / step + 1
                if intervals <= 5 {
                    return Axis(maximum: Double(step * max(2, intervals)), step: Double(step))
                }
            }
            if magnitude > Int.max / 100 { return Axis(maximum: Double(maxValue), step: Double(maxValue)) }
            magnitude *= 10
        }
    }

    /// 0...max in 3–5 steps of 1, 2, 2.5 or 5 × 10ⁿ (a zero maximum means no data).
    static func decimalAxis(_ maxValue: Double) -> Axis {
        guard maxValue > 0, maxValue.isFinite else { return Axis(maximum: 0, step: 1) }
        var exponent = Int(log10(maxValue).rounded(.down)) - 2
        while exponent < 400 {
            let magnitude = pow(10, Double(exponent))
            for multiplier in [1.0, 2.0, 2.5, 5.0] {
                let step = multiplier * magnitude
                let intervals = (maxValue / step - 1e-9).rounded(.up)
                if intervals <= 5 {
                    return Axis(maximum: step * max(1, intervals), step: step)
                }
            }
            exponent += 1
        }
        return Axis(maximum: maxValue, step: maxValue)
    }

    /// Formats an axis or total value: "0", "0.5", "12", "750", "1.2k", "3.5M", "2B", "1.5T".
    /// `step` is the spacing of neighbouring values and decides how many decimals are needed.
    static func format(_ value: Double, step: Double) -> String {
        guard value.isFinite else { return "–" }
        let magnitude = abs(value)
        let (unit, suffix): (Double, String) =
            magnitude >= 999.5e9 ? (1e12, "T")
            : magnitude >= 999.5e6 ? (1e9, "B")
            : magnitude >= 999_500 ? (1e6, "M")
            : magnitude >= 1_000 ? (1e3, "k") : (1, "")
        let scaled = value / unit
        // Decimals needed to show the step exactly (capped), and at least one for 1.2k-style values.
        let relativeStep = step / unit
        var decimals = 0
        while decimals < 3 {
            let shifted = relativeStep * pow(10, Double(decimals))
            if abs(shifted - shifted.rounded()) < 1e-6 { break }
            decimals += 1
        }
        if unit > 1 { decimals = max(decimals, 1) }
        if unit > 1, abs(scaled) >= 100 { decimals = 0 }
        return trimmed(scaled, decimals: decimals) + suffix
    }

    /// `text` shortened with a trailing "..." so that it is at most `maxWidth` pixels wide.
    static func fitted(_ text: String, maxWidth: Int, scale: Int) -> String {
        guard Raster.textWidth(text, scale: scale) > maxWidth else { return text }
        var characters = Array(text)
        while !characters.isEmpty {
            characters.removeLast()
            let candidate = String(characters).trimmingCharacters(in: .whitespaces) + "..."
            if Raster.textWidth(candidate, scale: scale) <= maxWidth { return candidate }
        }
        return ""
    }

    /// Bar total: exact below 10 000, otherwise three significant digits ("30.9k", "1.23M").
    static func totalLabel(_ total: Int) -> String {
        guard total >= 10_000 else { return String(total) }
        let step = pow(10, (log10(Double(total))).rounded(.down) - 2)
        return format(Double(total), step: step)
    }

    /// `value` with at most `decimals` fraction digits, trailing zeros removed.
    private static func trimmed(_ value: Double, decimals: Int) -> String {
        let factor = pow(10, Double(decimals))
        let rounded = (value * factor).rounded() / factor
        var text = String(format: "%.\(decimals)f", rounded)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    // MARK: - Style

    private enum Style {
        static let background = RGB(0xFFFFFF)
        static let title = RGB(0x111827)
        static let text = RGB(0x374151)
        static let muted = RGB(0x6B7280)
        static let grid = RGB(0xE5E7EB)
        static let axis = RGB(0x9CA3AF)
        static let labelScale = 1
        static let headingScale = 2
    }
}

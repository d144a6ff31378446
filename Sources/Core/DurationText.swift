import Foundation

/// Human durations as written in manifests and chat: `90s`, `30m`, `4h`, `2d`, `1w`, and sums such as `1d12h`.
/// Units: s, m (minutes), h, d (24 h), w (7 d); parts may be separated by spaces (`1d 6h`). Months are not accepted:
/// they have no fixed length.
package enum DurationText {
    /// Seconds in `text`, or nil when it is not a positive duration in the grammar above.
    package static func parse(_ text: String) -> TimeInterval? {
        // Spaces between parts are allowed, so what `format` prints (`1d 6h`) reads back.
        let trimmed = text.lowercased().filter { !$0.isWhitespace }
        guard !trimmed.isEmpty else { return nil }
        var total: TimeInterval = 0
        var number = ""
        var sawUnit = false
        for ch in trimmed {
            if ch.isNumber {
                number.append(ch)
            } else {
                guard let n = Double(number), let unit = unitSeconds(ch) else { return nil }
                total += n * unit
                number = ""
                sawUnit = true
            }
        }
        guard number.isEmpty, sawUnit, total > 0 else { return nil }
        return total
    }

    /// A short rendering: `4h`, `2d`, `1d 6h`, `45m`, `30s`. Rounds down to the largest two units.
    package static func format(_ seconds: TimeInterval) -> String {
        var rest = Int(seconds.rounded(.towardZero))
        if rest <= 0 { return "0m" }
        var parts: [String] = []
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] where rest >= size {
            parts.append("\(rest / size)\(unit)")
            rest %= size
            if parts.count == 2 { break }
        }
        return parts.joined(separator: " ")
    }

    private static func unitSeconds(_ ch: Character) -> TimeInterval? {
        switch ch {
        case "s": 1
        case "m": 60
        case "h": 3_600
        case "d": 86_400
        case "w": 604_800
        default: nil
        }
    }
}

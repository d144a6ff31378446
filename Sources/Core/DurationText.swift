import Foundation

/// Human durations as written in manifests and chat: `90s`, `30m`, `4h`, `2d`, `1w`, and sums such as `1d12h`.
/// Units: s, m (minutes), h, d (24 h), w (7 d); parts may be separated by spaces (`1d 6h`). Months are not accepted:
/// they have no fixed length. At most `maximum` (200 years), so a date plus any duration stays printable and every
/// later conversion to whole seconds or milliseconds fits.
package enum DurationText {
    /// The longest duration accepted: 200 years of 365 days (73,000 d, 6,307,200,000 s).
    package static let maximum: TimeInterval = 73_000 * 86_400

    /// Why a text is not a duration.
    package enum Problem: Error, Sendable, Equatable {
        /// Not a positive duration in the grammar above.
        case malformed
        /// A duration, but longer than `maximum` (or too many digits to count).
        case outOfRange
    }

    /// Seconds in `text`, or nil when it is not a positive duration of at most `maximum`.
    package static func parse(_ text: String) -> TimeInterval? {
        try? read(text).get()
    }

    /// Seconds in `text`, or why it is not a duration: `.outOfRange` for a well-formed duration beyond `maximum`.
    package static func read(_ text: String) -> Result<TimeInterval, Problem> {
        // Spaces between parts are allowed, so what `format` prints (`1d 6h`) reads back.
        let trimmed = text.lowercased().filter { !$0.isWhitespace }
        guard !trimmed.isEmpty else { return .failure(.malformed) }
        var total: TimeInterval = 0
        var number = ""
        var sawUnit = false
        for ch in trimmed {
            if ch.isASCII && ch.isNumber {
                number.append(ch)
            } else {
                guard let n = Double(number), let unit = unitSeconds(ch) else { return .failure(.malformed) }
                total += n * unit
                number = ""
                sawUnit = true
            }
        }
        guard number.isEmpty, sawUnit, total > 0 else { return .failure(.malformed) }
        guard total.isFinite, total <= maximum else { return .failure(.outOfRange) }
        return .success(total)
    }

    /// How `maximum` is written in messages: `200 years (73000d)`.
    package static let maximumText = "200 years (73000d)"

    /// A short rendering: `4h`, `2d`, `1d 6h`, `45m`, `30s`. Rounds down to the largest two units. Never traps:
    /// NaN and negative values print as `0m`, values beyond 10^15 s as that many.
    package static func format(_ seconds: TimeInterval) -> String {
        guard seconds > 0 else { return "0m" }
        var rest = Int(min(seconds, 1e15).rounded(.towardZero))
        if rest <= 0 { return "0m" }
        var parts: [String] = []
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] where rest >= size {
            parts.append("\(rest / size)\(unit)")
            rest %= size
            if parts.count == 2 { break }
        }
        return parts.joined(separator: " ")
    }

    /// `seconds` as whole seconds for messages and logs, whatever a server sent (a `Retry-After` of `inf`, `nan` or
    /// 1e300): NaN and negatives are 0, and at most 10^15.
    package static func wholeSeconds(_ seconds: TimeInterval) -> Int {
        guard seconds > 0 else { return 0 }
        return Int(min(seconds, 1e15).rounded(.towardZero))
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

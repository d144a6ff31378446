import Foundation

/// Timestamps as identity APIs send them (RFC 3339): `2024-05-01T10:00:00Z`, with 0–7 fractional digits
/// (Google sends milliseconds, Graph up to 100 ns ticks) and `Z` or a numeric offset.
enum RFC3339Timestamp {
    /// The instant, or nil when `text` is not an RFC 3339 date-time.
    static func parse(_ text: String) -> Date? {
        // ISO8601DateFormatter accepts fractions of exactly three digits at most on some platforms, so the
        // fraction is cut out, the rest parsed, and the fraction added back.
        var whole = text
        var fraction: TimeInterval = 0
        if let dot = text.firstIndex(of: ".") {
            let digitsEnd = text[text.index(after: dot)...].firstIndex { !$0.isNumber } ?? text.endIndex
            let digits = text[text.index(after: dot)..<digitsEnd]
            guard !digits.isEmpty, let value = Double("0." + digits) else { return nil }
            fraction = value
            whole = String(text[..<dot] + text[digitsEnd...])
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: whole).map { $0.addingTimeInterval(fraction) }
    }
}

import Foundation

/// How times are written for people and in evidence: UTC, minute precision for people, ISO 8601 for machines.
package enum TimeText {
    /// `2026-03-04 09:00 UTC`.
    package static func human(_ date: Date) -> String {
        let c = Calendar.utc.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d UTC", c.year!, c.month!, c.day!, c.hour!, c.minute!)
    }

    /// `2026-03-04T09:00:00.000Z`: fixed width, sorts as text, milliseconds kept.
    package static func iso(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = Double(ms / 1000)
        let c = Calendar.utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: seconds))
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!, Int(ms % 1000))
    }

    /// Parses `2026-03-04`, `2026-03-04T09:00:00Z` and the fractional-second form.
    package static func parse(_ text: String) -> Date? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.count == 10 {
            let fields = t.split(separator: "-", omittingEmptySubsequences: false)
            let parts = fields.compactMap { Int($0) }
            // YYYY-MM-DD only, and a real calendar day: 2026-02-30 is refused, not rolled over into March.
            guard fields.count == 3, parts.count == 3, fields[0].count == 4, fields[1].count == 2, fields[2].count == 2,
                  let date = Calendar.utc.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])) else { return nil }
            let check = Calendar.utc.dateComponents([.year, .month, .day], from: date)
            guard check.year == parts[0], check.month == parts[1], check.day == parts[2] else { return nil }
            return date
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = formatter.date(from: t) { return d }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: t)
    }
}

extension Calendar {
    /// The Gregorian calendar in UTC: every date the bot shows or stores is UTC.
    package static let utc: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()
}

import Foundation

/// How times are written for people and in evidence: UTC, minute precision for people, ISO 8601 for machines.
package enum TimeText {
    /// `2026-03-04 09:00 UTC`.
    package static func human(_ date: Date) -> String {
        let t = UTCFields(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
        return "\(pad(t.year, 4))-\(pad(t.month, 2))-\(pad(t.day, 2)) \(pad(t.hour, 2)):\(pad(t.minute, 2)) UTC"
    }

    /// `2026-03-04T09:00:00.000Z`: fixed width, sorts as text, milliseconds kept. On every ledger append's path,
    /// so computed with integer arithmetic rather than Calendar and String(format:) (which cost a third of an append).
    package static func iso(_ date: Date) -> String {
        let t = UTCFields(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
        return "\(pad(t.year, 4))-\(pad(t.month, 2))-\(pad(t.day, 2))T\(pad(t.hour, 2)):\(pad(t.minute, 2)):\(pad(t.second, 2)).\(pad(t.millisecond, 3))Z"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Proleptic Gregorian calendar fields in UTC from milliseconds since 1970 (Howard Hinnant's days-to-civil).
    private struct UTCFields {
        var year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millisecond = 0

        init(milliseconds: Int64) {
            let msPerDay: Int64 = 86_400_000
            var days = milliseconds / msPerDay
            var rest = milliseconds % msPerDay
            if rest < 0 { rest += msPerDay; days -= 1 }
            millisecond = Int(rest % 1000)
            second = Int(rest / 1000 % 60)
            minute = Int(rest / 60_000 % 60)
            hour = Int(rest / 3_600_000)
            let z = days + 719_468
            let era = (z >= 0 ? z : z - 146_096) / 146_097
            let doe = z - era * 146_097
            let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
            let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
            let mp = (5 * doy + 2) / 153
            day = Int(doy - (153 * mp + 2) / 5 + 1)
            month = Int(mp < 10 ? mp + 3 : mp - 9)
            year = Int(yoe + era * 400 + (month <= 2 ? 1 : 0))
        }
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

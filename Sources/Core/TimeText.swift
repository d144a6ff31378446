import Foundation

/// How times are written for people and in evidence: UTC, minute precision for people, ISO 8601 for machines.
package enum TimeText {
    /// `2026-03-04 09:00 UTC`.
    package static func human(_ date: Date) -> String {
        let t = UTCFields(milliseconds: milliseconds(date))
        return "\(pad(t.year, 4))-\(pad(t.month, 2))-\(pad(t.day, 2)) \(pad(t.hour, 2)):\(pad(t.minute, 2)) UTC"
    }

    /// `2026-03-04T09:00:00.000Z`: fixed width, sorts as text, milliseconds kept. On every ledger append's path,
    /// so computed with integer arithmetic rather than Calendar and String(format:) (which cost a third of an append).
    package static func iso(_ date: Date) -> String {
        let t = UTCFields(milliseconds: milliseconds(date))
        return "\(pad(t.year, 4))-\(pad(t.month, 2))-\(pad(t.day, 2))T\(pad(t.hour, 2)):\(pad(t.minute, 2)):\(pad(t.second, 2)).\(pad(t.millisecond, 3))Z"
    }

    /// Milliseconds since 1970, clamped to ±8.64e15 (±100,000,000 days, the ECMAScript date range, beyond any date
    /// the bot can be given: dates are years 0000–9999 and durations at most 200 years), NaN as 0, so printing a
    /// date never traps whatever arithmetic produced it.
    private static func milliseconds(_ date: Date) -> Int64 {
        let ms = (date.timeIntervalSince1970 * 1000).rounded(.down)
        guard !ms.isNaN else { return 0 }
        return Int64(min(max(ms, -8.64e15), 8.64e15))
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

    /// Parses `2026-03-04` (midnight UTC), `2026-03-04T09:00:00Z`, with fractional seconds, or with an offset
    /// (`+01:00`). Strict: real calendar days only. Integer arithmetic, no Calendar or formatter (no ICU).
    /// `text` without leading and trailing `CharacterSet.whitespaces`; Foundation's character sets are asked only when
    /// an end is not a printable ASCII character (the loop parses stored times every step, which never need it).
    static func trimmingBlanks(_ text: String) -> Substring {
        if let first = text.utf8.first, let last = text.utf8.last, (0x21...0x7E).contains(first), (0x21...0x7E).contains(last) { return text[...] }
        return Substring(text.trimmingCharacters(in: .whitespaces))
    }

    package static func parse(_ text: String) -> Date? {
        let bytes = Array(trimmingBlanks(text).utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= bytes.count else { return nil }
            var value = 0
            for b in bytes[from..<(from + count)] {
                guard b >= 48 && b <= 57 else { return nil }
                value = value * 10 + Int(b - 48)
            }
            return value
        }
        guard bytes.count >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        var seconds = Double(daysFromCivil(year: year, month: month, day: day)) * 86_400
        if bytes.count == 10 { return Date(timeIntervalSince1970: seconds) }
        guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              hour < 24, minute < 60, second < 61 else { return nil }
        seconds += Double(hour * 3_600 + minute * 60 + second)
        var i = 19
        if bytes[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            let start = i
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                seconds += Double(bytes[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < bytes.count else { return nil }
        switch bytes[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard i + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard i + 6 == bytes.count, bytes[i + 3] == UInt8(ascii: ":"),
                  let offsetHours = number(i + 1, 2), let offsetMinutes = number(i + 4, 2), offsetHours < 24, offsetMinutes < 60 else { return nil }
            let offset = Double(offsetHours * 3_600 + offsetMinutes * 60)
            seconds += bytes[i] == UInt8(ascii: "+") ? -offset : offset
        default:
            return nil
        }
        return Date(timeIntervalSince1970: seconds)
    }

    /// `20150830T123600Z` and `20150830`: the AWS SigV4 forms.
    package static func compactUTC(_ date: Date) -> (full: String, day: String) {
        let t = UTCFields(milliseconds: milliseconds(date))
        let day = pad(t.year, 4) + pad(t.month, 2) + pad(t.day, 2)
        return (day + "T" + pad(t.hour, 2) + pad(t.minute, 2) + pad(t.second, 2) + "Z", day)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days-from-civil).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
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

extension DateInterval {
    /// Half-open membership, from `start` (inclusive) to `end` (exclusive): back-to-back periods (this week and the
    /// last, an export's `--from`/`--to`) never count one moment twice. `contains` includes the end.
    package func spans(_ date: Date) -> Bool { start <= date && date < end }
}

import Core
import Foundation

/// Dates as HR systems write them: a calendar day (`2026-03-04`), which means 00:00 of that day in the company's
/// time zone, or an ISO 8601 instant with `Z` or an offset (`2026-03-04T17:30:00+01:00`).
struct HRDate: Sendable {
    /// The zone a bare day is read in (settings `timezone`, default UTC).
    let timeZone: TimeZone

    /// The zone named by `settings.timezone` (an IANA name such as `Europe/Berlin`; its default comes from the
    /// source's descriptor).
    init(zone text: String, source: SourceID) throws {
        let name = text.trimmingCharacters(in: .whitespaces)
        guard let zone = TimeZone(identifier: name) else {
            throw SourceError.unavailable(source: source, reason: "settings.timezone `\(name)` is not a time zone; use an IANA name such as Europe/Berlin or UTC")
        }
        timeZone = zone
    }

    /// The instant `text` names, or nil when it is neither a real calendar day nor an ISO 8601 instant with a zone.
    func parse(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let utc = TimeText.parse(trimmed) else { return nil }
        guard trimmed.count == 10 else { return utc }
        // 00:00 local: shift by the zone's offset at (about) that moment, then correct for a DST change in between.
        let guess = utc.addingTimeInterval(-Double(timeZone.secondsFromGMT(for: utc)))
        return utc.addingTimeInterval(-Double(timeZone.secondsFromGMT(for: guess)))
    }
}

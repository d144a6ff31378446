import Core
import Foundation
import Testing

@Suite("Values")
struct ValuesTests {
    // MARK: DurationText

    @Test(arguments: [
        ("90s", 90.0), ("30m", 1_800), ("4h", 14_400), ("2d", 172_800), ("1w", 604_800),
        ("1d12h", 129_600), ("1h30m", 5_400), ("1w2d", 777_600), ("0h30m", 1_800), (" 4H ", 14_400), ("10d", 864_000),
    ])
    func durationParsesUnitsAndSums(_ text: String, _ seconds: TimeInterval) {
        #expect(DurationText.parse(text) == seconds)
    }

    @Test(arguments: ["", "   ", "4", "h", "4x", "1mo", "1y", "1.5h", "-4h", "4h30", "two days", "0m", "0d0h"])
    func durationRejectsWhatIsNotAPositiveDuration(_ text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test(arguments: [
        (0.0, "0m"), (-5, "0m"), (30, "30s"), (59.9, "59s"), (90, "1m 30s"), (2_700, "45m"), (14_400, "4h"),
        (172_800, "2d"), (1_209_600, "14d"), (108_000, "1d 6h"), (109_800, "1d 6h"), (86_460, "1d 1m"),
    ])
    func durationFormatsTheLargestTwoUnits(_ seconds: TimeInterval, _ text: String) {
        #expect(DurationText.format(seconds) == text)
    }

    @Test(arguments: [30.0, 2_700, 14_400, 172_800, 108_000, 5_400])
    func formattedDurationParsesBack(_ seconds: TimeInterval) throws {
        // What `format` prints (units separated by a space) reads back as written.
        #expect(DurationText.parse(DurationText.format(seconds)) == seconds)
    }

    @Test(arguments: ["9223372036854775808w", "99999999999999999999999d", "73001d", "10440w1d", String(repeating: "9", count: 400) + "s"])
    func durationBeyondTwoHundredYearsIsOutOfRange(_ text: String) {
        #expect(DurationText.read(text) == .failure(.outOfRange))
        #expect(DurationText.parse(text) == nil)
    }

    @Test func durationUpToTwoHundredYearsIsAccepted() {
        #expect(DurationText.read("73000d") == .success(DurationText.maximum))
        #expect(DurationText.read("4x") == .failure(.malformed))
    }

    @Test(arguments: [Double.infinity, -.infinity, .nan, 1e300, -1e300, .greatestFiniteMagnitude, 9.3e18])
    func formattingNeverTrapsOnAnyNumber(_ seconds: TimeInterval) {
        #expect(!DurationText.format(seconds).isEmpty)
        #expect(DurationText.wholeSeconds(seconds) >= 0)
        // Dates that arithmetic on such numbers yields print too (clamped), never trap.
        let date = Date(timeIntervalSince1970: 1_772_000_000).addingTimeInterval(seconds)
        #expect(TimeText.iso(date).hasSuffix("Z"))
        #expect(TimeText.human(date).hasSuffix("UTC"))
        #expect(!TimeText.compactUTC(date).day.isEmpty)
    }

    // MARK: Criterion

    @Test(arguments: [
        ("CC6.2", "CC6.2", "CC6"), ("cc6.2", "CC6.2", "CC6"), ("A1.2", "A1.2", "A1"), ("PI1.1", "PI1.1", "PI1"),
        ("P4.3", "P4.3", "P4"), ("C1.1", "C1.1", "C1"), ("CC10.12", "CC10.12", "CC10"),
    ])
    func criterionParsesTheTrustServicesPrefixes(_ text: String, _ canonical: String, _ series: String) throws {
        let criterion = try #require(Criterion(text))
        #expect(criterion.description == canonical)
        #expect(criterion.series == series)
    }

    @Test(arguments: ["", "CC6", "CC6.", "CC.2", "CC6.2.1", "X1.2", "CC6-2", "CCC6.2", "6.2", " CC6.2", "A1.B", "PI.1"])
    func criterionRejectsWhatIsNotACriterion(_ text: String) {
        #expect(Criterion(text) == nil)
    }

    @Test func criteriaSortNumerically() {
        let sorted = ["CC6.10", "CC6.2", "A1.2", "CC1.1"].compactMap(Criterion.init).sorted().map(\.description)
        #expect(sorted == ["A1.2", "CC1.1", "CC6.2", "CC6.10"])
    }

    @Test func criterionDecodesCanonicallyAndRefusesJunk() throws {
        let decoded = try JSONDecoder().decode([Criterion].self, from: Data(#"["cc6.2","PI1.1"]"#.utf8))
        #expect(decoded.map(\.description) == ["CC6.2", "PI1.1"])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Criterion].self, from: Data(#"["CC6"]"#.utf8)) }
    }

    // MARK: AlertID

    @Test(arguments: [("A-3", Int64(3)), ("a-3", 3), ("#3", 3), ("3", 3), (" A-42 ", 42), ("#12345", 12_345)])
    func alertIDParsesTheWaysPeopleWriteIt(_ text: String, _ number: Int64) {
        #expect(AlertID(parsing: text) == AlertID(number))
    }

    @Test(arguments: ["", "A-", "A3", "A-0", "0", "-3", "A--3", "B-3", "A-3x", "three", "#", "A - 3"])
    func alertIDRejectsJunk(_ text: String) {
        #expect(AlertID(parsing: text) == nil)
    }

    @Test func alertIDIsShownWithItsPrefixAndStoredAsANumber() throws {
        #expect(AlertID(3).description == "A-3")
        #expect(AlertID(parsing: AlertID(77).description) == AlertID(77))
        #expect(String(decoding: try JSONEncoder().encode(AlertID(3)), as: UTF8.self) == "3")
        #expect(try JSONDecoder().decode(AlertID.self, from: Data("3".utf8)) == AlertID(3))
        #expect(AlertID(2) < AlertID(10))
    }

    // MARK: TimeText

    @Test func humanTimeIsUTCToTheMinute() {
        #expect(TimeText.human(Fixture.t0) == "2026-02-25 06:13 UTC")
        #expect(TimeText.human(Fixture.t0.addingTimeInterval(39)) == "2026-02-25 06:13 UTC")
        #expect(TimeText.human(Date(timeIntervalSince1970: 0)) == "1970-01-01 00:00 UTC")
    }

    @Test func isoTimeIsFixedWidthWithMilliseconds() {
        #expect(TimeText.iso(Fixture.t0) == "2026-02-25T06:13:20.000Z")
        #expect(TimeText.iso(Fixture.t0.addingTimeInterval(0.25)) == "2026-02-25T06:13:20.250Z")
        #expect(TimeText.iso(Fixture.t0.addingTimeInterval(0.9999)) == "2026-02-25T06:13:20.999Z")
    }

    @Test(arguments: [0.0, 0.5, 0.25, 0.125, 86_399, -34_560_000] as [TimeInterval])
    func isoTimeParsesBackExactly(_ offset: TimeInterval) {
        let date = Fixture.t0.addingTimeInterval(offset)
        #expect(TimeText.parse(TimeText.iso(date)) == date)
    }

    @Test(arguments: [
        ("2026-03-04", 1_772_582_400.0), ("2026-03-04T09:00:00Z", 1_772_614_800), ("2026-03-04T09:00:00.250Z", 1_772_614_800.25),
        ("2026-03-04T10:00:00+01:00", 1_772_614_800), (" 2026-03-04 ", 1_772_582_400),
    ])
    func timeParsesDatesAndInternetTimes(_ text: String, _ seconds: TimeInterval) {
        #expect(TimeText.parse(text) == Date(timeIntervalSince1970: seconds))
    }

    @Test(arguments: ["", "yesterday", "2026/03/04", "not a date", "2026-03-04 09:00", "2026-03-04T09:00",
                      "2026-13-45", "2026-02-30", "04-03-2026", "2026-3-04x"])
    func timeRejectsOtherForms(_ text: String) {
        #expect(TimeText.parse(text) == nil)
    }
}

@Suite("TimeText against the calendar")
struct TimeTextCalendarTests {
    /// The integer formatter agrees with Foundation's calendar across leap years, century rules and pre-1970 dates.
    @Test(arguments: [-2_208_988_800.0, -1.5, 0, 951_782_399.999, 951_868_800, 1_709_164_800, 1_772_438_400.25, 4_107_542_400, 253_402_300_799])
    func isoMatchesTheGregorianCalendar(_ seconds: TimeInterval) {
        let date = Date(timeIntervalSince1970: seconds)
        let ms = Int64((seconds * 1000).rounded(.down))
        let whole = Date(timeIntervalSince1970: Double((ms - ((ms % 1000) + 1000) % 1000)) / 1000)
        let c = Calendar.utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: whole)
        let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!,
                              Int(((ms % 1000) + 1000) % 1000))
        #expect(TimeText.iso(date) == expected)
        #expect(TimeText.human(date) == String(format: "%04d-%02d-%02d %02d:%02d UTC", c.year!, c.month!, c.day!, c.hour!, c.minute!))
    }
}

import Foundation

/// The store's times on disk, whichever database: seconds since 2001-01-01 (Foundation's reference date) in a
/// floating-point column (SQLite REAL, PostgreSQL double precision).
package enum StoredTime {
    /// Seconds since 2001-01-01 from year 1 to the end of year 9999: what every report can print.
    package static let plausibleSeconds: ClosedRange<Double> = -63_113_904_000 ... 252_423_993_599

    /// The time `seconds` stands for; nil when it is not finite or not within years 1…9999 (edited outside soc2bot).
    package static func date(seconds: Double) -> Date? {
        guard seconds.isFinite, plausibleSeconds.contains(seconds) else { return nil }
        return Date(timeIntervalSinceReferenceDate: seconds)
    }
}

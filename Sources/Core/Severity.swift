/// How bad a failing control is; drives routing, acknowledgement timeouts and remediation SLAs.
/// Ordered from most to least severe (`critical < high` in `Comparable` terms means "more urgent").
package enum Severity: String, CaseIterable, Codable, Sendable, Comparable, CustomStringConvertible {
    case critical, high, medium, low

    package var rank: Int { Severity.allCases.firstIndex(of: self)! }
    package static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    package var description: String { rawValue }
    /// Upper-case label used in chat headers.
    package var label: String { rawValue.uppercased() }
}

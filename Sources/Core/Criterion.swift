/// A Trust Services Criterion, e.g. `CC6.2` (logical access removal) or `A1.2`.
/// Accepts the 2017 TSC prefixes: CC (common criteria), A (availability), C (confidentiality),
/// PI (processing integrity) and P (privacy), followed by `<series>.<point>`.
package struct Criterion: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    package let rawValue: String

    package init?(_ text: String) {
        let upper = text.uppercased()
        let prefixes = ["CC", "PI", "A", "C", "P"]
        guard let prefix = prefixes.first(where: { upper.hasPrefix($0) }) else { return nil }
        let rest = upper.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard rest.count == 2, rest.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else { return nil }
        rawValue = upper
    }

    package var description: String { rawValue }
    /// The series, e.g. `CC6` for `CC6.2`; used to group reports.
    package var series: String { String(rawValue.split(separator: ".")[0]) }

    package static func < (lhs: Criterion, rhs: Criterion) -> Bool {
        lhs.rawValue.compare(rhs.rawValue, options: .numeric) == .orderedAscending
    }
    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Criterion(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a TSC criterion: \(text)"))
        }
        self = value
    }
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

import Foundation

import Foundation

/// A manifest-declared identifier (control, team, person, source). Compared byte for byte.
package protocol StringIdentifier: RawRepresentable, Hashable, Comparable, Codable, Sendable,
    CustomStringConvertible, ExpressibleByStringLiteral where RawValue == String {
    init(_ rawValue: String)
}

extension StringIdentifier {
    package init(rawValue: String) { self.init(rawValue) }
    package init(stringLiteral value: String) { self.init(value) }
    package var description: String { rawValue }
    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    package init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A control's id from the manifests, e.g. `offboarding-sla`.
package struct ControlID: StringIdentifier { package let rawValue: String; package init(_ rawValue: String) { self.rawValue = rawValue } }
/// A team's id from the manifests, e.g. `infra`.
package struct TeamID: StringIdentifier { package let rawValue: String; package init(_ rawValue: String) { self.rawValue = rawValue } }
/// A person's id from the manifests, e.g. `dana`.
package struct PersonID: StringIdentifier { package let rawValue: String; package init(_ rawValue: String) { self.rawValue = rawValue } }
/// A configured source's id from the manifests, e.g. `github`.
package struct SourceID: StringIdentifier { package let rawValue: String; package init(_ rawValue: String) { self.rawValue = rawValue } }

/// An alert's number, shown to people as `A-<n>`. Assigned by the store, never reused.
package struct AlertID: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    package let rawValue: Int64
    package init(_ rawValue: Int64) { self.rawValue = rawValue }
    package var description: String { "A-\(rawValue)" }
    package static func < (lhs: AlertID, rhs: AlertID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Parses `A-3`, `a-3`, `#3` or `3`.
    package init?(parsing text: String) {
        var body = Substring(text.trimmingCharacters(in: .whitespaces))
        if body.hasPrefix("#") { body = body.dropFirst() }
        if body.lowercased().hasPrefix("a-") { body = body.dropFirst(2) }
        guard let n = Int64(body), n > 0 else { return nil }
        self.rawValue = n
    }
    package init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(Int64.self) }
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

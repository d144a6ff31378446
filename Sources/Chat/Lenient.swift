import Foundation

/// A value of a vendor's JSON decoded when it has the expected shape, else nil: a field of the wrong type counts as
/// absent instead of failing the whole answer (`as? T` for `Codable`). Never throws, so an unkeyed container moves
/// past an element that did not decode.
package struct Lenient<Value: Decodable>: Decodable {
    package let value: Value?

    package init(from decoder: any Decoder) throws {
        value = try? Value(from: decoder)
    }
}

/// Any JSON value, skipped: for a field only whose key matters (a room's entry under `rooms.invite`).
package struct IgnoredJSON: Decodable, Sendable {
    package init(from decoder: any Decoder) throws {}
}

extension KeyedDecodingContainer {
    /// The value at `key` when present and of type `T`; nil when absent, null or of another type.
    package func lenient<T: Decodable>(_ type: T.Type, _ key: Key) -> T? {
        ((try? decodeIfPresent(Lenient<T>.self, forKey: key)) ?? nil)?.value
    }

    /// The elements at `key` that are of type `T` (the others skipped); empty when absent or not an array.
    package func lenientElements<T: Decodable>(_ type: T.Type, _ key: Key) -> [T] {
        (lenient([Lenient<T>].self, key) ?? []).compactMap(\.value)
    }
}

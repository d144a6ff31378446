import Foundation

/// JSON used for rows the bot reads back (alert bodies, tracks, outbox payloads): exact round trips.
package enum StoreJSON {
    package static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .deferredToDate
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(value)
    }
    package static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .deferredToDate
        return try decoder.decode(type, from: data)
    }
}

/// Canonical JSON for ledger entries: keys sorted, no whitespace, slashes unescaped, dates as ISO 8601 UTC with
/// milliseconds. The exact bytes are hashed, so this encoding must never change for existing entries.
package enum CanonicalJSON {
    package static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(TimeText.iso(date))
        }
        return try encoder.encode(value)
    }
}

import Core

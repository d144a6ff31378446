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

extension CanonicalJSON {
    /// Appends `text` as a JSON string, byte for byte as `encode` writes one: `"` and `\` escaped, `\b \t \n \f \r`
    /// for those controls, `\u00xx` (lower-case hex) for the other controls below U+0020, everything else (slashes,
    /// DEL, non-ASCII) as its UTF-8. For the ledger's hot entries, written without an encoder (`EvidenceLedger.append`).
    package static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\\"))
            case 0x08: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "b"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0C: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "f"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends `n` in decimal, as `encode` writes an integer.
    package static func appendInteger(_ n: Int64, to out: inout [UInt8]) {
        out.append(contentsOf: String(n).utf8)
    }

    /// Appends `text`, which must be plain ASCII needing no escape (keys, punctuation).
    package static func appendRaw(_ text: StaticString, to out: inout [UInt8]) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }
}

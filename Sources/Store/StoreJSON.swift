import Core
import Foundation

/// JSON used for rows the bot reads back (alert bodies, tracks, outbox payloads): exact round trips.
package enum StoreJSON {
    package static func encode<T: Encodable>(_ value: T) throws -> Data {
        if let track = value as? ResourceTrack, let bytes = encode(track: track) { return bytes }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .deferredToDate
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(value)
    }
    /// A resource track written without an encoder (a step saves one for each resource whose failing streak grew, and
    /// the encoder was most of that): the object `encode` writes — keys sorted, dates as seconds since 2001, nil
    /// omitted — its numbers in Swift's shortest exact form, so it decodes to the same track. nil for a time that is not
    /// a finite number (the encoder's error is the answer then).
    static func encode(track: ResourceTrack) -> Data? {
        let times = [track.failingSince, track.firstSeenAt] + (track.policyDeadline.map { [$0] } ?? [])
        guard times.allSatisfy({ $0.timeIntervalSinceReferenceDate.isFinite }) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(192 + track.observed.utf8.count + track.expected.utf8.count + track.resource.id.utf8.count * 2)
        func time(_ date: Date) { out.append(contentsOf: date.timeIntervalSinceReferenceDate.description.utf8) }
        CanonicalJSON.appendRaw(#"{"consecutiveFailures":"#, to: &out)
        CanonicalJSON.appendInteger(Int64(track.consecutiveFailures), to: &out)
        CanonicalJSON.appendRaw(#","expected":"#, to: &out)
        CanonicalJSON.appendString(track.expected, to: &out)
        CanonicalJSON.appendRaw(#","failingSince":"#, to: &out)
        time(track.failingSince)
        CanonicalJSON.appendRaw(#","firstSeenAt":"#, to: &out)
        time(track.firstSeenAt)
        CanonicalJSON.appendRaw(#","observed":"#, to: &out)
        CanonicalJSON.appendString(track.observed, to: &out)
        if let deadline = track.policyDeadline {
            CanonicalJSON.appendRaw(#","policyDeadline":"#, to: &out)
            time(deadline)
        }
        CanonicalJSON.appendRaw(#","resource":{"id":"#, to: &out)
        CanonicalJSON.appendString(track.resource.id, to: &out)
        CanonicalJSON.appendRaw(#","kind":"#, to: &out)
        CanonicalJSON.appendString(track.resource.kind, to: &out)
        CanonicalJSON.appendRaw(#","name":"#, to: &out)
        CanonicalJSON.appendString(track.resource.name, to: &out)
        CanonicalJSON.appendRaw("}}", to: &out)
        return Data(out)
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


extension CanonicalJSON {
    /// Appends `text` as a JSON string, byte for byte as `encode` writes one: `"` and `\` escaped, `\b \t \n \f \r`
    /// for those controls, `\u00xx` (lower-case hex) for the other controls below U+0020, everything else (slashes,
    /// DEL, non-ASCII) as its UTF-8. For the ledger's hot entries, written without an encoder (`EvidenceLedger.append`).
    package static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most texts hold nothing to escape: copied whole.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(contentsOf: text.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
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

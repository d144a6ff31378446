import Foundation

/// A statement parameter. Every value is sent in PostgreSQL's binary format with its type named, so no text is
/// parsed on either side: a `Date` keeps its microseconds, a `Double` every bit, `Data` is not hex-encoded.
package enum PostgresValue: Sendable, Equatable {
    case null
    case text(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case bytes(Data)
    /// A `timestamptz`, to the microsecond (rounded to the nearest).
    case timestamp(Date)

    /// Builtin type OIDs (`pg_type.oid`, fixed since PostgreSQL 7).
    package enum OID {
        package static let bool: UInt32 = 16, bytea: UInt32 = 17, char: UInt32 = 18, name: UInt32 = 19, int8: UInt32 = 20
        package static let int2: UInt32 = 21, int4: UInt32 = 23, text: UInt32 = 25, oid: UInt32 = 26, json: UInt32 = 114
        package static let float4: UInt32 = 700, float8: UInt32 = 701, unknown: UInt32 = 705, bpchar: UInt32 = 1042
        package static let varchar: UInt32 = 1043, timestamp: UInt32 = 1114, timestamptz: UInt32 = 1184
    }

    /// The type OID sent with the parameter (0 for NULL: the server infers it).
    var oid: UInt32 {
        switch self {
        case .null: 0
        case .text: OID.text
        case .int: OID.int8
        case .double: OID.float8
        case .bool: OID.bool
        case .bytes: OID.bytea
        case .timestamp: OID.timestamptz
        }
    }

    /// Appends the binary representation to `buffer`; false for NULL (no bytes, a null pointer).
    func append(to buffer: inout [UInt8]) -> Bool {
        switch self {
        case .null: return false
        case .text(let s): buffer.append(contentsOf: s.utf8)
        case .int(let n): withUnsafeBytes(of: n.bigEndian) { buffer.append(contentsOf: $0) }
        case .double(let d): withUnsafeBytes(of: d.bitPattern.bigEndian) { buffer.append(contentsOf: $0) }
        case .bool(let b): buffer.append(b ? 1 : 0)
        case .bytes(let data): buffer.append(contentsOf: data)
        case .timestamp(let date): withUnsafeBytes(of: PostgresTime.microseconds(date).bigEndian) { buffer.append(contentsOf: $0) }
        }
        return true
    }
}

/// `timestamptz` on the wire: microseconds since 2000-01-01 00:00:00 UTC, a big-endian Int64.
package enum PostgresTime {
    /// Seconds from 2000-01-01 to 2001-01-01 (Foundation's reference date): 366 days, 2000 being a leap year.
    static let referenceOffset: Double = 31_622_400

    package static func microseconds(_ date: Date) -> Int64 {
        let value = ((date.timeIntervalSinceReferenceDate + referenceOffset) * 1_000_000).rounded()
        guard value.isFinite else { return value > 0 ? .max : .min }
        return Int64(max(min(value, 9.2e18), -9.2e18))
    }

    /// `infinity` and `-infinity` (Int64.max, .min) become `distantFuture` and `distantPast`.
    package static func date(microseconds: Int64) -> Date {
        if microseconds == .max { return .distantFuture }
        if microseconds == .min { return .distantPast }
        // Whole seconds and the microseconds apart, so the division does not lose the fraction's digits.
        let seconds = Double(microseconds / 1_000_000) + Double(microseconds % 1_000_000) / 1_000_000
        return Date(timeIntervalSinceReferenceDate: seconds - referenceOffset)
    }
}

import Foundation

/// A Swift type a result column can be read as, from its binary representation and its type OID. A column of
/// another type is a `decoding` error, never a guess.
package protocol PostgresDecodable {
    /// `bytes` is the column's value (never NULL: `Optional` handles NULL); `type` its `pg_type` OID.
    static func decode(_ bytes: UnsafeRawBufferPointer, type: UInt32) -> Self?
    /// Whether a NULL is a value of this type (only `Optional`).
    static var acceptsNull: Bool { get }
    static var nullValue: Self? { get }
}

extension PostgresDecodable {
    package static var acceptsNull: Bool { false }
    package static var nullValue: Self? { nil }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    package static func decode(_ bytes: UnsafeRawBufferPointer, type: UInt32) -> Self? {
        Wrapped.decode(bytes, type: type).map { .some($0) }
    }
    package static var acceptsNull: Bool { true }
    package static var nullValue: Self? { .some(.none) }
}

/// Reads a big-endian integer of `T`'s width.
@inline(__always)
private func readBigEndian<T: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, as: T.Type) -> T? {
    guard bytes.count == MemoryLayout<T>.size else { return nil }
    var value: T = 0
    withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: bytes) }
    return T(bigEndian: value)
}

extension Int64: PostgresDecodable {
    package static func decode(_ bytes: UnsafeRawBufferPointer, type: UInt32) -> Int64? {
        switch type {
        case PostgresValue.OID.int8: readBigEndian(bytes, as: Int64.self)
        case PostgresValue.OID.int4: readBigEndian(bytes, as: Int32.self).map(Int64.init)
        case PostgresValue.OID.int2: readBigEndian(bytes, as: Int16.self).map(Int64.init)
        case PostgresValue.OID.oid: readBigEndian(bytes, as: UInt32.self).map(Int64.init)
        default: nil
        }
    }
}

extension Int: PostgresDecodable {
    package static func decode(_ bytes: UnsafeRawBufferPointer, type: UInt32) -> Int? {
        Int64.decode(bytes, type: type).map(Int.init)
    }
}

extension Int32: PostgresDecodable {
    package static func decode(_ bytes: UnsafeRawBufferPointer, type: UInt32) -> Int32? {
        Int64.decode(bytes, type: type).flatMap(Int32.init(exactly:))
    }
}

extension Double: PostgresDecodable {
    package static func decode(_ bytes: UnsafeRawBufferPointer, type: UInt32) -> Double? {
        switch type {
        case PostgresValue.OID.float8: readBigEndian(bytes, as: UInt64.self).map(Double.init(bitPattern:))
        case PostgresValue.OID.float4: readBigEndian(bytes, as: UInt32.self).map { Double(Float(bitPattern: $0)) }
        default: nil
        }
    }
}

extension Bool: PostgresDecodable {
    package static func decode(_ bytes: UnsafeRawBufferPointer, type: UInt32) -> Bool? {
        guard type == PostgresValue.OID.bool, bytes.count == 1 else { return nil }
        return bytes[0] != 0
    }
}

extension String: PostgresDecodable {
    /// The textual types, whose binary form is their UTF-8 text (the database's encoding is UTF-8).
    package static func decode(_ bytes: UnsafeRawBufferPointer, type: UInt32) -> String? {
        switch type {
        case PostgresValue.OID.text, PostgresValue.OID.varchar, PostgresValue.OID.name, PostgresValue.OID.bpchar,
             PostgresValue.OID.char, PostgresValue.OID.unknown, PostgresValue.OID.json:
            String(validating: bytes, as: UTF8.self)
        default: nil
        }
    }
}

extension Data: PostgresDecodable {
    package static func decode(_ bytes: UnsafeRawBufferPointer, type: UInt32) -> Data? {
        type == PostgresValue.OID.bytea ? Data(bytes) : nil
    }
}

extension Date: PostgresDecodable {
    /// `timestamptz`, and `timestamp` read as UTC.
    package static func decode(_ bytes: UnsafeRawBufferPointer, type: UInt32) -> Date? {
        guard type == PostgresValue.OID.timestamptz || type == PostgresValue.OID.timestamp else { return nil }
        return readBigEndian(bytes, as: Int64.self).map { PostgresTime.date(microseconds: $0) }
    }
}

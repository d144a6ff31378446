import CLibPQ
import Foundation

extension PostgresConnection {
    /// Streams the rows of `query` (a `SELECT` without parameters) through `COPY (query) TO STDOUT` in binary format,
    /// calling `body` for each in order. The server sends rows continuously while `body` runs, so reading a million
    /// rows overlaps the server's work with the caller's; each row's bytes are read in place and valid during its call
    /// only. When `body` throws, the remaining rows are read and dropped (the session stays usable), then the error is
    /// rethrown.
    package func copyOut(_ query: String, _ body: (PostgresCopyRow) throws -> Void) throws {
        try startCopyOut("COPY (\(query)) TO STDOUT (FORMAT binary)")
        var failure: (any Error)?
        var fields: [(start: Int, count: Int)] = []
        var headerSeen = false
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(pointer, &buffer, 0)
            if length == -1 { break }
            guard length >= 0, let buffer else { throw copyFailure() }
            defer { PQfreemem(buffer) }
            guard failure == nil else { continue }
            var message = UnsafeRawBufferPointer(start: buffer, count: Int(length))
            if !headerSeen {
                // `PGCOPY\n\377\r\n\0`, a 32-bit flags field, a 32-bit header-extension length and the extension.
                guard message.count >= 19, let extensionLength = Self.bigEndianInt32(message, at: 15) else {
                    throw PostgresError(.decoding, message: "COPY: the binary header is missing")
                }
                message = UnsafeRawBufferPointer(rebasing: message[(19 + Int(extensionLength))...])
                headerSeen = true
                if message.isEmpty { continue }
            }
            guard let row = Self.parseCopyRow(message, into: &fields) else {
                failure = PostgresError(.decoding, message: "COPY: a row is malformed")
                continue
            }
            if !row { continue }        // the trailer
            do { try body(PostgresCopyRow(message: message, fields: fields)) } catch { failure = error }
        }
        try finishCopy()
        if let failure { throw failure }
    }

    /// Splits one binary COPY tuple (16-bit field count, then per field a 32-bit length, -1 for NULL, and the bytes)
    /// into `fields`; false for the trailer (field count -1), nil when malformed.
    private static func parseCopyRow(_ message: UnsafeRawBufferPointer, into fields: inout [(start: Int, count: Int)]) -> Bool? {
        guard message.count >= 2 else { return nil }
        let count = Int16(bitPattern: UInt16(message[0]) << 8 | UInt16(message[1]))
        if count == -1 { return false }
        fields.removeAll(keepingCapacity: true)
        var offset = 2
        for _ in 0..<max(0, Int(count)) {
            guard let length = bigEndianInt32(message, at: offset) else { return nil }
            offset += 4
            if length < 0 {
                fields.append((start: offset, count: -1))
                continue
            }
            guard offset + Int(length) <= message.count else { return nil }
            fields.append((start: offset, count: Int(length)))
            offset += Int(length)
        }
        return true
    }

    private static func bigEndianInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int32? {
        guard offset + 4 <= bytes.count else { return nil }
        return Int32(bitPattern: UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3]))
    }
}

/// One row of a binary `COPY … TO STDOUT`: its fields' bytes in place, valid during the `copyOut` callback only.
package struct PostgresCopyRow {
    let message: UnsafeRawBufferPointer
    let fields: [(start: Int, count: Int)]

    package var fieldCount: Int { fields.count }

    /// Field `index`'s bytes (binary format of its type), nil for NULL.
    package func bytes(at index: Int) -> UnsafeRawBufferPointer? {
        let field = fields[index]
        guard field.count >= 0 else { return nil }
        return UnsafeRawBufferPointer(rebasing: message[field.start..<(field.start + field.count)])
    }

    /// Field `index` as a `bigint` (nil for NULL or another width).
    package func int64(at index: Int) -> Int64? {
        guard let bytes = bytes(at: index) else { return nil }
        return Int64.decode(bytes, type: PostgresValue.OID.int8)
    }
}

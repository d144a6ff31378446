import CZlib

/// The system zlib, for the PNG writer: a zlib stream (RFC 1950) and the CRC-32 that PNG chunks carry.
package enum Zlib {
    /// Compresses `bytes` into a complete zlib stream (header, DEFLATE data, Adler-32 trailer) at zlib's fastest
    /// level: a chart is mostly flat colour, which every level compresses many times over, and the default level was
    /// most of the weekly digest's time (`soc2bot-bench --only year`). Empty input yields a valid stream for empty data.
    package static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var capacity = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(capacity))
        let status = bytes.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                compress2(target.baseAddress, &capacity, source.baseAddress, uLong(source.count), Z_BEST_SPEED)
            }
        }
        // compressBound is enough by zlib's contract, so only running out of memory is left, which Swift traps on too.
        precondition(status == Z_OK, "zlib compress2 failed with status \(status)")
        out.removeSubrange(Int(capacity)...)
        return out
    }

    /// CRC-32 (ISO 3309, the reflected polynomial 0xEDB88320) of `bytes`, continuing from `initial`.
    package static func crc32(_ bytes: some Collection<UInt8>, initial: UInt32 = 0) -> UInt32 {
        // zlib answers its own initial value (0) for no buffer, whatever `initial` is: nothing to add is `initial`.
        guard !bytes.isEmpty else { return initial }
        return Array(bytes).withUnsafeBufferPointer { buffer in
            UInt32(truncatingIfNeeded: crc32_z(uLong(initial), buffer.baseAddress, buffer.count))
        }
    }
}

import Foundation

/// A small, dependency-free zlib (RFC 1950) encoder producing DEFLATE (RFC 1951) data.
///
/// Compression is LZ77 over a 32 KiB window using hash chains (bounded chain length,
/// one-step lazy matching), entropy-coded with the *fixed* Huffman tables (BTYPE=01).
/// Input is processed in blocks of up to 65 535 bytes; each block is emitted either as a
/// fixed-Huffman block or, when that would be larger (e.g. random data), as a stored block.
package enum Deflate {
    /// Compresses `bytes` into a complete zlib stream (2-byte header, DEFLATE data,
    /// big-endian Adler-32 trailer). Empty input yields a valid stream for empty data.
    package static func zlib(_ bytes: [UInt8]) -> [UInt8] {
        var writer = BitWriter(capacity: bytes.count / 3 + 64)
        // CMF = 0x78: CM 8 (deflate), CINFO 7 (32 KiB window).
        // FLG = 0x9C: FLEVEL 2 (default), FDICT 0, FCHECK so that (CMF*256 + FLG) % 31 == 0.
        writer.bytes.append(0x78)
        writer.bytes.append(0x9C)
        deflate(bytes, into: &writer)
        writer.flushToByte()
        let checksum = adler32(bytes)
        writer.bytes.append(UInt8(truncatingIfNeeded: checksum >> 24))
        writer.bytes.append(UInt8(truncatingIfNeeded: checksum >> 16))
        writer.bytes.append(UInt8(truncatingIfNeeded: checksum >> 8))
        writer.bytes.append(UInt8(truncatingIfNeeded: checksum))
        return writer.bytes
    }

    /// Adler-32 checksum (RFC 1950 §8.2).
    package static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        var index = 0
        let count = bytes.count
        bytes.withUnsafeBufferPointer { buffer in
            while index < count {
                // 5552 is the largest n such that 255n(n+1)/2 + (n+1)(65520) fits in 32 bits.
                let end = min(count, index + 5552)
                while index < end {
                    a &+= UInt32(buffer[index])
                    b &+= a
                    index += 1
                }
                a %= 65521
                b %= 65521
            }
        }
        return (b << 16) | a
    }

    // MARK: - Tuning

    private static let windowSize = 32_768
    private static let windowMask = windowSize - 1
    private static let hashBits = 15
    private static let hashSize = 1 << hashBits
    private static let minMatch = 3
    private static let maxMatch = 258
    /// Maximum number of hash-chain links followed per match search.
    private static let maxChain = 64
    /// A match at least this long ends the chain search immediately.
    private static let niceLength = 128
    /// Matches at least this long are taken without trying a lazy match one byte later.
    private static let lazyLimit = 32
    /// Input bytes per block (also the stored-block limit).
    private static let blockSize = 65_535

    // MARK: - LZ77

    /// Token layout: literal = byte value (< 256); match = 0x8000_0000 | length << 16 | distance.
    private static let matchFlag: UInt32 = 0x8000_0000

    private static func deflate(_ input: [UInt8], into writer: inout BitWriter) {
        let count = input.count
        if count == 0 {
            // A single final fixed-Huffman block holding only end-of-block.
            writer.write(1, 1)
            writer.write(1, 2)
            writer.write(Fixed.litCode[256], Int(Fixed.litLength[256]))
            return
        }
        input.withUnsafeBufferPointer { src in
            var head = [Int32](repeating: -1, count: hashSize)
            var prev = [Int32](repeating: -1, count: windowSize)
            var tokens: [UInt32] = []
            tokens.reserveCapacity(blockSize)

            head.withUnsafeMutableBufferPointer { head in
                prev.withUnsafeMutableBufferPointer { prev in
                    /// Hash of the three bytes starting at `pos` (caller ensures pos + 2 < count).
                    @inline(__always) func hash(_ pos: Int) -> Int {
                        let v = UInt32(src[pos]) << 16 | UInt32(src[pos + 1]) << 8 | UInt32(src[pos + 2])
                        return Int((v &* 2_654_435_761) >> UInt32(32 - hashBits))
                    }
                    /// Adds `pos` to the head of its hash chain.
                    @inline(__always) func insert(_ pos: Int) {
                        guard pos + 2 < count else { return }
                        let h = hash(pos)
                        prev[pos & windowMask] = head[h]
                        head[h] = Int32(pos)
                    }
                    /// Longest earlier match for `pos`, at most `maxLen` bytes (`pos` not yet inserted).
                    @inline(__always) func findMatch(_ pos: Int, _ maxLen: Int) -> (length: Int, distance: Int) {
                        guard maxLen >= minMatch, pos + 2 < count else { return (0, 0) }
                        var best = 0
                        var bestDistance = 0
                        var candidate = Int(head[hash(pos)])
                        var chain = maxChain
                        let lowest = pos - windowSize
                        while candidate >= 0, candidate >= lowest, chain > 0 {
                            if src[candidate + best] == src[pos + best] {
                                var length = 0
                                while length < maxLen, src[candidate + length] == src[pos + length] {
                                    length += 1
                                }
                                if length > best {
                                    best = length
                                    bestDistance = pos - candidate
                                    if length >= maxLen || length >= niceLength { break }
                                }
                            }
                            let next = Int(prev[candidate & windowMask])
                            if next >= candidate { break }  // stale link: chain wrapped
                            candidate = next
                            chain -= 1
                        }
                        return best >= minMatch ? (best, bestDistance) : (0, 0)
                    }

                    var blockStart = 0
                    while blockStart < count {
                        let blockEnd = min(count, blockStart + blockSize)
                        tokens.removeAll(keepingCapacity: true)
                        var pos = blockStart
                        // Match already found at `pos` by the previous lazy look-ahead, if any.
                        var pending: (length: Int, distance: Int)? = nil
                        while pos < blockEnd {
                            let found = pending ?? findMatch(pos, min(maxMatch, blockEnd - pos))
                            pending = nil
                            insert(pos)
                            if found.length >= minMatch, found.length < lazyLimit, pos + 1 < blockEnd {
                                let next = findMatch(pos + 1, min(maxMatch, blockEnd - pos - 1))
                                if next.length > found.length {
                                    tokens.append(UInt32(src[pos]))
                                    pos += 1
                                    pending = next
                                    continue
                                }
                            }
                            if found.length >= minMatch {
                                tokens.append(matchFlag | UInt32(found.length) << 16 | UInt32(found.distance))
                                for p in (pos + 1)..<(pos + found.length) { insert(p) }
                                pos += found.length
                            } else {
                                tokens.append(UInt32(src[pos]))
                                pos += 1
                            }
                        }
                        emitBlock(
                            tokens, raw: UnsafeBufferPointer(rebasing: src[blockStart..<blockEnd]),
                            final: blockEnd == count, into: &writer)
                        blockStart = blockEnd
                    }
                }
            }
        }
    }

    // MARK: - Block output

    /// Writes one block: fixed Huffman, or stored if that is smaller.
    private static func emitBlock(
        _ tokens: [UInt32], raw: UnsafeBufferPointer<UInt8>, final: Bool, into writer: inout BitWriter
    ) {
        var fixedBits = 3 + Int(Fixed.litLength[256])
        for token in tokens {
            if token & matchFlag == 0 {
                fixedBits += Int(Fixed.litLength[Int(token)])
            } else {
                let length = Int((token >> 16) & 0x1FF)
                let distance = Int(token & 0xFFFF)
                let ls = Int(Fixed.lengthSymbol[length])
                let ds = Int(Fixed.distanceSymbol(distance))
                fixedBits += Int(Fixed.litLength[257 + ls]) + Int(Fixed.lengthExtra[ls])
                fixedBits += 5 + Int(Fixed.distanceExtra[ds])
            }
        }
        let padding = (8 - (writer.bitCount + 3) % 8) % 8
        let storedBits = 3 + padding + 32 + 8 * raw.count

        writer.write(final ? 1 : 0, 1)
        if storedBits < fixedBits {
            writer.write(0, 2)  // BTYPE 00: stored
            writer.flushToByte()
            let length = UInt16(raw.count)
            writer.bytes.append(UInt8(truncatingIfNeeded: length))
            writer.bytes.append(UInt8(truncatingIfNeeded: length >> 8))
            writer.bytes.append(UInt8(truncatingIfNeeded: ~length))
            writer.bytes.append(UInt8(truncatingIfNeeded: ~length >> 8))
            writer.bytes.append(contentsOf: raw)
            return
        }
        writer.write(1, 2)  // BTYPE 01: fixed Huffman
        for token in tokens {
            if token & matchFlag == 0 {
                let symbol = Int(token)
                writer.write(Fixed.litCode[symbol], Int(Fixed.litLength[symbol]))
            } else {
                let length = Int((token >> 16) & 0x1FF)
                let distance = Int(token & 0xFFFF)
                let ls = Int(Fixed.lengthSymbol[length])
                writer.write(Fixed.litCode[257 + ls], Int(Fixed.litLength[257 + ls]))
                let lengthExtra = Int(Fixed.lengthExtra[ls])
                if lengthExtra > 0 {
                    writer.write(UInt32(length - Int(Fixed.lengthBase[ls])), lengthExtra)
                }
                let ds = Int(Fixed.distanceSymbol(distance))
                writer.write(Fixed.distanceCode[ds], 5)
                let distanceExtra = Int(Fixed.distanceExtra[ds])
                if distanceExtra > 0 {
                    writer.write(UInt32(distance - Int(Fixed.distanceBase[ds])), distanceExtra)
                }
            }
        }
        writer.write(Fixed.litCode[256], Int(Fixed.litLength[256]))
    }

    // MARK: - Fixed Huffman tables (RFC 1951 §3.2.5, §3.2.6)

    private enum Fixed {
        /// Code lengths of literal/length symbols 0...287.
        static let litLength: [UInt8] = (0..<288).map { symbol in
            switch symbol {
            case 0...143: 8
            case 144...255: 9
            case 256...279: 7
            default: 8
            }
        }
        /// Literal/length codes, bit-reversed so they can be written LSB-first.
        static let litCode: [UInt32] = (0..<288).map { symbol in
            let code: UInt32
            switch symbol {
            case 0...143: code = 0x30 + UInt32(symbol)
            case 144...255: code = 0x190 + UInt32(symbol - 144)
            case 256...279: code = UInt32(symbol - 256)
            default: code = 0xC0 + UInt32(symbol - 280)
            }
            return reverse(code, Int(litLength[symbol]))
        }
        /// Distance codes 0...29 (5 bits each), bit-reversed.
        static let distanceCode: [UInt32] = (0..<30).map { reverse(UInt32($0), 5) }

        static let lengthBase: [UInt16] = [
            3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
            35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
        ]
        static let lengthExtra: [UInt8] = [
            0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
            3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
        ]
        static let distanceBase: [UInt16] = [
            1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
            257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
        ]
        static let distanceExtra: [UInt8] = [
            0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
            7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
        ]
        /// Length (0...258) → index into `lengthBase` (only 3...258 are meaningful).
        static let lengthSymbol: [UInt8] = {
            var table = [UInt8](repeating: 0, count: 259)
            for symbol in 0..<29 {
                let start = Int(lengthBase[symbol])
                let end = symbol == 28 ? 258 : start + (1 << Int(lengthExtra[symbol])) - 1
                for length in start...min(end, 258) { table[length] = UInt8(symbol) }
            }
            table[258] = 28  // 258 has its own code (285) rather than 284 + 31
            return table
        }()
        /// Distance (1...32768) → distance symbol; entries 0..<256 cover d-1 < 256,
        /// entries 256..<512 cover (d-1) >> 7.
        static let distanceTable: [UInt8] = {
            var table = [UInt8](repeating: 0, count: 512)
            for symbol in 0..<30 {
                let start = Int(distanceBase[symbol])
                let end = start + (1 << Int(distanceExtra[symbol])) - 1
                for distance in start...end {
                    let d = distance - 1
                    if d < 256 { table[d] = UInt8(symbol) } else { table[256 + (d >> 7)] = UInt8(symbol) }
                }
            }
            return table
        }()

        @inline(__always) static func distanceSymbol(_ distance: Int) -> UInt8 {
            let d = distance - 1
            return d < 256 ? distanceTable[d] : distanceTable[256 + (d >> 7)]
        }

        /// Reverses the low `length` bits of `code`.
        static func reverse(_ code: UInt32, _ length: Int) -> UInt32 {
            var result: UInt32 = 0
            var value = code
            for _ in 0..<length {
                result = (result << 1) | (value & 1)
                value >>= 1
            }
            return result
        }
    }
}

/// LSB-first bit packer for DEFLATE output.
private struct BitWriter {
    var bytes: [UInt8]
    private var accumulator: UInt64 = 0
    /// Bits currently held in the accumulator (always < 32 between calls).
    private(set) var bitCount = 0

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends the low `count` bits of `value`, least significant bit first.
    @inline(__always) mutating func write(_ value: UInt32, _ count: Int) {
        accumulator |= UInt64(value & UInt32(truncatingIfNeeded: (1 << count) - 1)) << UInt64(bitCount)
        bitCount += count
        if bitCount >= 32 {
            bytes.append(UInt8(truncatingIfNeeded: accumulator))
            bytes.append(UInt8(truncatingIfNeeded: accumulator >> 8))
            bytes.append(UInt8(truncatingIfNeeded: accumulator >> 16))
            bytes.append(UInt8(truncatingIfNeeded: accumulator >> 24))
            accumulator >>= 32
            bitCount -= 32
        }
    }

    /// Writes out any partial byte, padding with zero bits.
    mutating func flushToByte() {
        while bitCount > 0 {
            bytes.append(UInt8(truncatingIfNeeded: accumulator))
            accumulator >>= 8
            bitCount -= 8
        }
        accumulator = 0
        bitCount = 0
    }
}

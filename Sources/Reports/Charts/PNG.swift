import Foundation

/// Minimal PNG encoder for 8-bit truecolor (RGB) images; the compression and the chunk CRCs are the system zlib's.
package enum PNG {
    /// Encodes `rgb` (row-major, 3 bytes per pixel, no padding) as a PNG file.
    ///
    /// Dimensions below 1 are clamped to 1 (PNG forbids empty images); missing pixel
    /// bytes are treated as black and surplus bytes are ignored.
    package static func encode(width: Int, height: Int, rgb: [UInt8]) -> Data {
        let width = max(1, width)
        let height = max(1, height)
        let stride = width * 3
        var pixels = rgb
        if pixels.count < stride * height {
            pixels.append(contentsOf: repeatElement(0, count: stride * height - pixels.count))
        }

        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        appendBigEndian(UInt32(width), to: &header)
        appendBigEndian(UInt32(height), to: &header)
        header += [8, 2, 0, 0, 0]  // bit depth 8, color type 2 (RGB), deflate, adaptive filter, no interlace
        appendChunk("IHDR", header, to: &out)

        let compressed = Zlib.compress(filtered(pixels, stride: stride, height: height))
        let idatSize = 1 << 16
        var offset = 0
        repeat {
            let end = min(compressed.count, offset + idatSize)
            appendChunk("IDAT", compressed[offset..<end], to: &out)
            offset = end
        } while offset < compressed.count

        appendChunk("IEND", [], to: &out)
        return Data(out)
    }

    /// Prefixes each scanline with a filter byte: Up (2) for a row equal to the one above — all zeros, which deflate
    /// takes in a few bytes — else None (0). A chart is flat colour, most of its rows repeat the one above, and one
    /// comparison of a row (rather than counting its bytes both ways) made this a quarter of a weekly digest's charts.
    private static func filtered(_ pixels: [UInt8], stride: Int, height: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: (stride + 1) * height)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                guard let source = src.baseAddress, let target = dst.baseAddress else { return }
                for y in 0..<height {
                    let row = source + y * stride
                    let line = target + y * (stride + 1)
                    if y > 0, memcmp(row, row - stride, stride) == 0 {
                        line[0] = 2   // Up: the differences from the row above, all zero (already)
                    } else {
                        line[0] = 0
                        (line + 1).update(from: row, count: stride)
                    }
                }
            }
        }
        return out
    }

    private static func appendChunk(_ type: String, _ data: some Collection<UInt8>, to out: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        appendBigEndian(UInt32(data.count), to: &out)
        out += typeBytes
        out += data
        let crc = Zlib.crc32(data, initial: Zlib.crc32(typeBytes))
        appendBigEndian(crc, to: &out)
    }

    private static func appendBigEndian(_ value: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: value >> 24))
        out.append(UInt8(truncatingIfNeeded: value >> 16))
        out.append(UInt8(truncatingIfNeeded: value >> 8))
        out.append(UInt8(truncatingIfNeeded: value))
    }
}

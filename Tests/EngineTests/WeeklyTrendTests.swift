import Chat
import Core
import Foundation
import Reports
import Testing

/// The twelve-week trend the digest and the dashboard draw: known answers on a scripted history, and the picture
/// checked with an independent PNG decoder (Python's zlib) and by what it shows.
@Suite("Weekly trend chart")
struct WeeklyTrendTests {
    static let end = Date(timeIntervalSince1970: 1_772_442_000)   // 2026-03-02 09:00 UTC
    static let week = 7 * 86_400.0

    static func facts(_ id: Int64, _ severity: Severity, failing: Double, opened: Double, ended: Double? = nil,
                      state: AlertState? = nil) -> AlertFacts {
        AlertFacts(id: AlertID(id), control: "mfa", title: "MFA enforced: person \(id)", team: "infra", severity: severity, criteria: [Criterion("CC6.1")!],
                   state: state ?? (ended == nil ? .open : .resolved), failingSince: end.addingTimeInterval(failing), openedAt: end.addingTimeInterval(opened),
                   slaDeadline: end.addingTimeInterval(opened + 86_400), slaBreachedAt: nil, endedAt: ended.map(end.addingTimeInterval))
    }

    @Test func eachWeekCountsWhatWasOpenAtItsEndAndTheTimesOfItsOwnAlerts() {
        let alerts = [
            // Opened early in week 2 (of 0–11), detected in 1 h, fixed 3 weeks later (in week 5): open at the ends of weeks 2–4.
            Self.facts(1, .critical, failing: -10 * Self.week, opened: -10 * Self.week + 3_600, ended: -7 * Self.week + 7_200),
            // Opened in the last week, detected in 2 h, still open.
            Self.facts(2, .high, failing: -3 * 86_400 - 7_200, opened: -3 * 86_400),
            // Opened and fixed within the last week: 30 min to detect, 4 h to fix.
            Self.facts(3, .low, failing: -2 * 86_400 - 1_800, opened: -2 * 86_400, ended: -2 * 86_400 + 4 * 3_600),
            // Risk-accepted in the last week: still open risk, no MTTR.
            Self.facts(4, .medium, failing: -86_400, opened: -86_400, state: .riskAccepted),
        ]
        let trend = WeeklyTrend.compute(alerts: alerts, endingAt: Self.end)

        #expect(trend.weeks.count == 12)
        #expect(trend.weeks.first?.period.start == Self.end.addingTimeInterval(-12 * Self.week))
        #expect(trend.weeks.last?.period.end == Self.end)
        #expect(trend.weeks.map { $0.openRisk.values.reduce(0, +) } == [0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 2])
        #expect(trend.weeks[2].openRisk == [.critical: 1])
        #expect(trend.weeks[11].openRisk == [.high: 1, .medium: 1])
        #expect(trend.weeks[2].mttd == 3_600 && trend.weeks[2].mttr == nil)
        #expect(trend.weeks[5].mttr == 3 * Self.week + 3_600 && trend.weeks[5].mttd == nil)
        func near(_ value: TimeInterval?, _ expected: TimeInterval) -> Bool { value.map { abs($0 - expected) < 0.01 } ?? false }
        #expect(near(trend.weeks[11].mttd, (7_200 + 1_800 + 0) / 3))
        #expect(near(trend.weeks[11].mttr, 4 * 3_600))
        #expect(trend.weeks[0].mttd == nil && trend.weeks[0].openRisk.isEmpty)
        #expect(trend.summary == "Open alerts 0 → 2 over 12 weeks (peak 2); MTTD no data → 50m; MTTR no data → 4h.")
    }

    @Test func anEmptyHistorySaysNoDataAndStillDraws() throws {
        let trend = WeeklyTrend.compute(alerts: [], endingAt: Self.end)
        #expect(!trend.hasData)
        #expect(trend.summary == "No alerts and no measured times in the last 12 weeks: no data.")
        let image = trend.image(title: "Empty", filename: "empty.png")
        #expect(image.width > 0 && image.height > 0 && image.data.count > 100)
        #expect(WeeklyTrend.compute(alerts: [], endingAt: Self.end, weeks: 1).image(title: "One", filename: "one.png").data.count > 100)
    }

    /// An independent decoder reads back exactly the pixels the bot drew: every chunk CRC, the zlib stream and
    /// the row filters are checked by Python's standard library, not by our own code.
    @Test func thePNGDecodesToThePixelsDrawn() throws {
        let alerts: [AlertFacts] = (0..<30).map { (i: Int) -> AlertFacts in
            let opened: Double = -Double(i) * 86_400
            let ended: Double? = i % 3 == 0 ? nil : opened + Double(i) * 3_600
            return Self.facts(Int64(i), Severity.allCases[i % 4], failing: opened - 3_600, opened: opened, ended: ended)
        }
        let raster = WeeklyTrend.compute(alerts: alerts, endingAt: Self.end).chart(title: "Infrastructure: the last 12 weeks").render()
        let png = raster.png()
        let decoded = try PythonPNG.decode(png)
        #expect(decoded.width == raster.width && decoded.height == raster.height)
        #expect(decoded.rgb == raster.pixels)
        let size = png.count
        #expect(size < raster.pixels.count / 10, "a chart is mostly flat colour: it compresses (\(size) bytes)")
    }

    /// More open risk draws a taller bar: more pixels in that severity's colour.
    @Test func theChartShowsTheOpenRisk() {
        func pixels(of colour: RGB, criticalOpen: Int) -> Int {
            let alerts = (0..<criticalOpen).map { Self.facts(Int64($0), .critical, failing: -86_400, opened: -86_400) }
            let raster = WeeklyTrend.compute(alerts: alerts, endingAt: Self.end).chart(title: "t").render()
            var count = 0
            for y in 0..<raster.height { for x in 0..<raster.width where raster[x: x, y: y] == colour { count += 1 } }
            return count
        }
        let critical = RGB(0xB03A2E)
        #expect(pixels(of: critical, criticalOpen: 6) > pixels(of: critical, criticalOpen: 1))
        #expect(pixels(of: critical, criticalOpen: 1) > pixels(of: critical, criticalOpen: 0))
    }
}

/// The compressor alone, on what it must never get wrong: Python's zlib inflates every stream to the input.
@Suite("Zlib")
struct ZlibTests {
    @Test func pythonsZlibInflatesEveryStreamToItsInput() throws {
        var generator = SystemRandomNumberGenerator()
        let inputs: [[UInt8]] = [
            [], [7], Array("abcabcabcabcabc".utf8), [UInt8](repeating: 0, count: 70_000),
            (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) },
            (0..<200_000).map { UInt8(truncatingIfNeeded: $0 % 251 ^ $0 / 4_000) },
        ]
        for input in inputs {
            let inflated = try PythonPNG.python("import sys, zlib; sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read()))",
                                                input: Data(Zlib.compress(input)))
            #expect([UInt8](inflated) == input, "\(input.count) bytes")
        }
    }

    /// The CRC a PNG chunk carries: the check value of the standard, the same in pieces as whole, and an empty piece
    /// (IEND's body) leaves the running value alone.
    @Test func crc32IsTheStandardOneAndRunsOverPieces() {
        let bytes = Array("123456789".utf8)
        #expect(Zlib.crc32(bytes) == 0xCBF4_3926)
        #expect(Zlib.crc32(bytes[4...], initial: Zlib.crc32(bytes[..<4])) == 0xCBF4_3926)
        #expect(Zlib.crc32([UInt8](), initial: 0xCBF4_3926) == 0xCBF4_3926)
        #expect(Zlib.crc32([UInt8]()) == 0)
    }
}

/// Decodes an 8-bit RGB or RGBA PNG (alpha dropped) with Python's standard library (zlib, struct, binascii.crc32),
/// as an outside check.
enum PythonPNG {
    struct Decoded { var width: Int; var height: Int; var rgb: [UInt8] }
    struct Failed: Error, CustomStringConvertible { var description: String }

    static let script = #"""
import sys, zlib, struct, binascii
data = sys.stdin.buffer.read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'signature'
pos, idat, width, height = 8, b'', None, None
while pos < len(data):
    length, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    crc, = struct.unpack('>I', data[pos + 8 + length:pos + 12 + length])
    assert binascii.crc32(kind + body) & 0xffffffff == crc, 'crc of ' + kind.decode()
    if kind == b'IHDR':
        width, height, depth, colour, _, _, interlace = struct.unpack('>IIBBBBB', body)
        assert depth == 8 and colour in (2, 6) and interlace == 0, 'not 8-bit RGB or RGBA'
        bpp = 3 if colour == 2 else 4
    elif kind == b'IDAT':
        idat += body
    elif kind == b'IEND':
        break
    pos += 12 + length
raw = zlib.decompress(idat)
stride = width * bpp
out, prev = bytearray(), bytearray(stride)
for y in range(height):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        else: assert f == 0, 'filter %d' % f
    out += line if bpp == 3 else bytes(v for i, v in enumerate(line) if i % 4 != 3)
    prev = line
sys.stdout.buffer.write(struct.pack('>II', width, height) + bytes(out))
"""#

    /// Runs `script` with `input` on its standard input; its standard output, or an error with its standard error.
    static func python(_ script: String, input: Data) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin; process.standardOutput = stdout; process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let problem = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failed(description: "python3 failed: \(problem)") }
        return output
    }

    static func decode(_ png: Data) throws -> Decoded {
        let data = try python(script, input: png)
        guard data.count >= 8 else { throw Failed(description: "python3 could not decode the PNG") }
        let bytes = [UInt8](data)
        func u32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return Decoded(width: u32(0), height: u32(4), rgb: Array(bytes[8...]))
    }
}

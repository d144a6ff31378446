import Foundation

/// An opaque 8-bit-per-channel colour.
package struct RGB: Sendable, Equatable {
    package var r: UInt8
    package var g: UInt8
    package var b: UInt8

    /// Creates a colour from a `0xRRGGBB` literal.
    package init(_ hex: UInt32) {
        r = UInt8(truncatingIfNeeded: hex >> 16)
        g = UInt8(truncatingIfNeeded: hex >> 8)
        b = UInt8(truncatingIfNeeded: hex)
    }

    package init(r: UInt8, g: UInt8, b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// Linear mix: `amount` 0 gives `self`, 1 gives `other`.
    package func blended(with other: RGB, amount: Double) -> RGB {
        let t = min(1, max(0, amount))
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 {
            UInt8(min(255, max(0, (Double(a) + (Double(b) - Double(a)) * t).rounded())))
        }
        return RGB(r: mix(r, other.r), g: mix(g, other.g), b: mix(b, other.b))
    }
}

/// A simple RGB pixel buffer with basic drawing primitives and a built-in 5×7 bitmap font.
///
/// Coordinates are in pixels with the origin at the top-left; pixel `(x, y)` is centred on
/// the integer point `(x, y)`. All drawing is clipped to the raster.
package struct Raster: Sendable {
    package let width: Int
    package let height: Int
    /// Row-major RGB bytes, 3 per pixel.
    package private(set) var pixels: [UInt8]

    /// Creates a raster filled with `background`. Negative sizes are treated as 0.
    package init(width: Int, height: Int, background: RGB) {
        self.width = max(0, width)
        self.height = max(0, height)
        var pixels = [UInt8](repeating: 0, count: self.width * self.height * 3)
        var i = 0
        while i < pixels.count {
            pixels[i] = background.r
            pixels[i + 1] = background.g
            pixels[i + 2] = background.b
            i += 3
        }
        self.pixels = pixels
    }

    /// The pixel at `(x, y)`. Reading outside the raster returns black; writing there is ignored.
    package subscript(x x: Int, y y: Int) -> RGB {
        get {
            guard x >= 0, y >= 0, x < width, y < height else { return RGB(0) }
            let i = (y * width + x) * 3
            return RGB(r: pixels[i], g: pixels[i + 1], b: pixels[i + 2])
        }
        set {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            let i = (y * width + x) * 3
            pixels[i] = newValue.r
            pixels[i + 1] = newValue.g
            pixels[i + 2] = newValue.b
        }
    }

    /// Fills the rectangle with top-left `(x, y)`; the part outside the raster is ignored.
    package mutating func fill(x: Int, y: Int, width w: Int, height h: Int, color: RGB) {
        let x0 = max(0, x)
        let y0 = max(0, y)
        let x1 = min(width, x + max(0, w))
        let y1 = min(height, y + max(0, h))
        guard x0 < x1, y0 < y1 else { return }
        for row in y0..<y1 {
            var i = (row * width + x0) * 3
            for _ in x0..<x1 {
                pixels[i] = color.r
                pixels[i + 1] = color.g
                pixels[i + 2] = color.b
                i += 3
            }
        }
    }

    /// Blends `color` over the pixel at `(x, y)` with the given coverage (0...1).
    package mutating func blend(x: Int, y: Int, color: RGB, coverage: Double) {
        guard coverage > 0, x >= 0, y >= 0, x < width, y < height else { return }
        self[x: x, y: y] = coverage >= 1 ? color : self[x: x, y: y].blended(with: color, amount: coverage)
    }

    /// Draws an anti-aliased straight line with round ends, `thickness` pixels wide.
    package mutating func line(from start: (Double, Double), to end: (Double, Double), color: RGB, thickness: Int) {
        let (ax, ay) = start
        let (bx, by) = end
        guard ax.isFinite, ay.isFinite, bx.isFinite, by.isFinite else { return }
        let radius = Double(max(1, thickness)) / 2
        let dx = bx - ax
        let dy = by - ay
        let lengthSquared = dx * dx + dy * dy
        let pad = radius + 1
        let minX = max(0, Int((min(ax, bx) - pad).rounded(.down)))
        let maxX = min(width - 1, Int((max(ax, bx) + pad).rounded(.up)))
        let minY = max(0, Int((min(ay, by) - pad).rounded(.down)))
        let maxY = min(height - 1, Int((max(ay, by) + pad).rounded(.up)))
        guard minX <= maxX, minY <= maxY else { return }
        for y in minY...maxY {
            for x in minX...maxX {
                let px = Double(x) - ax
                let py = Double(y) - ay
                // Distance from the pixel centre to the closest point on the segment.
                let t = lengthSquared > 0 ? min(1, max(0, (px * dx + py * dy) / lengthSquared)) : 0
                let ex = px - t * dx
                let ey = py - t * dy
                let distance = (ex * ex + ey * ey).squareRoot()
                blend(x: x, y: y, color: color, coverage: radius + 0.5 - distance)
            }
        }
    }

    /// Draws an anti-aliased filled circle.
    package mutating func disc(center: (Double, Double), radius: Double, color: RGB) {
        let (cx, cy) = center
        guard cx.isFinite, cy.isFinite, radius > 0 else { return }
        let minX = max(0, Int((cx - radius - 1).rounded(.down)))
        let maxX = min(width - 1, Int((cx + radius + 1).rounded(.up)))
        let minY = max(0, Int((cy - radius - 1).rounded(.down)))
        let maxY = min(height - 1, Int((cy + radius + 1).rounded(.up)))
        guard minX <= maxX, minY <= maxY else { return }
        for y in minY...maxY {
            for x in minX...maxX {
                let ex = Double(x) - cx
                let ey = Double(y) - cy
                blend(x: x, y: y, color: color, coverage: radius + 0.5 - (ex * ex + ey * ey).squareRoot())
            }
        }
    }

    /// Draws `s` with its top-left corner at `(x, y)`; glyph cells are 7 × `scale` pixels tall
    /// (descenders of g, j, p, q, y, `,` `;` `_` extend up to 2 × `scale` pixels below).
    package mutating func text(_ s: String, x: Int, y: Int, color: RGB, scale: Int = 1) {
        let scale = max(1, scale)
        var penX = x
        for scalar in s.unicodeScalars {
            let glyph = Font.glyph(for: scalar)
            for (row, bits) in glyph.rows.enumerated() where bits != 0 {
                for column in 0..<glyph.width where bits & (1 << (4 - glyph.left - column)) != 0 {
                    fill(x: penX + column * scale, y: y + row * scale, width: scale, height: scale, color: color)
                }
            }
            penX += (glyph.width + Font.spacing) * scale
        }
    }

    /// Width in pixels of `s` drawn at `scale` (ink extent, without trailing spacing).
    package static func textWidth(_ s: String, scale: Int) -> Int {
        let scale = max(1, scale)
        var total = 0
        for scalar in s.unicodeScalars {
            total += Font.glyph(for: scalar).width + Font.spacing
        }
        return max(0, total - Font.spacing) * scale
    }

    /// Height of a line of text above the baseline (cap height) at `scale`.
    package static func textHeight(scale: Int) -> Int { 7 * max(1, scale) }

    /// The raster encoded as a PNG file.
    package func png() -> Data {
        PNG.encode(width: width, height: height, rgb: pixels)
    }
}

// MARK: - Bitmap font

/// A hand-drawn proportional 5×7 bitmap font. Each glyph is drawn on a 5-column grid;
/// blank columns on either side are trimmed (except for digits, which stay 5 wide so numbers
/// line up). Rows 8 and 9, when present, are descenders below the baseline.
private enum Font {
    struct Glyph: Sendable {
        /// One bitmask per row; bit 4 is the leftmost grid column.
        var rows: [UInt8]
        /// First inked grid column.
        var left: Int
        /// Inked width in grid columns.
        var width: Int
    }

    /// Pixels between adjacent glyphs.
    static let spacing = 1

    static func glyph(for scalar: Unicode.Scalar) -> Glyph {
        switch scalar {
        case "\u{2013}", "\u{2014}", "\u{2212}": glyphs["-"] ?? fallback
        default: glyphs[Character(scalar)] ?? fallback
        }
    }

    static let fallback = make([
        ".....",
        "####.",
        "#..#.",
        "#..#.",
        "#..#.",
        "####.",
        ".....",
    ], trim: true)

    static let glyphs: [Character: Glyph] = {
        var table: [Character: Glyph] = [:]
        for (character, rows) in definitions {
            table[character] = make(rows, trim: !character.isNumber)
        }
        table[" "] = Glyph(rows: [], left: 0, width: 3)
        return table
    }()

    static func make(_ rows: [String], trim: Bool) -> Glyph {
        let masks: [UInt8] = rows.map { row in
            var mask: UInt8 = 0
            for (i, ch) in row.prefix(5).enumerated() where ch == "#" { mask |= 1 << (4 - i) }
            return mask
        }
        let union = masks.reduce(0, |)
        guard trim, union != 0 else { return Glyph(rows: masks, left: 0, width: 5) }
        var left = 0
        while union & (1 << (4 - left)) == 0 { left += 1 }
        var right = 4
        while union & (1 << (4 - right)) == 0 { right -= 1 }
        return Glyph(rows: masks, left: left, width: right - left + 1)
    }

    // swiftlint:disable line_length
    static let definitions: [(Character, [String])] = [
        ("0", [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."]),
        ("1", ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."]),
        ("2", [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"]),
        ("3", [".###.", "#...#", "....#", "..##.", "....#", "#...#", ".###."]),
        ("4", ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."]),
        ("5", ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."]),
        ("6", ["..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."]),
        ("7", ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."]),
        ("8", [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."]),
        ("9", [".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."]),

        ("A", [".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"]),
        ("B", ["####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."]),
        ("C", [".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."]),
        ("D", ["####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####."]),
        ("E", ["#####", "#....", "#....", "####.", "#....", "#....", "#####"]),
        ("F", ["#####", "#....", "#....", "####.", "#....", "#....", "#...."]),
        ("G", [".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####"]),
        ("H", ["#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"]),
        ("I", ["###..", ".#...", ".#...", ".#...", ".#...", ".#...", "###.."]),
        ("J", ["..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.."]),
        ("K", ["#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"]),
        ("L", ["#....", "#....", "#....", "#....", "#....", "#....", "#####"]),
        ("M", ["#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"]),
        ("N", ["#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#"]),
        ("O", [".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."]),
        ("P", ["####.", "#...#", "#...#", "####.", "#....", "#....", "#...."]),
        ("Q", [".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#"]),
        ("R", ["####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"]),
        ("S", [".####", "#....", "#....", ".###.", "....#", "....#", "####."]),
        ("T", ["#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."]),
        ("U", ["#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."]),
        ("V", ["#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#.."]),
        ("W", ["#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#."]),
        ("X", ["#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"]),
        ("Y", ["#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."]),
        ("Z", ["#####", "....#", "...#.", "..#..", ".#...", "#....", "#####"]),

        ("a", [".....", ".....", ".###.", "....#", ".####", "#...#", ".####"]),
        ("b", ["#....", "#....", "#.##.", "##..#", "#...#", "#...#", "####."]),
        ("c", [".....", ".....", ".###.", "#....", "#....", "#...#", ".###."]),
        ("d", ["....#", "....#", ".##.#", "#..##", "#...#", "#...#", ".####"]),
        ("e", [".....", ".....", ".###.", "#...#", "#####", "#....", ".###."]),
        ("f", ["..##.", ".#..#", ".#...", "###..", ".#...", ".#...", ".#..."]),
        ("g", [".....", ".....", ".####", "#...#", "#...#", "#...#", ".####", "....#", ".###."]),
        ("h", ["#....", "#....", "#.##.", "##..#", "#...#", "#...#", "#...#"]),
        ("i", [".#...", ".....", "##...", ".#...", ".#...", ".#...", "###.."]),
        ("j", ["...#.", ".....", "..##.", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.."]),
        ("k", ["#....", "#....", "#..#.", "#.#..", "##...", "#.#..", "#..#."]),
        ("l", ["##...", ".#...", ".#...", ".#...", ".#...", ".#...", "###.."]),
        ("m", [".....", ".....", "##.#.", "#.#.#", "#.#.#", "#.#.#", "#.#.#"]),
        ("n", [".....", ".....", "#.##.", "##..#", "#...#", "#...#", "#...#"]),
        ("o", [".....", ".....", ".###.", "#...#", "#...#", "#...#", ".###."]),
        ("p", [".....", ".....", "####.", "#...#", "#...#", "#...#", "####.", "#....", "#...."]),
        ("q", [".....", ".....", ".####", "#...#", "#...#", "#...#", ".####", "....#", "....#"]),
        ("r", [".....", ".....", "#.##.", "##..#", "#....", "#....", "#...."]),
        ("s", [".....", ".....", ".####", "#....", ".###.", "....#", "####."]),
        ("t", [".#...", ".#...", "###..", ".#...", ".#...", ".#..#", "..##."]),
        ("u", [".....", ".....", "#...#", "#...#", "#...#", "#..##", ".##.#"]),
        ("v", [".....", ".....", "#...#", "#...#", "#...#", ".#.#.", "..#.."]),
        ("w", [".....", ".....", "#...#", "#...#", "#.#.#", "#.#.#", ".#.#."]),
        ("x", [".....", ".....", "#...#", ".#.#.", "..#..", ".#.#.", "#...#"]),
        ("y", [".....", ".....", "#...#", "#...#", "#...#", "#...#", ".####", "....#", ".###."]),
        ("z", [".....", ".....", "#####", "...#.", "..#..", ".#...", "#####"]),

        (".", [".....", ".....", ".....", ".....", ".....", ".....", "#...."]),
        (",", [".....", ".....", ".....", ".....", ".....", ".....", ".#...", "#...."]),
        (":", [".....", ".....", "#....", ".....", ".....", ".....", "#...."]),
        (";", [".....", ".....", ".#...", ".....", ".....", ".....", ".#...", "#...."]),
        ("-", [".....", ".....", ".....", "###..", ".....", ".....", "....."]),
        ("+", [".....", "..#..", "..#..", "#####", "..#..", "..#..", "....."]),
        ("/", ["....#", "....#", "...#.", "..#..", ".#...", "#....", "#...."]),
        ("%", ["##...", "##..#", "...#.", "..#..", ".#...", "#..##", "...##"]),
        ("(", [".#...", "#....", "#....", "#....", "#....", "#....", ".#..."]),
        (")", ["#....", ".#...", ".#...", ".#...", ".#...", ".#...", "#...."]),
        ("[", ["###..", "#....", "#....", "#....", "#....", "#....", "###.."]),
        ("]", ["###..", "..#..", "..#..", "..#..", "..#..", "..#..", "###.."]),
        ("<", ["...#.", "..#..", ".#...", "#....", ".#...", "..#..", "...#."]),
        (">", ["#....", ".#...", "..#..", "...#.", "..#..", ".#...", "#...."]),
        ("=", [".....", ".....", "####.", ".....", "####.", ".....", "....."]),
        ("_", [".....", ".....", ".....", ".....", ".....", ".....", ".....", "#####"]),
        ("'", ["#....", "#....", ".....", ".....", ".....", ".....", "....."]),
        ("\"", ["#.#..", "#.#..", ".....", ".....", ".....", ".....", "....."]),
        ("!", ["#....", "#....", "#....", "#....", "#....", ".....", "#...."]),
        ("?", [".###.", "#...#", "....#", "...#.", "..#..", ".....", "..#.."]),
        ("#", [".#.#.", ".#.#.", "#####", ".#.#.", "#####", ".#.#.", ".#.#."]),
        ("&", [".##..", "#..#.", "#.#..", ".#...", "#.#.#", "#..#.", ".##.#"]),
        ("*", [".....", "..#..", "#.#.#", ".###.", "#.#.#", "..#..", "....."]),
        ("\u{00B7}", [".....", ".....", ".....", "#....", ".....", ".....", "....."]),
    ]
    // swiftlint:enable line_length
}

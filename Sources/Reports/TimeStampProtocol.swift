import Core
import Foundation

/// RFC 3161 (Time-Stamp Protocol) as far as the ledger's anchors need it: the DER `TimeStampReq` for a SHA-256
/// imprint, and reading a `TimeStampResp` back — its status, and from the token's `TSTInfo` the imprint, nonce, serial
/// number and time. The token's CMS signature is not checked here: `openssl ts -verify` checks it against the TSA's
/// certificate chain (the export's VERIFY.md says how).
package enum TimeStampProtocol {
    /// `id-sha256` (2.16.840.1.101.3.4.2.1).
    static let sha256OID: [UInt8] = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]
    /// `id-signedData` (1.2.840.113549.1.7.2).
    static let signedDataOID: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]
    /// `id-ct-TSTInfo` (1.2.840.113549.1.9.16.1.4).
    static let tstInfoOID: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x04]

    /// What a timestamp token says (from its `TSTInfo`).
    package struct TokenInfo: Sendable, Equatable {
        /// The SHA-256 the TSA stamped.
        package var imprint: Data
        /// The nonce echoed from the request (content octets of the INTEGER), nil when absent.
        package var nonce: Data?
        /// The token's serial number, hex.
        package var serial: String
        /// When the TSA says it stamped the imprint (`genTime`).
        package var time: Date
    }

    /// Why a response or token cannot be used.
    package struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        package var description: String
        init(_ description: String) { self.description = description }
    }

    /// `TimeStampReq ::= SEQUENCE { version 1, messageImprint {sha256, imprint}, nonce, certReq TRUE }` in DER.
    /// - Parameter nonce: the nonce's INTEGER content octets (positive, minimal: see `makeNonce`).
    package static func request(imprint: Data, nonce: Data) -> Data {
        let algorithm = der(0x30, der(0x06, sha256OID) + der(0x05, []))
        let messageImprint = der(0x30, algorithm + der(0x04, [UInt8](imprint)))
        let body = der(0x02, [0x01]) + messageImprint + der(0x02, [UInt8](nonce)) + der(0x01, [0xFF])
        return Data(der(0x30, body))
    }

    /// A random 64-bit positive nonce as minimal INTEGER content octets (first octet 0x01…0x7F).
    package static func makeNonce() -> Data {
        var bytes = (0..<8).map { _ in UInt8.random(in: 0...255) }
        bytes[0] = UInt8.random(in: 0x01...0x7F)
        return Data(bytes)
    }

    /// Reads a `TimeStampResp`: the token (`ContentInfo`, DER) when the status is granted (0) or grantedWithMods (1),
    /// with what it says; otherwise the TSA's status and text as the problem.
    package static func readResponse(_ response: Data) throws(Problem) -> (token: Data, info: TokenInfo) {
        let bytes = [UInt8](response)
        guard let resp = DER.read(bytes, at: 0), resp.tag == 0x30, resp.end == bytes.count else { throw Problem("the answer is not a DER TimeStampResp") }
        let parts = DER.children(bytes, of: resp)
        guard let statusInfo = parts.first, statusInfo.tag == 0x30, let status = DER.children(bytes, of: statusInfo).first, status.tag == 0x02 else {
            throw Problem("the TimeStampResp has no PKIStatusInfo")
        }
        let code = DER.content(bytes, of: status).reduce(0) { $0 << 8 | Int($1) }
        guard code == 0 || code == 1 else {
            let text = DER.children(bytes, of: statusInfo).dropFirst().first { $0.tag == 0x30 }.map { DER.children(bytes, of: $0) }?
                .compactMap { $0.tag == 0x0C ? String(decoding: DER.content(bytes, of: $0), as: UTF8.self) : nil }.joined(separator: "; ")
            throw Problem("the TSA refused the request (PKIStatus \(code)\(text.map { $0.isEmpty ? "" : ": " + $0 } ?? ""))")
        }
        guard parts.count >= 2 else { throw Problem("the TSA granted the request but sent no token") }
        let token = Data(bytes[parts[1].start..<parts[1].end])
        return (token, try readToken(token))
    }

    /// Reads a timestamp token (a CMS `ContentInfo` of signed data holding a `TSTInfo`).
    package static func readToken(_ token: Data) throws(Problem) -> TokenInfo {
        let bytes = [UInt8](token)
        guard let info = DER.read(bytes, at: 0), info.tag == 0x30, info.end == bytes.count else { throw Problem("the token is not DER") }
        let contentInfo = DER.children(bytes, of: info)
        guard contentInfo.count == 2, contentInfo[0].tag == 0x06, DER.content(bytes, of: contentInfo[0]) == signedDataOID[...],
              contentInfo[1].tag == 0xA0, let signedData = DER.children(bytes, of: contentInfo[1]).first, signedData.tag == 0x30 else {
            throw Problem("the token is not CMS signed data")
        }
        let fields = DER.children(bytes, of: signedData)
        guard fields.count >= 3, fields[2].tag == 0x30 else { throw Problem("the token's signed data has no content") }
        let encapsulated = DER.children(bytes, of: fields[2])
        guard encapsulated.count == 2, encapsulated[0].tag == 0x06, DER.content(bytes, of: encapsulated[0]) == tstInfoOID[...],
              encapsulated[1].tag == 0xA0, let octets = DER.children(bytes, of: encapsulated[1]).first, octets.tag == 0x04 else {
            throw Problem("the token does not hold a TSTInfo")
        }
        let tst = [UInt8](DER.content(bytes, of: octets))
        guard let tstInfo = DER.read(tst, at: 0), tstInfo.tag == 0x30 else { throw Problem("the token's TSTInfo is not DER") }
        let items = DER.children(tst, of: tstInfo)
        // version, policy, messageImprint, serialNumber, genTime, [accuracy], [ordering], [nonce], …
        guard items.count >= 5, items[2].tag == 0x30, items[3].tag == 0x02, items[4].tag == 0x18 else { throw Problem("the token's TSTInfo is malformed") }
        let imprintParts = DER.children(tst, of: items[2])
        guard imprintParts.count == 2, imprintParts[0].tag == 0x30, let algorithm = DER.children(tst, of: imprintParts[0]).first,
              algorithm.tag == 0x06, imprintParts[1].tag == 0x04 else { throw Problem("the token's messageImprint is malformed") }
        guard DER.content(tst, of: algorithm) == sha256OID[...] else { throw Problem("the token's imprint is not SHA-256") }
        let timeText = String(decoding: DER.content(tst, of: items[4]), as: UTF8.self)
        guard let time = generalizedTime(timeText) else { throw Problem("the token's genTime (\(timeText)) is not a time") }
        let nonce = items.dropFirst(5).first { $0.tag == 0x02 }.map { Data(DER.content(tst, of: $0)) }
        return TokenInfo(imprint: Data(DER.content(tst, of: imprintParts[1])), nonce: nonce,
                         serial: Data(DER.content(tst, of: items[3])).hexString, time: time)
    }

    /// `YYYYMMDDHHMMSS[.fff]Z` (DER GeneralizedTime, UTC).
    static func generalizedTime(_ text: String) -> Date? {
        let digits = Array(text.utf8)
        guard digits.count >= 15, digits.last == UInt8(ascii: "Z"), digits[0..<14].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        func number(_ range: Range<Int>) -> Int { digits[range].reduce(0) { $0 * 10 + Int($1 - 0x30) } }
        var components = DateComponents(calendar: Calendar(identifier: .gregorian), timeZone: TimeZone(identifier: "UTC"),
                                        year: number(0..<4), month: number(4..<6), day: number(6..<8),
                                        hour: number(8..<10), minute: number(10..<12), second: number(12..<14))
        var fraction = 0.0
        if digits.count > 15, digits[14] == UInt8(ascii: ".") {
            let decimals = digits[15..<(digits.count - 1)]
            guard !decimals.isEmpty, decimals.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            fraction = Double("0." + String(decoding: decimals, as: UTF8.self)) ?? 0
        } else if digits.count != 15 { return nil }
        components.nanosecond = 0
        return components.date.map { $0.addingTimeInterval(fraction) }
    }

    /// One DER element: tag, length (definite, minimal), content.
    static func der(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var length: [UInt8]
        if content.count < 0x80 { length = [UInt8(content.count)] } else {
            var n = content.count
            var octets: [UInt8] = []
            while n > 0 { octets.insert(UInt8(n & 0xFF), at: 0); n >>= 8 }
            length = [0x80 | UInt8(octets.count)] + octets
        }
        return [tag] + length + content
    }
}

/// A minimal DER reader: single-octet tags, definite lengths (what DER allows), bounds checked.
enum DER {
    struct Element: Equatable {
        var tag: UInt8
        /// Where the content starts and where the element ends, as offsets in the buffer.
        var start: Int
        var contentStart: Int
        var end: Int
    }

    /// The element at `offset`, nil when it does not fit in `bytes` or uses a form DER forbids.
    static func read(_ bytes: [UInt8], at offset: Int, limit: Int? = nil) -> Element? {
        let limit = limit ?? bytes.count
        guard offset + 2 <= limit else { return nil }
        let tag = bytes[offset]
        guard tag & 0x1F != 0x1F else { return nil }   // multi-octet tags: none in RFC 3161
        var index = offset + 1
        let first = bytes[index]
        index += 1
        var length = 0
        if first < 0x80 { length = Int(first) } else {
            let count = Int(first & 0x7F)
            guard count >= 1, count <= 4, index + count <= limit else { return nil }
            for _ in 0..<count { length = length << 8 | Int(bytes[index]); index += 1 }
        }
        guard length <= limit - index else { return nil }
        return Element(tag: tag, start: offset, contentStart: index, end: index + length)
    }

    /// The elements inside a constructed element, in order (empty when its content does not parse).
    static func children(_ bytes: [UInt8], of parent: Element) -> [Element] {
        var result: [Element] = []
        var offset = parent.contentStart
        while offset < parent.end {
            guard let child = read(bytes, at: offset, limit: parent.end) else { return [] }
            result.append(child)
            offset = child.end
        }
        return result
    }

    static func content(_ bytes: [UInt8], of element: Element) -> ArraySlice<UInt8> { bytes[element.contentStart..<element.end] }
}

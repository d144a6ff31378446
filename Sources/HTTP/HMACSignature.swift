import Crypto
import Foundation

/// HMAC-SHA256 helpers for signed webhooks and chat requests (Slack, GitHub, Okta).
package enum HMACSignature {
    /// Whether `hexSignature` is HMAC-SHA256(key, message), compared in constant time. False for malformed hex.
    package static func isValid(hexSignature: String, message: Data, key: Data) -> Bool {
        guard let signature = Data(hexEncoded: hexSignature), signature.count == SHA256.byteCount else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: message, using: SymmetricKey(data: key))
    }

    /// HMAC-SHA256(key, message) as lower-case hex.
    package static func hex(message: Data, key: Data) -> String {
        HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)).map { String(format: "%02x", $0) }.joined()
    }
}

extension Data {
    /// Parses hex (either case); nil on odd length or a non-hex character.
    init?(hexEncoded text: String) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(text.utf8.count / 2)
        var high: UInt8?
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case 48...57: v = c - 48
            case 97...102: v = c - 87
            case 65...70: v = c - 55
            default: return nil
            }
            if let h = high { bytes.append(h << 4 | v); high = nil } else { high = v }
        }
        guard high == nil else { return nil }
        self.init(bytes)
    }
}

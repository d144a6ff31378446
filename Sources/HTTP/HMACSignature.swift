import Core
import Crypto
import Foundation

/// HMAC-SHA256 helpers for signed webhooks and chat requests (Slack, GitHub, Okta).
package enum HMACSignature {
    /// Whether `hexSignature` is HMAC-SHA256(key, message), compared in constant time. False for malformed hex.
    package static func isValid(hexSignature: String, message: Data, key: Data) -> Bool {
        guard let signature = Data(hex: hexSignature), signature.count == SHA256.byteCount else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: message, using: SymmetricKey(data: key))
    }

    /// HMAC-SHA256(key, message) as lower-case hex.
    package static func hex(message: Data, key: Data) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))).hexString
    }

    /// Whether `a` and `b` are equal, in time that depends only on their lengths (shared secrets in headers).
    package static func constantTimeEqual(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}

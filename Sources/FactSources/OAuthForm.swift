import Foundation

/// `application/x-www-form-urlencoded` bodies for OAuth token requests (RFC 6749 §4, WHATWG URL form encoding):
/// every byte outside the unreserved set is percent-encoded, so a secret with `&`, `=` or `+` arrives intact.
enum OAuthForm {
    static let contentType = "application/x-www-form-urlencoded"
    private static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    /// The pairs in order, `name=value` joined by `&`.
    static func encode(_ pairs: [(String, String)]) -> Data {
        Data(pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&").utf8)
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}

import Core
import Foundation
import HTTP

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

/// A token endpoint's answer (RFC 6749 §5): the access token and its lifetime on a 200, or the refusal's `error`
/// and `error_description`. Throttling and answers that are neither are errors of `source`.
enum OAuthTokenAnswer {
    struct Refusal: Error { var error: String; var description: String? }

    static func read(_ response: HTTPResponse, source: SourceID, now: Date) throws -> Result<(token: String, expiresIn: TimeInterval), Refusal> {
        struct Granted: Decodable { var access_token: String; var expires_in: Double? }
        struct Refused: Decodable { var error: String; var error_description: String? }
        if response.status == 200 {
            guard let granted = try? JSONDecoder().decode(Granted.self, from: response.body), !granted.access_token.isEmpty else {
                throw SourceError.unavailable(source: source, reason: "token request: the answer has no access_token")
            }
            return .success((granted.access_token, granted.expires_in ?? 3600))
        }
        if ThrottledSender.throttlingStatuses.contains(response.status) {
            throw SourceError.unavailable(source: source, reason: "token request: " + ThrottledSender.throttledReason(response, now: now))
        }
        guard let refused = try? JSONDecoder().decode(Refused.self, from: response.body) else {
            throw SourceError.unavailable(source: source, reason: "token request: HTTP \(response.status)")
        }
        return .failure(Refusal(error: refused.error, description: refused.error_description))
    }
}

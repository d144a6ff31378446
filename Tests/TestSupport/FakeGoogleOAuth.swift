import _CryptoExtras
import Foundation
import HTTP

/// Google's OAuth 2.0 token endpoint for service accounts (JWT bearer grant, RFC 7523), checked as Google checks
/// it, and the access tokens it issued. Shared by the fakes of Google APIs (`FakeGoogle`, `FakeGCP`), each of which
/// keeps one in its state and decides who may have which scopes.
///
/// A token request is a form POST with `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and an `assertion`
/// whose RS256 signature verifies against the service account's public key, with `iss` = the service account,
/// `aud` = the token URL, `exp` − `iat` ≤ 1 h and `now` inside it (else 400 `invalid_grant`); the `sub` and
/// `scope` claims go to the fake's `authorize` (refused: 401 `unauthorized_client`). Answers
/// `{"access_token","expires_in","token_type"}`.
package struct FakeGoogleOAuth: Sendable {
    static let jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

    let publicKey: _RSA.Signing.PublicKey
    let clientEmail: String
    let tokenURL: String
    let tokenLifetime: Int

    /// Issued tokens and when each expires.
    var tokens: [String: Date] = [:]
    var tokenCounter = 0
    /// Token requests received, granted or not.
    var tokenRequests = 0
    /// The `error` codes of refused token requests, in order.
    var refusals: [String] = []
    /// The JOSE headers of the assertions received.
    var assertionHeaders: [[String: String]] = []
    /// The claims of the assertions that verified.
    var assertionClaims: [[String: String]] = []

    init(publicKey: _RSA.Signing.PublicKey, clientEmail: String, tokenURL: String, tokenLifetime: Int) {
        self.publicKey = publicKey; self.clientEmail = clientEmail; self.tokenURL = tokenURL; self.tokenLifetime = tokenLifetime
    }

    /// Whether `request` carries a bearer token issued here that has not expired or been revoked at `now`.
    func isAuthorized(_ request: HTTPRequest, now: Date) -> Bool {
        guard let auth = request.header("authorization"), auth.hasPrefix("Bearer "),
              let expiry = tokens[String(auth.dropFirst("Bearer ".count))] else { return false }
        return now < expiry
    }

    /// Answers a token request; `authorize` decides from the `sub` claim (nil when absent) and the scopes.
    mutating func token(_ request: HTTPRequest, now: Date, authorize: (_ subject: String?, _ scopes: Set<String>) -> Bool) -> HTTPResponse {
        tokenRequests += 1
        func refuse(_ status: Int, _ error: String, _ description: String) -> HTTPResponse {
            refusals.append(error)
            return FakeGoogle.answer(["error": error, "error_description": description], status: status)
        }
        guard request.method == "POST", request.header("content-type")?.hasPrefix("application/x-www-form-urlencoded") == true else {
            return refuse(400, "invalid_request", "Invalid request method or content type")
        }
        let form = FakeSlackForm.decode(request.body)
        guard form["grant_type"] == Self.jwtBearer else { return refuse(400, "unsupported_grant_type", "Invalid grant_type: \(form["grant_type"] ?? "")") }
        let parts = (form["assertion"] ?? "").split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let headerData = Self.base64URLDecode(parts[0]), let claimsData = Self.base64URLDecode(parts[1]),
              let signatureData = Self.base64URLDecode(parts[2]),
              let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any],
              let claims = try? JSONSerialization.jsonObject(with: claimsData) as? [String: Any] else {
            return refuse(400, "invalid_grant", "Invalid JWT: not a compact JWS")
        }
        assertionHeaders.append(header.compactMapValues { $0 as? String })
        guard header["alg"] as? String == "RS256" else { return refuse(400, "invalid_grant", "Invalid JWT: alg must be RS256") }
        let signature = _RSA.Signing.RSASignature(rawRepresentation: signatureData)
        guard publicKey.isValidSignature(signature, for: Data((parts[0] + "." + parts[1]).utf8), padding: .insecurePKCS1v1_5) else {
            return refuse(400, "invalid_grant", "Invalid JWT Signature.")
        }
        assertionClaims.append(claims.compactMapValues { $0 as? String })
        guard claims["iss"] as? String == clientEmail else { return refuse(400, "invalid_grant", "Invalid grant: account not found") }
        guard claims["aud"] as? String == tokenURL else { return refuse(400, "invalid_grant", "Invalid JWT: Failed audience check.") }
        let at = now.timeIntervalSince1970
        guard let iat = (claims["iat"] as? NSNumber)?.doubleValue, let exp = (claims["exp"] as? NSNumber)?.doubleValue,
              exp - iat <= 3600, exp > at, iat <= at + 60 else {
            return refuse(400, "invalid_grant",
                          "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
        }
        let scopes = Set(((claims["scope"] as? String) ?? "").split(separator: " ").map(String.init))
        guard !scopes.isEmpty, authorize(claims["sub"] as? String, scopes) else {
            return refuse(401, "unauthorized_client",
                          "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
        }
        tokenCounter += 1
        let token = "ya29.fake-access-token-\(tokenCounter)"
        tokens[token] = now.addingTimeInterval(TimeInterval(tokenLifetime))
        return FakeGoogle.answer(["access_token": token, "expires_in": tokenLifetime, "token_type": "Bearer"])
    }

    static func base64URLDecode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}

import _CryptoExtras
import Foundation

/// The signed JWT a service account exchanges for an access token (Google's OAuth 2.0 for server-to-server
/// applications, RFC 7523 JWT bearer grant): RS256 over `base64url(header).base64url(claims)`, valid one hour.
/// `sub` names the Workspace user the service account acts as (domain-wide delegation); without one (GCP APIs)
/// the claim is left out and the service account acts as itself.
struct GoogleAssertion {
    /// Lifetime of an assertion: Google refuses ones that live longer than an hour.
    static let lifetime: TimeInterval = 3600

    struct Header: Encodable {
        var alg = "RS256"
        var typ = "JWT"
        var kid: String?
    }

    struct Claims: Encodable {
        var iss: String
        /// Left out of the JSON when nil.
        var sub: String?
        var scope: String
        var aud: String
        var iat: Int
        var exp: Int
    }

    let header: Header
    let claims: Claims

    init(key: GoogleServiceAccountKey, subject: String?, scopes: [String], audience: String, issuedAt: Date) {
        header = Header(kid: key.privateKeyID)
        let iat = Int(issuedAt.timeIntervalSince1970.rounded(.down))
        claims = Claims(iss: key.clientEmail, sub: subject, scope: scopes.joined(separator: " "), aud: audience,
                        iat: iat, exp: iat + Int(Self.lifetime))
    }

    /// The compact serialisation `header.claims.signature`, signed with RSASSA-PKCS1-v1_5 and SHA-256.
    func signed(with privateKey: _RSA.Signing.PrivateKey) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let signingInput = Self.base64URL(try encoder.encode(header)) + "." + Self.base64URL(try encoder.encode(claims))
        let signature = try privateKey.signature(for: Data(signingInput.utf8), padding: .insecurePKCS1v1_5)
        return signingInput + "." + Self.base64URL(signature.rawRepresentation)
    }

    /// Base64url without padding (RFC 7515 §2).
    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

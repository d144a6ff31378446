import _CryptoExtras
import Foundation
import HTTP
import Synchronization

/// An in-process Google OAuth 2.0 token endpoint and Admin SDK Directory API (`users.list`) that speak the
/// documented wire format.
/// - `POST https://oauth2.googleapis.com/token` (form): `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`
///   and an `assertion` whose RS256 signature is verified against the service account's public key, with
///   `iss` = the service account, `aud` = the token URL, `exp` − `iat` ≤ 1 h and `now` inside it (else 400
///   `invalid_grant`), `sub` = the delegating admin and `scope` within the delegated scopes (else 401
///   `unauthorized_client`). Answers `{"access_token","expires_in","token_type"}`.
/// - `GET https://admin.googleapis.com/admin/directory/v1/users`: a bearer token this fake issued and has not
///   expired or revoked (else 401 `UNAUTHENTICATED`), `customer` (else 400), `maxResults` 1…500; pages of
///   `min(maxResults, pageSize)` users with an opaque `nextPageToken` (an unknown `pageToken` is a 400).
/// Failure modes on cue for directory calls: 429 with or without Retry-After, 5xx, a malformed body.
package final class FakeGoogle: HTTPTransport {
    package enum Failure: Sendable { case tooManyRequests(retryAfter: Int?), serverError(Int), malformed }

    /// A Workspace user as `users.list` returns it.
    package struct User: Sendable {
        package var primaryEmail: String
        package var suspended: Bool
        package var archived: Bool
        package var isAdmin: Bool
        package var isDelegatedAdmin: Bool
        /// nil leaves the field out of the answer.
        package var isEnrolledIn2Sv: Bool?
        /// Google sends `1970-01-01T00:00:00.000Z` for a user who never signed in.
        package var lastLoginTime: String?
        package init(_ primaryEmail: String, suspended: Bool = false, archived: Bool = false, isAdmin: Bool = false, isDelegatedAdmin: Bool = false,
                     isEnrolledIn2Sv: Bool? = true, lastLoginTime: String? = "1970-01-01T00:00:00.000Z") {
            self.primaryEmail = primaryEmail; self.suspended = suspended; self.archived = archived; self.isAdmin = isAdmin
            self.isDelegatedAdmin = isDelegatedAdmin; self.isEnrolledIn2Sv = isEnrolledIn2Sv; self.lastLoginTime = lastLoginTime
        }
    }

    package static let tokenURL = "https://oauth2.googleapis.com/token"
    package static let directoryHost = "admin.googleapis.com"
    package static let userReadonlyScope = "https://www.googleapis.com/auth/admin.directory.user.readonly"
    static let jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

    struct State {
        var users: [User]
        var failures: [Failure] = []
        var tokens: [String: Date] = [:]
        var tokenCounter = 0
        var tokenRequests = 0
        var refusals: [String] = []
        var calls: [String] = []
        var assertionHeaders: [[String: String]] = []
    }

    let publicKey: _RSA.Signing.PublicKey
    let clientEmail: String
    let adminEmail: String
    let customer: String
    let delegatedScopes: Set<String>
    let pageSize: Int
    let tokenLifetime: Int
    let now: @Sendable () -> Date
    private let state: Mutex<State>

    /// - Parameters:
    ///   - publicKey: the service account key's public half; assertions signed by any other key are refused.
    ///   - delegatedScopes: what the Admin console granted the service account's client id.
    package init(publicKey: _RSA.Signing.PublicKey, clientEmail: String = "soc2bot@acme-soc2.iam.gserviceaccount.com",
                 adminEmail: String = "it-admin@acme.example", customer: String = "my_customer", users: [User], pageSize: Int = 2,
                 delegatedScopes: Set<String> = [FakeGoogle.userReadonlyScope], tokenLifetime: Int = 3599,
                 now: @escaping @Sendable () -> Date = { Date() }) {
        self.publicKey = publicKey; self.clientEmail = clientEmail; self.adminEmail = adminEmail; self.customer = customer
        self.delegatedScopes = delegatedScopes; self.pageSize = pageSize; self.tokenLifetime = tokenLifetime; self.now = now
        state = Mutex(State(users: users))
    }

    /// A service account JSON key file as the Cloud console issues it, for `privateKey` (PKCS#8 PEM).
    package static func keyFile(privateKey: _RSA.Signing.PrivateKey, clientEmail: String = "soc2bot@acme-soc2.iam.gserviceaccount.com",
                                keyID: String = "0123456789abcdef0123456789abcdef01234567", tokenURI: String = FakeGoogle.tokenURL) -> String {
        let fields: [String: Any] = [
            "type": "service_account", "project_id": "acme-soc2", "private_key_id": keyID,
            "private_key": privateKey.pkcs8PEMRepresentation, "client_email": clientEmail, "client_id": "104857600000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": tokenURI,
        ]
        let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    package func failNext(_ failures: [Failure]) { state.withLock { $0.failures += failures } }
    /// Forgets every issued token, as if they were revoked: the next directory call answers 401.
    package func revokeTokens() { state.withLock { $0.tokens = [:] } }
    package func setUsers(_ users: [User]) { state.withLock { $0.users = users } }
    /// Token requests received, granted or not.
    package var tokenRequests: Int { state.withLock { $0.tokenRequests } }
    /// The `error` codes of refused token requests, in order.
    package var refusals: [String] { state.withLock { $0.refusals } }
    /// Directory calls as `path?query` (query decoded).
    package var calls: [String] { state.withLock { $0.calls } }
    /// The JOSE headers of the assertions received.
    package var assertionHeaders: [[String: String]] { state.withLock { $0.assertionHeaders } }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        state.withLock { s in
            if request.url.absoluteString == Self.tokenURL { return token(request, &s) }
            guard request.url.host == Self.directoryHost else {
                return HTTPResponse(status: 404, body: Data("<html>not a Google endpoint</html>".utf8))
            }
            let components = URLComponents(url: request.url, resolvingAgainstBaseURL: false)
            let query = Dictionary((components?.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
            s.calls.append(request.url.path + "?" + (components?.queryItems ?? []).map { "\($0.name)=\($0.value ?? "")" }.joined(separator: "&"))
            if let failure = s.failures.first {
                s.failures.removeFirst()
                switch failure {
                case .tooManyRequests(let seconds):
                    return Self.apiError(429, "Quota exceeded for quota metric 'Queries'", status: "RESOURCE_EXHAUSTED",
                                         headers: seconds.map { ["Retry-After": "\($0)"] } ?? [:])
                case .serverError(let status): return HTTPResponse(status: status, body: Data("<html>Backend Error</html>".utf8))
                case .malformed: return HTTPResponse(status: 200, headers: ["Content-Type": "text/html"], body: Data("<html>Sign in</html>".utf8))
                }
            }
            guard let auth = request.header("authorization"), auth.hasPrefix("Bearer "),
                  let expiry = s.tokens[String(auth.dropFirst("Bearer ".count))], now() < expiry else {
                return Self.apiError(401, "Request had invalid authentication credentials. Expected OAuth 2 access token.", status: "UNAUTHENTICATED")
            }
            guard request.method == "GET", request.url.path == "/admin/directory/v1/users" else {
                return Self.apiError(404, "Not Found", status: "NOT_FOUND")
            }
            guard query["customer"] == customer else { return Self.apiError(400, "Bad Request", status: "INVALID_ARGUMENT") }
            let maxResults = query["maxResults"].flatMap(Int.init) ?? 100
            guard (1...500).contains(maxResults) else { return Self.apiError(400, "Invalid Input: maxResults", status: "INVALID_ARGUMENT") }
            var offset = 0
            if let pageToken = query["pageToken"] {
                guard pageToken.hasPrefix("CkQK"), let value = Int(pageToken.dropFirst(4)), value > 0, value < s.users.count else {
                    return Self.apiError(400, "Invalid page token", status: "INVALID_ARGUMENT")
                }
                offset = value
            }
            let end = min(s.users.count, offset + min(maxResults, pageSize))
            var body: [String: Any] = ["kind": "admin#directory#users", "etag": "\"fake-etag\""]
            let page = s.users[offset..<end].map(Self.json)
            if !page.isEmpty { body["users"] = page }
            if end < s.users.count { body["nextPageToken"] = "CkQK\(end)" }
            return Self.answer(body)
        }
    }

    /// The JWT bearer grant, checked as Google checks it.
    private func token(_ request: HTTPRequest, _ s: inout State) -> HTTPResponse {
        s.tokenRequests += 1
        func refuse(_ status: Int, _ error: String, _ description: String) -> HTTPResponse {
            s.refusals.append(error)
            return Self.answer(["error": error, "error_description": description], status: status)
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
        s.assertionHeaders.append(header.compactMapValues { $0 as? String })
        guard header["alg"] as? String == "RS256" else { return refuse(400, "invalid_grant", "Invalid JWT: alg must be RS256") }
        let signature = _RSA.Signing.RSASignature(rawRepresentation: signatureData)
        guard publicKey.isValidSignature(signature, for: Data((parts[0] + "." + parts[1]).utf8), padding: .insecurePKCS1v1_5) else {
            return refuse(400, "invalid_grant", "Invalid JWT Signature.")
        }
        guard claims["iss"] as? String == clientEmail else { return refuse(400, "invalid_grant", "Invalid grant: account not found") }
        guard claims["aud"] as? String == Self.tokenURL else { return refuse(400, "invalid_grant", "Invalid JWT: Failed audience check.") }
        let at = now().timeIntervalSince1970
        guard let iat = (claims["iat"] as? NSNumber)?.doubleValue, let exp = (claims["exp"] as? NSNumber)?.doubleValue,
              exp - iat <= 3600, exp > at, iat <= at + 60 else {
            return refuse(400, "invalid_grant",
                          "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
        }
        let scopes = Set(((claims["scope"] as? String) ?? "").split(separator: " ").map(String.init))
        guard claims["sub"] as? String == adminEmail, !scopes.isEmpty, scopes.isSubset(of: delegatedScopes) else {
            return refuse(401, "unauthorized_client",
                          "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
        }
        s.tokenCounter += 1
        let token = "ya29.fake-access-token-\(s.tokenCounter)"
        s.tokens[token] = now().addingTimeInterval(TimeInterval(tokenLifetime))
        return Self.answer(["access_token": token, "expires_in": tokenLifetime, "token_type": "Bearer"])
    }

    static func json(_ user: User) -> [String: Any] {
        var fields: [String: Any] = [
            "kind": "admin#directory#user", "primaryEmail": user.primaryEmail,
            "suspended": user.suspended, "archived": user.archived, "isAdmin": user.isAdmin, "isDelegatedAdmin": user.isDelegatedAdmin,
            "isEnforcedIn2Sv": false, "orgUnitPath": "/",
        ]
        if let enrolled = user.isEnrolledIn2Sv { fields["isEnrolledIn2Sv"] = enrolled }
        if let last = user.lastLoginTime { fields["lastLoginTime"] = last }
        return fields
    }

    static func apiError(_ code: Int, _ message: String, status: String, headers: [String: String] = [:]) -> HTTPResponse {
        answer(["error": ["code": code, "message": message, "errors": [["message": message, "domain": "global"]], "status": status]],
               status: code, headers: headers)
    }

    static func answer(_ object: [String: Any], status: Int = 200, headers: [String: String] = [:]) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers.merging(["Content-Type": "application/json; charset=UTF-8"]) { first, _ in first },
                     body: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    static func base64URLDecode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}

import _CryptoExtras
import Foundation
import HTTP
import Synchronization

/// An in-process Google OAuth 2.0 token endpoint and Admin SDK Directory API (`users.list`) that speak the
/// documented wire format.
/// - `POST https://oauth2.googleapis.com/token`: the JWT bearer grant as `FakeGoogleOAuth` checks it, with
///   `sub` = the delegating admin and `scope` within the delegated scopes (else 401 `unauthorized_client`).
/// - `GET https://admin.googleapis.com/admin/directory/v1/users`: a bearer token this fake issued and has not
///   expired or revoked (else 401 `UNAUTHENTICATED`), `customer` (else 400), `maxResults` 1…500; pages of
///   `min(maxResults, pageSize)` users with an opaque `nextPageToken` (an unknown `pageToken` is a 400).
/// Failure modes on cue for directory calls: 429 with or without Retry-After, 5xx, a malformed body, 403
/// PERMISSION_DENIED (`response(for:quotaMetric:)`, shared with `FakeGCP`).
package final class FakeGoogle: HTTPTransport {
    package enum Failure: Sendable { case tooManyRequests(retryAfter: Int?), serverError(Int), malformed, permissionDenied }

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

    struct State {
        var users: [User]
        var oauth: FakeGoogleOAuth
        var failures: [Failure] = []
        var calls: [String] = []
    }

    let adminEmail: String
    let customer: String
    let delegatedScopes: Set<String>
    let pageSize: Int
    /// The fake's time (token expiry, rate-limit resets): the test's clock, so it moves with the source's; by
    /// default `TestClock.start`, never the wall clock.
    let now: @Sendable () -> Date
    private let state: Mutex<State>

    /// - Parameters:
    ///   - publicKey: the service account key's public half; assertions signed by any other key are refused.
    ///   - delegatedScopes: what the Admin console granted the service account's client id.
    package init(publicKey: _RSA.Signing.PublicKey, clientEmail: String = "soc2bot@acme-soc2.iam.gserviceaccount.com",
                 adminEmail: String = "it-admin@acme.example", customer: String = "my_customer", users: [User], pageSize: Int = 2,
                 delegatedScopes: Set<String> = [FakeGoogle.userReadonlyScope], tokenLifetime: Int = 3599,
                 now: @escaping @Sendable () -> Date = { TestClock.start }) {
        self.adminEmail = adminEmail; self.customer = customer; self.delegatedScopes = delegatedScopes; self.pageSize = pageSize; self.now = now
        state = Mutex(State(users: users, oauth: FakeGoogleOAuth(publicKey: publicKey, clientEmail: clientEmail, tokenURL: Self.tokenURL,
                                                                 tokenLifetime: tokenLifetime)))
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
    package func revokeTokens() { state.withLock { $0.oauth.tokens = [:] } }
    package func setUsers(_ users: [User]) { state.withLock { $0.users = users } }
    /// Token requests received, granted or not.
    package var tokenRequests: Int { state.withLock { $0.oauth.tokenRequests } }
    /// The `error` codes of refused token requests, in order.
    package var refusals: [String] { state.withLock { $0.oauth.refusals } }
    /// Directory calls as `path?query` (query decoded).
    package var calls: [String] { state.withLock { $0.calls } }
    /// The JOSE headers of the assertions received.
    package var assertionHeaders: [[String: String]] { state.withLock { $0.oauth.assertionHeaders } }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        state.withLock { s in
            if request.url.absoluteString == Self.tokenURL {
                // Domain-wide delegation: the assertion acts for the admin, within the scopes the Admin console granted.
                return s.oauth.token(request, now: now()) { subject, scopes in subject == adminEmail && scopes.isSubset(of: delegatedScopes) }
            }
            guard request.url.host == Self.directoryHost else {
                return HTTPResponse(status: 404, body: Data("<html>not a Google endpoint</html>".utf8))
            }
            let components = URLComponents(url: request.url, resolvingAgainstBaseURL: false)
            let query = Dictionary((components?.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
            s.calls.append(request.url.path + "?" + (components?.queryItems ?? []).map { "\($0.name)=\($0.value ?? "")" }.joined(separator: "&"))
            if let failure = s.failures.first {
                s.failures.removeFirst()
                return Self.response(for: failure, quotaMetric: "Queries")
            }
            guard s.oauth.isAuthorized(request, now: now()) else {
                return Self.apiError(401, "Request had invalid authentication credentials. Expected OAuth 2 access token.", status: "UNAUTHENTICATED")
            }
            guard request.method == "GET", request.url.path == "/admin/directory/v1/users" else {
                return Self.apiError(404, "Not Found", status: "NOT_FOUND")
            }
            guard query["customer"] == customer else { return Self.apiError(400, "Bad Request", status: "INVALID_ARGUMENT") }
            let maxResults = query["maxResults"].flatMap(Int.init) ?? 100
            guard (1...500).contains(maxResults) else { return Self.apiError(400, "Invalid Input: maxResults", status: "INVALID_ARGUMENT") }
            guard let page = Self.page(count: s.users.count, pageToken: query["pageToken"], limit: min(maxResults, pageSize), tokenPrefix: "CkQK") else {
                return Self.apiError(400, "Invalid page token", status: "INVALID_ARGUMENT")
            }
            var body: [String: Any] = ["kind": "admin#directory#users", "etag": "\"fake-etag\""]
            if !page.range.isEmpty { body["users"] = s.users[page.range].map(Self.json) }
            if let next = page.next { body["nextPageToken"] = next }
            return Self.answer(body)
        }
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

    /// A canned failure, as Google's front ends answer it; `quotaMetric` names the quota a 429 says is exhausted.
    static func response(for failure: Failure, quotaMetric: String) -> HTTPResponse {
        switch failure {
        case .tooManyRequests(let seconds):
            apiError(429, "Quota exceeded for quota metric '\(quotaMetric)'", status: "RESOURCE_EXHAUSTED",
                     headers: seconds.map { ["Retry-After": "\($0)"] } ?? [:])
        case .serverError(let status): HTTPResponse(status: status, body: Data("<html>Backend Error</html>".utf8))
        case .malformed: HTTPResponse(status: 200, headers: ["Content-Type": "text/html"], body: Data("<html>Sign in</html>".utf8))
        case .permissionDenied: apiError(403, "The caller does not have permission", status: "PERMISSION_DENIED")
        }
    }

    /// The items of one page of a `count`-long list after the offset `pageToken` names (`tokenPrefix` + offset),
    /// at most `limit` of them, and the token of the next page when more remain; nil for a token this fake did not
    /// issue.
    static func page(count: Int, pageToken: String?, limit: Int, tokenPrefix: String) -> (range: Range<Int>, next: String?)? {
        var offset = 0
        if let pageToken {
            guard pageToken.hasPrefix(tokenPrefix), let value = Int(pageToken.dropFirst(tokenPrefix.count)), value > 0, value < count else { return nil }
            offset = value
        }
        let end = min(count, offset + limit)
        return (offset..<end, end < count ? "\(tokenPrefix)\(end)" : nil)
    }
}

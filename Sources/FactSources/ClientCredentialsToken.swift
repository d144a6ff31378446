import Core
import Foundation
import HTTP

/// An access token from an OAuth 2.0 client credentials grant (RFC 6749 §4.4), cached until shortly before it
/// expires (`CachedBearerToken`), and GETs that carry it. Shared by the sources that sign in as an API client with a
/// client id and secret: the Microsoft identity platform (Entra, Azure, Intune) and Jamf Pro.
struct ClientCredentialsToken: Sendable {
    let source: SourceID
    /// The token endpoint the form is POSTed to.
    let tokenURL: URL
    let clientID: String
    let clientSecret: String
    /// The `scope` form field, for servers that want one (Microsoft's `.default` scopes); nil sends none (Jamf).
    let scope: String?
    let sender: ThrottledSender
    let tokenCache = CachedBearerToken()
    let now: @Sendable () -> Date
    /// Advice appended to a refused grant, by its `error` code (`invalid_client` → check the secret); "" for none.
    let refusalHint: @Sendable (String) -> String

    init(source: SourceID, tokenURL: URL, clientID: String, clientSecret: String, scope: String?, sender: ThrottledSender,
         now: @escaping @Sendable () -> Date, refusalHint: @escaping @Sendable (String) -> String) {
        self.source = source; self.tokenURL = tokenURL; self.clientID = clientID; self.clientSecret = clientSecret; self.scope = scope
        self.sender = sender; self.now = now; self.refusalHint = refusalHint
    }

    /// A GET with the bearer token (and `headers`); a 401 (a token revoked or expired early) fetches a new token
    /// and tries once more. Any other answer is the caller's to read.
    func get(_ url: URL, operation: String, headers: [(name: String, value: String)] = []) async throws -> HTTPResponse {
        let response = try await send(HTTPRequest(method: "GET", url: url, headers: [("Authorization", "Bearer \(try await accessToken())")] + headers),
                                      operation: operation)
        guard response.status == 401 else { return response }
        tokenCache.invalidate()
        return try await send(HTTPRequest(method: "GET", url: url, headers: [("Authorization", "Bearer \(try await accessToken())")] + headers),
                              operation: operation)
    }

    /// The cached access token, or a new one.
    func accessToken() async throws -> String {
        try await tokenCache.token(now: now) { try await requestToken() }
    }

    /// The grant: `client_id`, `client_secret`, `scope` (when set) and `grant_type` form-encoded to the token
    /// endpoint; `access_token` and `expires_in` (3600 s when absent) back. A refusal reports the RFC 6749 `error`
    /// code and the first line of its `error_description`, which never holds the secret (and is scrubbed of it all
    /// the same).
    func requestToken() async throws -> (token: String, expiresIn: TimeInterval) {
        let fields = [("client_id", clientID), ("client_secret", clientSecret)] + (scope.map { [("scope", $0)] } ?? []) + [("grant_type", "client_credentials")]
        // Asking twice only costs a second token, so the request may be sent again.
        let request = HTTPRequest(method: "POST", url: tokenURL, headers: [("Content-Type", OAuthForm.contentType), ("Accept", "application/json")],
                                  body: OAuthForm.encode(fields), idempotent: true)
        let response = try await send(request, operation: "token request")
        let refused: OAuthTokenAnswer.Refusal
        switch try OAuthTokenAnswer.read(response, source: source, now: now()) {
        case .success(let granted): return granted
        case .failure(let refusal): refused = refusal
        }
        let firstLine = refused.description?.split(whereSeparator: \.isNewline).first.map(String.init)
        let detail = firstLine.map { ": " + scrub($0) } ?? ""
        throw SourceError.unavailable(source: source, reason: "token request refused (HTTP \(response.status) \(scrub(refused.error))\(detail))\(refusalHint(refused.error))")
    }

    /// Sends through the throttling policy; a request that got no answer becomes a source error.
    func send(_ request: HTTPRequest, operation: String) async throws -> HTTPResponse {
        try await sender.send(request, operation: operation, source: source)
    }

    /// `text` with the client secret cut out, should a server ever echo it.
    func scrub(_ text: String) -> String {
        clientSecret.isEmpty ? text : text.replacingOccurrences(of: clientSecret, with: "<redacted>")
    }

    /// The client id and secret from `environment`, by the variable names `config` gives for `client_id` and
    /// `client_secret` (else the kind's defaults); throws `SourceError.unavailable` naming the variables to set,
    /// never a value. `what` says what the two are (`the API client's id and secret`).
    static func credentials(config: SourceConfig, environment: [String: String], defaultClientIDVariable: String,
                            defaultClientSecretVariable: String, what: String) throws -> (id: String, secret: String) {
        let idVariable = config.credentialVariables["client_id"] ?? defaultClientIDVariable
        let secretVariable = config.credentialVariables["client_secret"] ?? defaultClientSecretVariable
        let clientID = environment[idVariable] ?? ""
        let clientSecret = environment[secretVariable] ?? ""
        let missing = [(idVariable, clientID), (secretVariable, clientSecret)].filter { $0.1.isEmpty }.map(\.0)
        guard missing.isEmpty else {
            throw SourceError.unavailable(source: config.id, reason: "set the environment variable\(missing.count > 1 ? "s" : "") "
                                          + "\(missing.joined(separator: " and ")) (\(what))")
        }
        return (clientID, clientSecret)
    }
}

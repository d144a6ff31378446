import Core
import Foundation
import HTTP

/// An app-only access token from the Microsoft identity platform (OAuth 2.0 client credentials grant), cached until
/// shortly before it expires, and GETs that carry it. Shared by the sources that sign in as an Entra app
/// registration: Entra (Microsoft Graph) and Azure (Resource Manager); they differ only in the `scope` they ask for.
struct MicrosoftIdentityToken: Sendable {
    let source: SourceID
    let clientID: String
    let clientSecret: String
    /// `{authority}/{tenant}/oauth2/v2.0/token`.
    let tokenURL: URL
    /// The resource's `.default` scope: app-only tokens carry the permissions or roles an admin granted the app.
    let scope: String
    let sender: ThrottledSender
    let tokenCache = CachedBearerToken()
    let now: @Sendable () -> Date

    static let defaultAuthority = "https://login.microsoftonline.com"

    /// Reads the client id and secret from `environment` by the variable names in `config` (falling back to the
    /// kind's defaults), and the tenant from `settings.tenant_id`, and the authority from `settings.authority`;
    /// throws `SourceError.unavailable` saying what to set, never echoing a value.
    init(config: SourceConfig, environment: [String: String], defaultClientIDVariable: String, defaultClientSecretVariable: String,
         scope: String, sender: ThrottledSender, now: @escaping @Sendable () -> Date) throws {
        func refuse(_ reason: String) -> SourceError { .unavailable(source: config.id, reason: reason) }
        let idVariable = config.credentialVariables["client_id"] ?? defaultClientIDVariable
        let secretVariable = config.credentialVariables["client_secret"] ?? defaultClientSecretVariable
        let clientID = environment[idVariable] ?? ""
        let clientSecret = environment[secretVariable] ?? ""
        let missing = [(idVariable, clientID), (secretVariable, clientSecret)].filter { $0.1.isEmpty }.map(\.0)
        guard missing.isEmpty else {
            throw refuse("set the environment variable\(missing.count > 1 ? "s" : "") \(missing.joined(separator: " and ")) (the app registration's client id and secret value)")
        }
        guard let tenant = config.settings["tenant_id"]?.string, !tenant.isEmpty,
              tenant.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) else {
            throw refuse("settings.tenant_id is required: the directory (tenant) id, or the tenant's primary domain")
        }
        let authority = try Self.url(config.settings["authority"]?.string ?? Self.defaultAuthority, setting: "authority", source: config.id)
        self.init(source: config.id, clientID: clientID, clientSecret: clientSecret,
                  tokenURL: authority.appendingPathComponent(tenant).appendingPathComponent("oauth2/v2.0/token"), scope: scope, sender: sender, now: now)
    }

    init(source: SourceID, clientID: String, clientSecret: String, tokenURL: URL, scope: String, sender: ThrottledSender,
         now: @escaping @Sendable () -> Date) {
        self.source = source; self.clientID = clientID; self.clientSecret = clientSecret; self.tokenURL = tokenURL; self.scope = scope
        self.sender = sender; self.now = now
    }

    /// A GET with the bearer token; a 401 (a token revoked or expired early) fetches a new token and tries once more.
    func get(_ url: URL, operation: String) async throws -> HTTPResponse {
        let response = try await send(HTTPRequest(method: "GET", url: url, headers: [("Authorization", "Bearer \(try await accessToken())")]),
                                      operation: operation)
        guard response.status == 401 else { return response }
        tokenCache.invalidate()
        return try await send(HTTPRequest(method: "GET", url: url, headers: [("Authorization", "Bearer \(try await accessToken())")]),
                              operation: operation)
    }

    /// The cached access token, or a new one.
    func accessToken() async throws -> String {
        try await tokenCache.token(now: now) { try await requestToken() }
    }

    /// The client credentials grant: `client_id`, `client_secret`, `scope`, `grant_type` form-encoded to the
    /// tenant's token endpoint. A refusal reports the `AADSTS…` code and its first line of description, which
    /// never holds the secret (and is scrubbed of it all the same).
    func requestToken() async throws -> (token: String, expiresIn: TimeInterval) {
        let body = OAuthForm.encode([("client_id", clientID), ("client_secret", clientSecret), ("scope", scope),
                                     ("grant_type", "client_credentials")])
        // Asking twice only costs a second token, so the request may be sent again.
        let request = HTTPRequest(method: "POST", url: tokenURL, headers: [("Content-Type", OAuthForm.contentType), ("Accept", "application/json")],
                                  body: body, idempotent: true)
        let response = try await send(request, operation: "token request")
        struct Granted: Decodable { var access_token: String; var expires_in: Double? }
        struct Refused: Decodable { var error: String; var error_description: String? }
        if response.status == 200 {
            guard let granted = try? JSONDecoder().decode(Granted.self, from: response.body), !granted.access_token.isEmpty else {
                throw SourceError.unavailable(source: source, reason: "token request: the answer has no access_token")
            }
            return (granted.access_token, granted.expires_in ?? 3600)
        }
        if ThrottledSender.throttlingStatuses.contains(response.status) {
            throw SourceError.unavailable(source: source, reason: "token request: " + ThrottledSender.throttledReason(response, now: now()))
        }
        guard let refused = try? JSONDecoder().decode(Refused.self, from: response.body) else {
            throw SourceError.unavailable(source: source, reason: "token request: HTTP \(response.status)")
        }
        let firstLine = refused.error_description?.split(whereSeparator: \.isNewline).first.map(String.init)
        let detail = firstLine.map { ": " + scrub($0) } ?? ""
        let hint = switch refused.error {
        case "invalid_client": "; check the client secret variable holds the secret's value (not its id) and that it has not expired"
        case "unauthorized_client": "; check client_id names an app registered in tenant_id"
        case "invalid_request": "; check settings.tenant_id"
        default: ""
        }
        throw SourceError.unavailable(source: source, reason: "token request refused (HTTP \(response.status) \(refused.error)\(detail))\(hint)")
    }

    /// Sends through the throttling policy; a request that got no answer becomes a source error.
    func send(_ request: HTTPRequest, operation: String) async throws -> HTTPResponse {
        try await sender.send(request, operation: operation, source: source)
    }

    /// A readable failure of an API call: operation, status, the API's error code and message, the id the API gives
    /// the request (from the `requestIDHeader` response header, to quote to Microsoft support), and `hint`. A throttled
    /// final answer says how long the server asked to wait.
    func failure(_ operation: String, _ response: HTTPResponse, requestIDHeader: String, requestIDLabel: String, hint: String) -> SourceError {
        if ThrottledSender.throttlingStatuses.contains(response.status) {
            return .unavailable(source: source, reason: "\(operation): " + ThrottledSender.throttledReason(response, now: now()))
        }
        let words = errorDetail(response).map { " \($0)" } ?? ""
        let requestID = response.header(requestIDHeader).map { " (\(requestIDLabel) \($0))" } ?? ""
        return .unavailable(source: source, reason: "\(operation): HTTP \(response.status)\(words)\(requestID)\(hint)")
    }

    /// `code: message` from the `{"error": {"code", "message"}}` envelope Graph and Resource Manager both answer
    /// failures with (scrubbed of the secret), or nil when the body is not one.
    func errorDetail(_ response: HTTPResponse) -> String? {
        struct Envelope: Decodable { struct Detail: Decodable { var code: String?; var message: String? }; var error: Detail }
        let detail = (try? JSONDecoder().decode(Envelope.self, from: response.body))?.error
        let words = [detail?.code, detail?.message].compactMap { $0 }.joined(separator: ": ")
        return words.isEmpty ? nil : scrub(words)
    }

    /// `text` with the client secret cut out, should a server ever echo it.
    func scrub(_ text: String) -> String {
        clientSecret.isEmpty ? text : text.replacingOccurrences(of: clientSecret, with: "<redacted>")
    }

    /// An http(s) URL with a host, or an error naming the setting.
    static func url(_ text: String, setting: String, source: SourceID) throws -> URL {
        guard let url = URL(string: text), url.scheme == "https" || url.scheme == "http", url.host != nil else {
            throw SourceError.unavailable(source: source, reason: "\(setting) `\(text)` is not an http(s) URL")
        }
        return url
    }
}

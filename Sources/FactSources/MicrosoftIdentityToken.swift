import Core
import Foundation
import HTTP

/// An app-only access token from the Microsoft identity platform (OAuth 2.0 client credentials grant), cached until
/// shortly before it expires, and GETs that carry it. Shared by the sources that sign in as an Entra app
/// registration: Entra and Intune (Microsoft Graph) and Azure (Resource Manager); they differ only in the `scope` they
/// ask for. The grant itself is the generic `ClientCredentialsToken`.
struct MicrosoftIdentityToken: Sendable {
    /// The client credentials grant against `{authority}/{tenant}/oauth2/v2.0/token` with the resource's `.default`
    /// scope: app-only tokens carry the permissions or roles an admin granted the app.
    let grant: ClientCredentialsToken
    var source: SourceID { grant.source }
    var now: @Sendable () -> Date { grant.now }

    /// Reads the client id and secret from `environment` by the variable names in `config` (falling back to the
    /// kind's defaults), and the tenant from `settings.tenant_id`, and the authority from `settings.authority` (read
    /// through the kind's `settings`); throws `SourceError.unavailable` saying what to set, never echoing a value.
    init(config: SourceConfig, settings: DescribedSettings, environment: [String: String], defaultClientIDVariable: String,
         defaultClientSecretVariable: String, scope: String, sender: ThrottledSender, now: @escaping @Sendable () -> Date) throws {
        let client = try ClientCredentialsToken.credentials(config: config, environment: environment, defaultClientIDVariable: defaultClientIDVariable,
                                                            defaultClientSecretVariable: defaultClientSecretVariable,
                                                            what: "the app registration's client id and secret value")
        guard let tenant = try settings.string(ifSet: "tenant_id"), !tenant.isEmpty,
              tenant.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) else {
            throw SourceError.unavailable(source: config.id, reason: "settings.tenant_id is required: the directory (tenant) id, or the tenant's primary domain")
        }
        let authority = try settings.url("authority")
        self.init(source: config.id, clientID: client.id, clientSecret: client.secret,
                  tokenURL: authority.appendingPathComponent(tenant).appendingPathComponent("oauth2/v2.0/token"), scope: scope, sender: sender, now: now)
    }

    init(source: SourceID, clientID: String, clientSecret: String, tokenURL: URL, scope: String, sender: ThrottledSender,
         now: @escaping @Sendable () -> Date) {
        grant = ClientCredentialsToken(source: source, tokenURL: tokenURL, clientID: clientID, clientSecret: clientSecret, scope: scope,
                                       sender: sender, now: now, refusalHint: Self.refusalHint)
    }

    /// Advice for a refused grant. The description carries the `AADSTS…` code.
    static func refusalHint(_ error: String) -> String {
        switch error {
        case "invalid_client": "; check the client secret variable holds the secret's value (not its id) and that it has not expired"
        case "unauthorized_client": "; check client_id names an app registered in tenant_id"
        case "invalid_request": "; check settings.tenant_id"
        default: ""
        }
    }

    /// A GET with the bearer token; a 401 (a token revoked or expired early) fetches a new token and tries once more.
    func get(_ url: URL, operation: String) async throws -> HTTPResponse {
        try await grant.get(url, operation: operation)
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
    func scrub(_ text: String) -> String { grant.scrub(text) }
}

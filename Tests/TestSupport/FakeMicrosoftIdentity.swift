import Foundation
import HTTP

/// An in-process Microsoft identity platform token endpoint for one app registration, shared by the fakes of the
/// APIs that accept its tokens (`FakeEntra` for Graph, `FakeAzure` for Resource Manager).
///
/// `POST https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token` (form, client credentials grant): an unknown
/// tenant is `invalid_request` (AADSTS90002), an unknown client `unauthorized_client` (AADSTS700016), a wrong secret
/// 401 `invalid_client` (AADSTS7000215), a scope other than the API's `.default` `invalid_scope` (AADSTS1002012).
/// Answers `{"token_type","expires_in","access_token"}`. The caller keeps the `Ledger` inside its own lock.
package struct FakeMicrosoftIdentity: Sendable {
    package static let authorityHost = "login.microsoftonline.com"

    /// Issued tokens and what was asked of the endpoint.
    package struct Ledger: Sendable {
        package var tokens: Set<String> = []
        package var issued = 0
        package var requests = 0
        /// The `error` codes of refused token requests, in order.
        package var refusals: [String] = []
        package init() {}
    }

    let tenantID: String
    let clientID: String
    let clientSecret: String
    /// The only scope granted, e.g. `https://graph.microsoft.com/.default`.
    let scope: String
    /// Names the API in issued tokens, so a Graph token is told from an ARM one.
    let audience: String

    package init(tenantID: String, clientID: String, clientSecret: String, scope: String, audience: String) {
        self.tenantID = tenantID; self.clientID = clientID; self.clientSecret = clientSecret; self.scope = scope; self.audience = audience
    }

    /// Whether `request` carries a bearer token this endpoint issued and has not revoked.
    package func authorizes(_ request: HTTPRequest, _ ledger: Ledger) -> Bool {
        guard let auth = request.header("authorization"), auth.hasPrefix("Bearer ") else { return false }
        return ledger.tokens.contains(String(auth.dropFirst(7)))
    }

    /// The client credentials grant, checked as the Microsoft identity platform checks it.
    package func token(_ request: HTTPRequest, _ ledger: inout Ledger) -> HTTPResponse {
        ledger.requests += 1
        func refuse(_ status: Int, _ error: String, _ code: Int, _ description: String) -> HTTPResponse {
            ledger.refusals.append(error)
            let trailer = "\r\nTrace ID: 0b6e1c2d-4f3a-4b5c-9d8e-7f6a5b4c3d2e\r\nCorrelation ID: 5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d\r\nTimestamp: 2026-03-02 09:00:00Z"
            return Self.json(["error": error, "error_description": "AADSTS\(code): \(description)\(trailer)", "error_codes": [code],
                              "trace_id": "0b6e1c2d-4f3a-4b5c-9d8e-7f6a5b4c3d2e"], status: status)
        }
        let parts = request.url.path.split(separator: "/")
        guard request.method == "POST", parts.count == 4, parts[1...] == ["oauth2", "v2.0", "token"] else {
            return HTTPResponse(status: 404, body: Data("not a token endpoint".utf8))
        }
        guard parts[0] == tenantID else {
            return refuse(400, "invalid_request", 90002, "Tenant '\(parts[0])' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.")
        }
        guard request.header("content-type")?.hasPrefix("application/x-www-form-urlencoded") == true else {
            return refuse(400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
        }
        let form = FakeSlackForm.decode(request.body)
        guard form["grant_type"] == "client_credentials" else {
            return refuse(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '\(form["grant_type"] ?? "")'.")
        }
        guard form["client_id"] == clientID else {
            return refuse(400, "unauthorized_client", 700016,
                          "Application with identifier '\(form["client_id"] ?? "")' was not found in the directory '\(tenantID)'.")
        }
        guard form["client_secret"] == clientSecret else {
            return refuse(401, "invalid_client", 7000215,
                          "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '\(clientID)'.")
        }
        guard form["scope"] == scope else {
            return refuse(400, "invalid_scope", 1002012,
                          "The provided value for scope \(form["scope"] ?? "") is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
        }
        ledger.issued += 1
        let token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake-\(audience)-token-\(ledger.issued)"
        ledger.tokens.insert(token)
        return Self.json(["token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token])
    }

    /// A JSON answer with sorted keys.
    package static func json(_ object: [String: Any], status: Int = 200, headers: [String: String] = [:],
                             contentType: String = "application/json; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: headers.merging(["Content-Type": contentType]) { first, _ in first },
                     body: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }
}

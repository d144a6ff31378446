import Foundation
import HTTP
import Synchronization

/// An in-process Microsoft identity platform token endpoint and Microsoft Graph that speak the documented wire
/// format for what the Entra source reads.
/// - `POST https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`: `FakeMicrosoftIdentity`, granting only
///   the scope `https://graph.microsoft.com/.default`.
/// - Graph (`https://graph.microsoft.com`), each needing a bearer token this fake issued (else 401
///   `InvalidAuthenticationToken`), paged `pageSize` at a time with `@odata.nextLink` carrying `$skiptoken`:
///   `GET /v1.0/users` (`$select`, `$top` ≤ 999, ≤ 500 with `signInActivity`; selecting `signInActivity` in a tenant without premium is 403
///   `Authentication_RequestFromNonPremiumTenantOrB2CTenant`), `GET /v1.0/reports/authenticationMethods/userRegistrationDetails`
///   (403 when `reportForbidden`), `GET /v1.0/directoryRoles?$expand=members` (at most 20 members per role, as
///   Graph caps expansions) and `GET /v1.0/directoryRoles/{id}/members`.
/// Failure modes on cue for Graph calls (`FakeMicrosoftGraph.Failure`): 429 or 503 with or without Retry-After, 5xx,
/// a malformed body, a next link to another host, an expired token.
package final class FakeEntra: HTTPTransport {
    package typealias Failure = FakeMicrosoftGraph.Failure

    /// A user and what the reports say about them.
    package struct User: Sendable {
        package var id: String
        package var userPrincipalName: String
        package var mail: String?
        package var accountEnabled: Bool
        /// `signInActivity.lastSignInDateTime`; nil is null (never signed in).
        package var lastSignIn: String?
        /// `isMfaRegistered` in the registration report; nil leaves the user out of the report.
        package var mfaRegistered: Bool?
        /// `isAdmin` in the registration report.
        package var isAdmin: Bool
        package init(id: String, _ userPrincipalName: String, mail: String? = nil, accountEnabled: Bool = true, lastSignIn: String? = nil,
                     mfaRegistered: Bool? = true, isAdmin: Bool = false) {
            self.id = id; self.userPrincipalName = userPrincipalName; self.mail = mail; self.accountEnabled = accountEnabled
            self.lastSignIn = lastSignIn; self.mfaRegistered = mfaRegistered; self.isAdmin = isAdmin
        }
    }

    /// An activated directory role and its members' object ids.
    package struct Role: Sendable {
        package var id: String
        package var displayName: String
        package var members: [String]
        package init(id: String, _ displayName: String, members: [String]) { self.id = id; self.displayName = displayName; self.members = members }
    }

    package static let authorityHost = FakeMicrosoftIdentity.authorityHost
    package static let graphHost = FakeMicrosoftGraph.host
    package static let graphScope = FakeMicrosoftGraph.scope
    /// Graph returns at most this many objects of an expanded relationship.
    package static let expandLimit = 20

    struct State {
        var users: [User]
        var roles: [Role]
        var premium: Bool
        var reportForbidden: Bool
        var graph = FakeMicrosoftGraph.Session()
    }

    let identity: FakeMicrosoftIdentity
    let pageSize: Int
    private let state: Mutex<State>

    package init(tenantID: String = "8d5c3e2a-1b4f-4c6d-9e7a-0f1b2c3d4e5f", clientID: String = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c",
                 clientSecret: String = "Qx~8Q~fake.secret-value_with+odd=chars&", users: [User], roles: [Role] = [], pageSize: Int = 2,
                 premium: Bool = true, reportForbidden: Bool = false) {
        identity = FakeMicrosoftIdentity(tenantID: tenantID, clientID: clientID, clientSecret: clientSecret, scope: Self.graphScope, audience: "graph")
        self.pageSize = pageSize
        state = Mutex(State(users: users, roles: roles, premium: premium, reportForbidden: reportForbidden))
    }

    package func failNext(_ failures: [Failure]) { state.withLock { $0.graph.failures += failures } }
    /// Forgets every issued token: the next Graph call answers 401.
    package func revokeTokens() { state.withLock { $0.graph.identity.tokens = [] } }
    package var tokenRequests: Int { state.withLock { $0.graph.identity.requests } }
    /// The `error` codes of refused token requests, in order.
    package var refusals: [String] { state.withLock { $0.graph.identity.refusals } }
    /// Graph calls as `path?query` (query decoded).
    package var calls: [String] { state.withLock { $0.graph.calls } }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        state.withLock { s in
            let (early, query) = FakeMicrosoftGraph.admit(request, identity: identity, &s.graph)
            if let early { return early }
            let path = request.url.path
            switch path {
            case "/v1.0/users":
                let selected = Set((query["$select"] ?? "").split(separator: ",").map(String.init))
                if selected.contains("signInActivity"), !s.premium {
                    return Self.graphError(403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                                           "Neither tenant is B2C or tenant doesn't have premium license")
                }
                let top = query["$top"].flatMap(Int.init) ?? 100
                // The documented page maximum: 999, or 500 when signInActivity is selected.
                guard (1...(selected.contains("signInActivity") ? 500 : 999)).contains(top) else {
                    return Self.graphError(400, "Request_UnsupportedQuery", "Invalid page size specified.")
                }
                let rows = s.users.map { user -> [String: Any] in
                    let mail: Any = user.mail ?? NSNull()
                    let lastSignIn: Any = user.lastSignIn ?? NSNull()
                    var row: [String: Any] = ["id": user.id, "userPrincipalName": user.userPrincipalName, "mail": mail, "accountEnabled": user.accountEnabled,
                                              "signInActivity": ["lastSignInDateTime": lastSignIn, "lastSignInRequestId": NSNull()] as [String: Any]]
                    if !selected.isEmpty { row = row.filter { selected.contains($0.key) } }
                    return row
                }
                return page(rows, size: min(top, pageSize), request: request, query: query, &s)
            case "/v1.0/reports/authenticationMethods/userRegistrationDetails":
                if s.reportForbidden {
                    return Self.graphError(403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                                           "Tenant is not a B2C tenant and doesn't have premium license")
                }
                let rows = s.users.compactMap { user -> [String: Any]? in
                    guard let registered = user.mfaRegistered else { return nil }
                    return ["id": user.id, "userPrincipalName": user.userPrincipalName, "isAdmin": user.isAdmin, "isMfaRegistered": registered,
                            "isMfaCapable": registered, "isSsprRegistered": false, "userType": "member", "methodsRegistered": registered ? ["microsoftAuthenticatorPush"] : []]
                }
                return page(rows, size: pageSize, request: request, query: query, &s)
            case "/v1.0/directoryRoles":
                let expand = query["$expand"] == "members"
                let rows = s.roles.map { role -> [String: Any] in
                    var row: [String: Any] = ["id": role.id, "displayName": role.displayName, "roleTemplateId": role.id]
                    if expand {
                        row["members"] = role.members.prefix(Self.expandLimit).map { ["@odata.type": "#microsoft.graph.user", "id": $0] }
                    }
                    return row
                }
                return Self.answer(["@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryRoles", "value": rows])
            default:
                let parts = path.split(separator: "/")
                if parts.count == 4, parts[1] == "directoryRoles", parts[3] == "members", let role = s.roles.first(where: { $0.id == parts[2] }) {
                    let rows = role.members.map { ["@odata.type": "#microsoft.graph.user", "id": $0] as [String: Any] }
                    return page(rows, size: pageSize, request: request, query: query, &s)
                }
                return Self.graphError(404, "Request_ResourceNotFound", "Resource '\(path)' does not exist or one of its queried reference-property objects are not present.")
            }
        }
    }

    private func page(_ rows: [[String: Any]], size: Int, request: HTTPRequest, query: [String: String], _ s: inout State) -> HTTPResponse {
        FakeMicrosoftGraph.page(rows, size: size, request: request, query: query, &s.graph)
    }

    static func graphError(_ status: Int, _ code: String, _ message: String, headers: [String: String] = [:]) -> HTTPResponse {
        FakeMicrosoftGraph.error(status, code, message, headers: headers)
    }

    static func answer(_ object: [String: Any], status: Int = 200, headers: [String: String] = [:]) -> HTTPResponse {
        FakeMicrosoftGraph.answer(object, status: status, headers: headers)
    }
}

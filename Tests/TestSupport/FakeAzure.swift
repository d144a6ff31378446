import Foundation
import HTTP
import Synchronization

/// An in-process Microsoft identity platform token endpoint and Azure Resource Manager that speak the documented wire
/// format for what the Azure source reads.
/// - `POST https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`: `FakeMicrosoftIdentity`, granting only the
///   scope `https://management.azure.com/.default`.
/// - ARM (`https://management.azure.com`), each call needing a bearer token this fake issued (else 401
///   `ExpiredAuthenticationToken`) and the api-version the real API documents (else 400 `InvalidApiVersionParameter`),
///   paged `pageSize` at a time with a `nextLink` carrying `$skipToken`:
///   `GET /subscriptions/{id}/providers/Microsoft.Storage/storageAccounts?api-version=2023-05-01` (Storage Accounts - List),
///   `GET /subscriptions/{id}/providers/Microsoft.Network/networkSecurityGroups?api-version=2023-09-01` (Network
///   Security Groups - List All, with the built-in `defaultSecurityRules`), and
///   `GET /subscriptions/{id}/providers/Microsoft.Insights/diagnosticSettings?api-version=2021-05-01-preview`
///   (Subscription Diagnostic Settings - List, which has no `nextLink`). An unknown subscription is 404
///   `SubscriptionNotFound`; one where the app lacks the Reader role is 403 `AuthorizationFailed`.
/// Failure modes on cue for ARM calls, one per call in order: 429 or 503 with or without Retry-After, 5xx, a malformed
/// body, an expired token.
package final class FakeAzure: HTTPTransport {
    package enum Failure: Sendable {
        case tooManyRequests(retryAfter: Int?), serviceUnavailable(retryAfter: Int?), serverError(Int), malformed
        /// This call is answered normally (to let a later cue hit a later page).
        case pass
        /// Every issued token expires before this call: it answers 401 `ExpiredAuthenticationToken`.
        case expiredToken
    }

    /// A storage account.
    package struct StorageAccount: Sendable {
        package var name: String
        package var resourceGroup: String
        /// `encryption.keySource`; nil leaves the encryption block out.
        package var keySource: String?
        /// `allowBlobPublicAccess`; nil leaves the property out.
        package var allowBlobPublicAccess: Bool?
        package var tags: [String: String]
        package init(_ name: String, resourceGroup: String = "rg-data", keySource: String? = "Microsoft.Storage", allowBlobPublicAccess: Bool? = false,
                     tags: [String: String] = [:]) {
            self.name = name; self.resourceGroup = resourceGroup; self.keySource = keySource; self.allowBlobPublicAccess = allowBlobPublicAccess
            self.tags = tags
        }
    }

    /// A security rule as written: a single `source`/`port` or the plural arrays.
    package struct SecurityRule: Sendable {
        package var name: String
        package var access: String
        package var direction: String
        package var priority: Int
        package var source: String?
        package var sources: [String]
        package var port: String?
        package var ports: [String]
        package init(_ name: String, access: String = "Allow", direction: String = "Inbound", priority: Int = 100, source: String? = nil,
                     sources: [String] = [], port: String? = nil, ports: [String] = []) {
            self.name = name; self.access = access; self.direction = direction; self.priority = priority; self.source = source
            self.sources = sources; self.port = port; self.ports = ports
        }
    }

    /// A network security group and its own rules.
    package struct NetworkSecurityGroup: Sendable {
        package var name: String
        package var resourceGroup: String
        package var rules: [SecurityRule]
        package init(_ name: String, resourceGroup: String = "rg-net", rules: [SecurityRule]) {
            self.name = name; self.resourceGroup = resourceGroup; self.rules = rules
        }
    }

    /// A subscription diagnostic setting: where the Activity Log goes, and which categories.
    package struct DiagnosticSetting: Sendable {
        package struct Log: Sendable {
            package var category: String?
            package var categoryGroup: String?
            package var enabled: Bool
            package static func category(_ name: String, enabled: Bool = true) -> Log { Log(category: name, categoryGroup: nil, enabled: enabled) }
            package static func group(_ name: String, enabled: Bool = true) -> Log { Log(category: nil, categoryGroup: name, enabled: enabled) }
        }
        package var name: String
        package var storageAccountId: String?
        package var workspaceId: String?
        package var eventHubAuthorizationRuleId: String?
        package var logs: [Log]
        package init(_ name: String, storageAccountId: String? = nil, workspaceId: String? = nil, eventHubAuthorizationRuleId: String? = nil,
                     logs: [Log]) {
            self.name = name; self.storageAccountId = storageAccountId; self.workspaceId = workspaceId
            self.eventHubAuthorizationRuleId = eventHubAuthorizationRuleId; self.logs = logs
        }
    }

    /// What one subscription holds.
    package struct Subscription: Sendable {
        package var storageAccounts: [StorageAccount]
        package var networkSecurityGroups: [NetworkSecurityGroup]
        package var diagnosticSettings: [DiagnosticSetting]
        /// Whether the app's service principal holds the Reader role here.
        package var reader: Bool
        package init(storageAccounts: [StorageAccount] = [], networkSecurityGroups: [NetworkSecurityGroup] = [],
                     diagnosticSettings: [DiagnosticSetting] = [], reader: Bool = true) {
            self.storageAccounts = storageAccounts; self.networkSecurityGroups = networkSecurityGroups
            self.diagnosticSettings = diagnosticSettings; self.reader = reader
        }
    }

    package static let managementHost = "management.azure.com"
    package static let armScope = "https://management.azure.com/.default"
    /// The api-version each list operation is served under.
    package static let apiVersions = [
        "Microsoft.Storage/storageAccounts": "2023-05-01",
        "Microsoft.Network/networkSecurityGroups": "2023-09-01",
        "Microsoft.Insights/diagnosticSettings": "2021-05-01-preview",
    ]
    static let correlationID = "7d1f2a3b-0000-4000-8000-00000000c0de"
    /// The object id of the app's service principal, as ARM names it in `AuthorizationFailed`.
    static let principalObjectID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"

    struct State {
        var subscriptions: [String: Subscription]
        var failures: [Failure] = []
        var identity = FakeMicrosoftIdentity.Ledger()
        var calls: [String] = []
    }

    let identity: FakeMicrosoftIdentity
    let pageSize: Int
    private let state: Mutex<State>

    package init(tenantID: String = "8d5c3e2a-1b4f-4c6d-9e7a-0f1b2c3d4e5f", clientID: String = "5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c",
                 clientSecret: String = "Az~8Q~fake.arm-secret_with+odd=chars&", subscriptions: [String: Subscription], pageSize: Int = 2) {
        identity = FakeMicrosoftIdentity(tenantID: tenantID, clientID: clientID, clientSecret: clientSecret, scope: Self.armScope, audience: "arm")
        self.pageSize = pageSize
        state = Mutex(State(subscriptions: subscriptions))
    }

    package func failNext(_ failures: [Failure]) { state.withLock { $0.failures += failures } }
    package var tokenRequests: Int { state.withLock { $0.identity.requests } }
    /// The `error` codes of refused token requests, in order.
    package var refusals: [String] { state.withLock { $0.identity.refusals } }
    /// ARM calls as `path?query` (query decoded, in the request's order).
    package var calls: [String] { state.withLock { $0.calls } }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        state.withLock { s in
            if request.url.host == FakeMicrosoftIdentity.authorityHost { return identity.token(request, &s.identity) }
            guard request.url.host == Self.managementHost else { return HTTPResponse(status: 404, body: Data("not ARM".utf8)) }
            let items = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems ?? []
            let query = Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
            s.calls.append(request.url.path + (items.isEmpty ? "" : "?" + items.map { "\($0.name)=\($0.value ?? "")" }.joined(separator: "&")))
            if let failure = s.failures.first {
                s.failures.removeFirst()
                switch failure {
                case .tooManyRequests(let seconds):
                    return Self.armError(429, "TooManyRequests", "The request is being throttled as the limit has been reached for operation type - Read.",
                                         headers: seconds.map { ["Retry-After": "\($0)"] } ?? [:])
                case .serviceUnavailable(let seconds):
                    return Self.armError(503, "ServiceUnavailable", "The server (leased) is currently unavailable.",
                                         headers: seconds.map { ["Retry-After": "\($0)"] } ?? [:])
                case .serverError(let status): return Self.armError(status, "InternalServerError", "Encountered internal server error. Diagnostic information: timestamp '20260302T090000Z'.")
                case .malformed: return HTTPResponse(status: 200, headers: ["Content-Type": "text/html"], body: Data("<html>proxy login</html>".utf8))
                case .expiredToken: s.identity.tokens = []
                case .pass: break
                }
            }
            guard request.header("authorization") != nil else {
                return Self.armError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
            }
            guard identity.authorizes(request, s.identity) else {
                return Self.armError(401, "ExpiredAuthenticationToken",
                                     "The access token expiry UTC time '3/2/2026 8:59:00 AM' is earlier than current UTC time '3/2/2026 9:00:00 AM'.",
                                     headers: ["WWW-Authenticate": "Bearer authorization_uri=\"https://login.windows.net/\(identity.tenantID)\", error=\"invalid_token\", error_description=\"The access token has expired.\""])
            }
            guard request.method == "GET" else { return Self.armError(405, "MethodNotAllowed", "The requested resource does not support http method '\(request.method)'.") }
            // /subscriptions/{id}/providers/{namespace}/{type}
            let parts = request.url.path.split(separator: "/").map(String.init)
            guard parts.count == 5, parts[0] == "subscriptions", parts[2] == "providers" else {
                return Self.armError(404, "InvalidResourceType", "The resource type could not be found in the namespace for api version '\(query["api-version"] ?? "")'.")
            }
            let subscriptionID = parts[1]
            let resourceType = "\(parts[3])/\(parts[4])"
            guard let apiVersion = Self.apiVersions[resourceType] else {
                return Self.armError(400, "InvalidResourceType", "The resource type '\(parts[4])' could not be found in the namespace '\(parts[3])'.")
            }
            guard let version = query["api-version"] else {
                return Self.armError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
            }
            guard version == apiVersion else {
                return Self.armError(400, "InvalidApiVersionParameter", "The api-version '\(version)' is invalid. The supported versions are '\(apiVersion)'.")
            }
            guard let subscription = s.subscriptions[subscriptionID] else {
                return Self.armError(404, "SubscriptionNotFound", "The subscription '\(subscriptionID)' could not be found.")
            }
            guard subscription.reader else {
                let action = resourceType == "Microsoft.Insights/diagnosticSettings" ? "microsoft.insights/diagnosticSettings/read" : "\(resourceType)/read"
                return Self.armError(403, "AuthorizationFailed",
                                     "The client '\(identity.clientID)' with object id '\(Self.principalObjectID)' does not have authorization to perform action '\(action)' over scope '/subscriptions/\(subscriptionID)' or the scope is invalid. If access was recently granted, please refresh your credentials.")
            }
            switch resourceType {
            case "Microsoft.Storage/storageAccounts":
                return page(subscription.storageAccounts.map { Self.storageAccount($0, subscriptionID) }, request: request, query: query)
            case "Microsoft.Network/networkSecurityGroups":
                return page(subscription.networkSecurityGroups.map { Self.networkSecurityGroup($0, subscriptionID) }, request: request, query: query)
            default:
                // The subscription diagnostic settings collection is a single `value` array: no paging.
                return FakeMicrosoftIdentity.json(["value": subscription.diagnosticSettings.map { Self.diagnosticSetting($0, subscriptionID) }],
                                                  headers: Self.armHeaders)
            }
        }
    }

    /// One page of `rows` from `$skipToken`, with a `nextLink` that repeats the request's query.
    private func page(_ rows: [[String: Any]], request: HTTPRequest, query: [String: String]) -> HTTPResponse {
        guard let offset = Self.pager.offset(query, rowCount: rows.count) else {
            return Self.armError(400, "InvalidSkipToken", "The provided skip token '\(query["$skipToken"] ?? "")' is not valid.")
        }
        return FakeMicrosoftIdentity.json(Self.pager.body(rows, offset: offset, size: pageSize, url: request.url), headers: Self.armHeaders)
    }

    static let pager = FakeMicrosoftPage(skipTokenName: "$skipToken", nextLinkKey: "nextLink")

    static func storageAccount(_ account: StorageAccount, _ subscription: String) -> [String: Any] {
        let name = account.name
        var properties: [String: Any] = [
            "provisioningState": "Succeeded", "minimumTlsVersion": "TLS1_2", "supportsHttpsTrafficOnly": true, "accessTier": "Hot",
            "allowSharedKeyAccess": true, "creationTime": "2025-06-01T10:00:00.0000000Z",
            "primaryEndpoints": ["blob": "https://\(name).blob.core.windows.net/", "file": "https://\(name).file.core.windows.net/",
                                 "queue": "https://\(name).queue.core.windows.net/", "table": "https://\(name).table.core.windows.net/"],
            "primaryLocation": "westeurope", "statusOfPrimary": "available",
        ]
        if let allow = account.allowBlobPublicAccess { properties["allowBlobPublicAccess"] = allow }
        if let keySource = account.keySource {
            var encryption: [String: Any] = [
                "keySource": keySource, "requireInfrastructureEncryption": false,
                "services": ["blob": ["enabled": true, "keyType": "Account", "lastEnabledTime": "2025-06-01T10:00:00.0000000Z"],
                             "file": ["enabled": true, "keyType": "Account", "lastEnabledTime": "2025-06-01T10:00:00.0000000Z"]],
            ]
            if keySource == "Microsoft.Keyvault" {
                encryption["keyvaultproperties"] = ["keyname": "\(name)-cmk", "keyvaulturi": "https://kv-\(subscription.prefix(8)).vault.azure.net", "keyversion": ""]
            }
            properties["encryption"] = encryption
        }
        return ["id": "/subscriptions/\(subscription)/resourceGroups/\(account.resourceGroup)/providers/Microsoft.Storage/storageAccounts/\(name)",
                "name": name, "type": "Microsoft.Storage/storageAccounts", "location": "westeurope", "kind": "StorageV2",
                "sku": ["name": "Standard_GRS", "tier": "Standard"], "tags": account.tags, "properties": properties]
    }

    static func networkSecurityGroup(_ group: NetworkSecurityGroup, _ subscription: String) -> [String: Any] {
        let groupID = "/subscriptions/\(subscription)/resourceGroups/\(group.resourceGroup)/providers/Microsoft.Network/networkSecurityGroups/\(group.name)"
        func rule(_ name: String, _ properties: [String: Any]) -> [String: Any] {
            ["name": name, "id": "\(groupID)/\((properties["priority"] as? Int ?? 0) >= 65000 ? "defaultSecurityRules" : "securityRules")/\(name)",
             "etag": "W/\"3f6a1c2e-0000-4000-8000-000000000001\"", "type": "Microsoft.Network/networkSecurityGroups/securityRules",
             "properties": properties.merging(["provisioningState": "Succeeded", "protocol": "*", "sourcePortRange": "*", "sourcePortRanges": [] as [String],
                                               "destinationAddressPrefixes": [] as [String]]) { mine, _ in mine }]
        }
        let own = group.rules.map { r -> [String: Any] in
            var properties: [String: Any] = ["access": r.access, "direction": r.direction, "priority": r.priority, "protocol": "Tcp",
                                             "destinationAddressPrefix": "*", "sourceAddressPrefixes": r.sources, "destinationPortRanges": r.ports]
            if let source = r.source { properties["sourceAddressPrefix"] = source }
            if let port = r.port { properties["destinationPortRange"] = port }
            return rule(r.name, properties)
        }
        func builtIn(_ name: String, _ direction: String, _ access: String, _ priority: Int, _ source: String, _ destination: String) -> [String: Any] {
            rule(name, ["access": access, "direction": direction, "priority": priority, "sourceAddressPrefix": source, "destinationAddressPrefix": destination,
                        "destinationPortRange": "*", "sourceAddressPrefixes": [] as [String], "destinationPortRanges": [] as [String],
                        "description": "Default rule"])
        }
        let defaults = [
            builtIn("AllowVnetInBound", "Inbound", "Allow", 65000, "VirtualNetwork", "VirtualNetwork"),
            builtIn("AllowAzureLoadBalancerInBound", "Inbound", "Allow", 65001, "AzureLoadBalancer", "*"),
            builtIn("DenyAllInBound", "Inbound", "Deny", 65500, "*", "*"),
            builtIn("AllowVnetOutBound", "Outbound", "Allow", 65000, "VirtualNetwork", "VirtualNetwork"),
            builtIn("AllowInternetOutBound", "Outbound", "Allow", 65001, "*", "Internet"),
            builtIn("DenyAllOutBound", "Outbound", "Deny", 65500, "*", "*"),
        ]
        return ["id": groupID, "name": group.name, "type": "Microsoft.Network/networkSecurityGroups", "location": "westeurope",
                "etag": "W/\"3f6a1c2e-0000-4000-8000-000000000000\"",
                "properties": ["provisioningState": "Succeeded", "resourceGuid": "2bd3a6f1-0000-4000-8000-000000000000",
                               "securityRules": own, "defaultSecurityRules": defaults] as [String: Any]]
    }

    static func diagnosticSetting(_ setting: DiagnosticSetting, _ subscription: String) -> [String: Any] {
        var properties: [String: Any] = ["logs": setting.logs.map { log -> [String: Any] in
            // ARM writes the member it does not use as null.
            let category: Any = log.category ?? NSNull()
            let group: Any = log.categoryGroup ?? NSNull()
            return ["enabled": log.enabled, "category": category, "categoryGroup": group]
        }]
        if let id = setting.storageAccountId { properties["storageAccountId"] = id }
        if let id = setting.workspaceId { properties["workspaceId"] = id }
        if let id = setting.eventHubAuthorizationRuleId {
            properties["eventHubAuthorizationRuleId"] = id
            properties["eventHubName"] = "activity-log"
        }
        return ["id": "/subscriptions/\(subscription)/providers/microsoft.insights/diagnosticSettings/\(setting.name)", "name": setting.name,
                "type": "Microsoft.Insights/diagnosticSettings", "properties": properties]
    }

    static let armHeaders = ["x-ms-request-id": "4c2e1d0f-0000-4000-8000-00000000abcd", "x-ms-correlation-request-id": correlationID]

    static func armError(_ status: Int, _ code: String, _ message: String, headers: [String: String] = [:]) -> HTTPResponse {
        FakeMicrosoftIdentity.json(["error": ["code": code, "message": message]], status: status,
                                   headers: headers.merging(armHeaders) { first, _ in first })
    }
}

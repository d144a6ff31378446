import Core
import Foundation
import HTTP

/// Calls to Azure Resource Manager with an app-only token from the Microsoft identity platform
/// (`MicrosoftIdentityToken`, shared with the Entra source); list operations are followed across `nextLink`.
struct AzureResourceManagerClient: Sendable {
    /// App-only tokens for ARM carry the Azure RBAC roles the app's service principal holds; `.default` asks for them.
    static let scope = "https://management.azure.com/.default"
    /// Pages followed before giving up on a list that never ends.
    static let maxPages = 10_000

    let identity: MicrosoftIdentityToken
    /// ARM's root; every `nextLink` must point at the same scheme, host and port (the token goes with it).
    let managementURL: URL

    var source: SourceID { identity.source }

    /// Every item of an ARM list operation (`{"value": [...], "nextLink": "..."}`), following `nextLink` until ARM
    /// sends none. `path` is percent-encoded and starts with `/subscriptions/`. Throws on any answer but 2xx, on a
    /// body that is not such a page, and on a next link to another host.
    func list<Item: Decodable & Sendable>(_ path: String, apiVersion: String, operation: String) async throws -> [Item] {
        let first = try APIURL.build(base: managementURL, path: path, query: [URLQueryItem(name: "api-version", value: apiVersion)],
                                     source: source, system: "Azure Resource Manager")
        let listed = try await Pagination.collect(
            from: first, base: managementURL, system: "Azure Resource Manager", operation: operation, source: source, maxPages: Self.maxPages,
            get: { try await identity.get($0, operation: operation) },
            decode: { response in
                do throws(JSONBody.Malformed) {
                    return try JSONBody.decode(ARMPage<Item>.self, from: response.body).value
                } catch {
                    throw SourceError.unavailable(source: source, reason: "\(operation): the answer is not the expected list (\(error.reason))")
                }
            },
            failure: { failure(operation, $0) },
            next: { _, response in
                (try? JSONBody.decode(ARMPage<Item>.self, from: response.body))?.nextLink.flatMap { $0.isEmpty ? nil : URL(string: $0) }
            })
        switch listed {
        case .items(let items): return items
        case .refused(let response): throw failure(operation, response)
        }
    }

    /// A readable failure: operation, status, ARM's error code and message, the correlation id to quote to Microsoft
    /// support, and for a refusal the role the app's service principal lacks.
    func failure(_ operation: String, _ response: HTTPResponse) -> SourceError {
        let hint = switch response.status {
        case 403: "; assign the app registration's service principal the Reader role on the subscription (Access control (IAM) → Add role assignment)"
        case 404: "; check settings.subscriptions lists subscription ids the tenant holds"
        default: ""
        }
        return identity.failure(operation, response, requestIDHeader: "x-ms-correlation-request-id", requestIDLabel: "correlation id", hint: hint)
    }
}

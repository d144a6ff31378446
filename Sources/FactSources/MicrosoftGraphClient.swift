import Core
import Foundation
import HTTP

/// Calls to Microsoft Graph with an app-only token from the Microsoft identity platform (`MicrosoftIdentityToken`,
/// shared with the Azure source); collections are followed across `@odata.nextLink`. Used by the Entra and Intune
/// sources, which differ in what they read and in the permissions a refusal names.
struct MicrosoftGraphClient: Sendable {
    /// App-only tokens carry the application permissions an admin consented to; `.default` asks for all of them.
    static let scope = "https://graph.microsoft.com/.default"
    /// Pages followed before giving up on a collection that never ends.
    static let maxPages = 10_000

    let identity: MicrosoftIdentityToken
    /// Graph's root; every `@odata.nextLink` must point at the same scheme, host and port.
    let graphURL: URL
    /// Appended to a 403: the application permissions the source needs (`; the app needs …`).
    let forbiddenHint: String

    var source: SourceID { identity.source }

    /// Every item of a collection, following `@odata.nextLink` until Graph sends none. Throws on any answer but
    /// 200, and on a next link to another host (the token is never sent elsewhere).
    func list<Item: Decodable>(_ path: String, query: [URLQueryItem] = [], operation: String) async throws -> [Item] {
        guard let items: [Item] = try await list(path, query: query, operation: operation, forbiddenIsNil: false) else {
            throw SourceError.unavailable(source: source, reason: "\(operation): forbidden")
        }
        return items
    }

    /// Like `list`, but nil when Graph answers 403 (a report that needs a licence or permission the tenant lacks).
    func listUnlessForbidden<Item: Decodable>(_ path: String, query: [URLQueryItem] = [], operation: String) async throws -> [Item]? {
        try await list(path, query: query, operation: operation, forbiddenIsNil: true)
    }

    private func list<Item: Decodable>(_ path: String, query: [URLQueryItem], operation: String, forbiddenIsNil: Bool) async throws -> [Item]? {
        var components = URLComponents(url: graphURL, resolvingAgainstBaseURL: false)!
        let basePath = components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path
        components.path = basePath + path
        components.queryItems = query.isEmpty ? nil : query
        guard var url = components.url else { throw SourceError.unavailable(source: source, reason: "\(operation): cannot build a URL") }
        var items: [Item] = []
        var seen: Set<String> = []
        for _ in 0..<Self.maxPages {
            let response = try await get(url, operation: operation)
            if response.status == 403, forbiddenIsNil { return nil }
            guard response.status == 200 else { throw failure(operation, response) }
            let page: GraphPage<Item>
            do {
                page = try JSONDecoder().decode(GraphPage<Item>.self, from: response.body)
            } catch {
                throw SourceError.unavailable(source: source, reason: "\(operation): the answer is not the expected collection (\(Self.decodingProblem(error)))")
            }
            items += page.value
            guard let link = page.nextLink else { return items }
            guard let next = URL(string: link), next.scheme == graphURL.scheme, next.host == graphURL.host, next.port == graphURL.port else {
                throw SourceError.unavailable(source: source, reason: "\(operation): the next page link points away from \(graphURL.host ?? "Graph"); not followed")
            }
            guard seen.insert(link).inserted else {
                throw SourceError.unavailable(source: source, reason: "\(operation): the same next page link came back twice; the listing would never end")
            }
            url = next
        }
        throw SourceError.unavailable(source: source, reason: "\(operation): more than \(Self.maxPages) pages")
    }

    /// A GET with the bearer token, replaced once on a 401.
    func get(_ url: URL, operation: String) async throws -> HTTPResponse {
        try await identity.get(url, operation: operation)
    }

    /// The client for a Graph source: credentials (`client_id`, `client_secret`, else the kind's default variables),
    /// `settings.tenant_id`, `settings.authority` and `settings.graph_url` (default `https://graph.microsoft.com`);
    /// throws `SourceError.unavailable` saying what to set. `sleep` waits out throttling.
    static func make(config: SourceConfig, settings: DescribedSettings, environment: [String: String], transport: any HTTPTransport,
                     defaultClientIDVariable: String,
                     defaultClientSecretVariable: String, forbiddenHint: String, now: @escaping @Sendable () -> Date,
                     sleep: @escaping @Sendable (TimeInterval) async throws -> Void) throws -> MicrosoftGraphClient {
        let identity = try MicrosoftIdentityToken(config: config, settings: settings, environment: environment,
                                                  defaultClientIDVariable: defaultClientIDVariable,
                                                  defaultClientSecretVariable: defaultClientSecretVariable, scope: scope,
                                                  sender: ThrottledSender(transport: transport, sleep: sleep, now: now), now: now)
        return MicrosoftGraphClient(identity: identity, graphURL: try settings.url("graph_url"), forbiddenHint: forbiddenHint)
    }

    /// A readable failure: operation, status, Graph's error code and message, and the request id to quote to
    /// Microsoft support.
    func failure(_ operation: String, _ response: HTTPResponse) -> SourceError {
        let hint = response.status == 403 ? forbiddenHint : ""
        return identity.failure(operation, response, requestIDHeader: "request-id", requestIDLabel: "request id", hint: hint)
    }

    /// Which field failed to decode, without any of the payload.
    static func decodingProblem(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "not JSON" }
        switch error {
        case .keyNotFound(let key, let context): return "missing \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case .dataCorrupted: return "not JSON"
        @unknown default: return "undecodable"
        }
    }
}

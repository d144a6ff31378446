import Core
import Foundation
import HTTP

/// Calls to the Admin SDK Directory API as a service account acting for a Workspace admin (domain-wide delegation),
/// with the access token cached across calls (`GoogleServiceAccountAuth`).
struct GoogleDirectoryClient: Sendable {
    /// The one scope the bot asks for: read users, nothing else.
    static let scope = "https://www.googleapis.com/auth/admin.directory.user.readonly"
    /// Users per page: the most `users.list` allows.
    static let pageSize = 500
    /// Pages followed before giving up on a directory that keeps answering with a next page (5 million users).
    static let maxPages = 10_000

    let source: SourceID
    /// The service account acting for the Workspace admin (the JWT's `sub`).
    let auth: GoogleServiceAccountAuth
    let customer: String
    let baseURL: URL

    /// Every user of the customer, following `nextPageToken` until Google sends none.
    func users() async throws -> [GoogleUser] {
        try await PageTokens.collect(operation: "users.list", source: source, maxPages: Self.maxPages) { pageToken in
            var query = [URLQueryItem(name: "customer", value: customer), URLQueryItem(name: "maxResults", value: "\(Self.pageSize)"),
                         URLQueryItem(name: "projection", value: "basic"), URLQueryItem(name: "orderBy", value: "email")]
            if let pageToken { query.append(URLQueryItem(name: "pageToken", value: pageToken)) }
            let response = try await get("/admin/directory/v1/users", query: query, operation: "users.list")
            guard let page = try? JSONDecoder().decode(GoogleUsersPage.self, from: response.body), page.kind != nil || page.users != nil else {
                throw SourceError.unavailable(source: source, reason: "users.list: the answer is not a user list")
            }
            return (page.users ?? [], page.nextPageToken)
        }
    }

    /// A GET with the bearer token (a 401 fetches a new token once); any answer but 200 is an error naming the
    /// operation, status and Google's error status — never the token.
    func get(_ path: String, query: [URLQueryItem], operation: String) async throws -> HTTPResponse {
        var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false)!
        let basePath = components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path
        components.path = basePath + path
        components.queryItems = query
        guard let url = components.url else { throw SourceError.unavailable(source: source, reason: "\(operation): cannot build a URL") }
        let response = try await auth.send("GET", url, operation: operation)
        guard response.status == 200 else { throw auth.failure(operation, response) }
        return response
    }

    /// What to do when Google refuses the token request for the delegated admin.
    static func refusalHints(scope: String) -> [String: String] {
        let delegation = "in the Admin console, grant the service account's client id domain-wide delegation for \(scope)"
        return ["unauthorized_client": delegation, "access_denied": delegation,
                "invalid_grant": "check the key is not deleted or expired, the clock is right, and settings.admin_email names a Workspace admin"]
    }
}

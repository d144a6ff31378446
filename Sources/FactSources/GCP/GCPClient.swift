import Core
import Foundation
import HTTP

/// Calls to Google Cloud's REST APIs (Cloud Storage JSON API, Compute Engine, Cloud Resource Manager) as the
/// service account itself, with the token cached across calls. Any answer but 200 is an error naming the
/// operation, the HTTP status and Google's `error.status`/`error.message`; a body that does not decode is an
/// error naming the field, never a pass.
struct GCPClient: Sendable {
    /// Read-only access to every Cloud API the service account's IAM roles allow.
    static let scope = "https://www.googleapis.com/auth/cloud-platform.read-only"
    /// Pages followed per listing before giving up (a page holds up to 500 firewalls or 1,000 buckets).
    static let maxPages = 1_000

    let source: SourceID
    let auth: GoogleServiceAccountAuth
    let storageURL: URL
    let computeURL: URL
    let resourceManagerURL: URL

    /// GET `path` (percent-encoded) under `base`, decoded as `T`.
    func get<T: Decodable>(_ type: T.Type, base: URL, path: String, query: [URLQueryItem] = [], operation: String) async throws -> T {
        let url = try APIURL.build(base: base, path: path, query: query, source: source, system: "GCP")
        return try decode(type, try await auth.send("GET", url, operation: operation), operation: operation)
    }

    /// POST a JSON `body` to `path` under `base` (Google's read methods that take options, like `getIamPolicy`).
    func post<T: Decodable>(_ type: T.Type, base: URL, path: String, json body: String, operation: String) async throws -> T {
        let url = try APIURL.build(base: base, path: path, query: [], source: source, system: "GCP")
        let response = try await auth.send("POST", url, body: Data(body.utf8), contentType: "application/json", operation: operation)
        return try decode(type, response, operation: operation)
    }

    private func decode<T: Decodable>(_ type: T.Type, _ response: HTTPResponse, operation: String) throws -> T {
        guard response.status == 200 else { throw auth.failure(operation, response) }
        do {
            return try JSONBody.decode(type, from: response.body)
        } catch {
            throw SourceError.unavailable(source: source, reason: "\(operation): the answer is malformed (\(error.reason))")
        }
    }

    /// One path segment, percent-encoded (a bucket or project name never holds `/`, but is encoded as if it could).
    static func segment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/:;?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// What to do when Google refuses the token request for the service account.
    static let refusalHints: [String: String] = [
        "invalid_grant": "check the key is not deleted or disabled and the clock is right",
        "unauthorized_client": "the service account may not request \(scope); check the key belongs to a service account",
    ]
}

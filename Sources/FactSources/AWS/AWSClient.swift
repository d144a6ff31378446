import Core
import Foundation
import HTTP

/// Signed calls to AWS APIs (or an emulator at a custom endpoint) through the shared HTTP transport.
struct AWSClient: Sendable {
    /// Most pages one listing may take (a listing beyond it is an error, never a silent cut).
    static let maxPages = 10_000
    let source: SourceID
    var credentials: AWSCredentials
    /// Sends every service to this base URL (moto, LocalStack, a proxy) with path-style S3; nil means real AWS.
    let endpoint: URL?
    let transport: any HTTPTransport
    /// Signing time, and the waits for a credential report.
    let clock: any BotClock

    /// The base URL of `service` in `region`.
    func baseURL(service: String, region: String) -> URL {
        if let endpoint { return endpoint }
        let host = service == "s3" ? (region == "us-east-1" ? "s3.amazonaws.com" : "s3.\(region).amazonaws.com")
                                   : "\(service).\(region).amazonaws.com"
        return URL(string: "https://\(host)")!
    }

    /// One signed request. `query` is already encoded as AWS expects (e.g. `encryption`, `list-type=2`).
    func send(service: String, region: String, method: String = "GET", path: String, query: String? = nil,
              headers: [(name: String, value: String)] = [], body: Data = Data(), idempotent: Bool? = nil) async throws -> HTTPResponse {
        var components = URLComponents(url: baseURL(service: service, region: region), resolvingAgainstBaseURL: false)!
        let basePath = components.percentEncodedPath.hasSuffix("/") ? String(components.percentEncodedPath.dropLast()) : components.percentEncodedPath
        components.percentEncodedPath = basePath + path
        components.percentEncodedQuery = query
        guard let url = components.url else {
            throw SourceError.unavailable(source: source, reason: "cannot build a URL for \(service) \(path)")
        }
        var request = HTTPRequest(method: method, url: url, headers: headers, body: body, idempotent: idempotent)
        SigV4Signer(credentials: credentials, region: region, service: service).sign(&request, at: clock.now())
        return try await transport.send(request)
    }

    /// A readable failure for an unexpected answer: the operation, status, AWS error code and request id —
    /// never the request's headers or body.
    func failure(_ operation: String, _ response: HTTPResponse) -> SourceError {
        let xml = XMLElementNode.parse(response.body)
        let code = xml?.descendants("Code").first?.text ?? "no error code"
        let requestID = response.header("x-amz-request-id") ?? xml?.descendants("RequestId").first?.text
        return .unavailable(source: source, reason: "\(operation): HTTP \(response.status) \(code)" + (requestID.map { " (request id \($0))" } ?? ""))
    }

    /// The AWS error code of an error response, if it has one.
    static func errorCode(_ response: HTTPResponse) -> String? {
        XMLElementNode.parse(response.body)?.descendants("Code").first?.text
    }
}

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// HTTP over URLSession, which on Linux is libcurl (the system libcurl.so.4). Proxies come from the standard
/// environment variables (`https_proxy`, `http_proxy`, `no_proxy`), which libcurl reads itself.
///
/// The session is created on the first request, not at construction: building one loads and initialises libcurl
/// and OpenSSL (about 10 MB resident), which a bot with no HTTP source or chat platform should not pay for.
/// A request with its own `timeout` (a long poll) gets a session configured for that timeout, created the same way.
/// `@unchecked Sendable`: the only mutable state is `lazySessions`, read and written under `lock`.
///
/// A private CA (a TLS-inspecting proxy's): with `caFile` (by default the file `SOC2BOT_CA_FILE` names, checked at
/// start-up by `Bot.inboundServices`) every exchange goes through libcurl's easy API directly (`CurlExchange`), which
/// trusts that file instead of the system store; URLSession on Linux offers no way to.
package final class URLSessionTransport: HTTPTransport, @unchecked Sendable {
    /// Seconds to wait for the whole exchange.
    let timeout: TimeInterval
    /// The PEM file of CAs to trust instead of the system store (nil: the system store, through URLSession).
    package let caFile: String?
    private let lock = NSLock()
    private var lazySessions: [TimeInterval: URLSession] = [:]

    /// The environment variable naming a PEM file of CAs to trust instead of the system store.
    package static let caFileVariable = "SOC2BOT_CA_FILE"

    package init(timeout: TimeInterval = 30, caFile: String? = ProcessInfo.processInfo.environment[URLSessionTransport.caFileVariable]) {
        self.timeout = timeout
        self.caFile = caFile.flatMap { $0.isEmpty ? nil : $0 }
    }

    private func session(timeout: TimeInterval) -> URLSession {
        lock.lock()
        defer { lock.unlock() }
        if let session = lazySessions[timeout] { return session }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout * 2
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        // Each source's own limiter bounds its requests in flight (`max_concurrency`, 16 unless set, at most 256); this
        // cap only must not queue them behind fewer connections (scripts/bench-aws, 30 ms a request: the default of 6
        // connections a host cost +57% wall time, 16 cost +40% at `max_concurrency: 64`).
        configuration.httpMaximumConnectionsPerHost = 256
        let session = URLSession(configuration: configuration)
        lazySessions[timeout] = session
        return session
    }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let timeout = request.timeout ?? self.timeout
        if let caFile { return try await CurlExchange.send(request, timeout: timeout, caFile: caFile) }
        var urlRequest = URLRequest(url: request.url, timeoutInterval: timeout)
        urlRequest.httpMethod = request.method
        // Repeated headers are joined with commas, which is how HTTP defines their meaning.
        var joined: [(String, String)] = []
        for (name, value) in request.headers {
            if let i = joined.firstIndex(where: { $0.0.caseInsensitiveCompare(name) == .orderedSame }) {
                joined[i].1 += "," + value
            } else {
                joined.append((name, value))
            }
        }
        for (name, value) in joined { urlRequest.setValue(value, forHTTPHeaderField: name) }
        if !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method.uppercased()) {
            urlRequest.httpBody = request.body
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session(timeout: timeout).data(for: urlRequest)
        } catch {
            throw HTTPError.transport(method: request.method, url: HTTPError.redacted(request.url), reason: Self.reason(error))
        }
        guard let http = response as? HTTPURLResponse else {
            throw HTTPError.transport(method: request.method, url: HTTPError.redacted(request.url), reason: "not an HTTP response")
        }
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
        }
        return HTTPResponse(status: http.statusCode, headers: headers, body: data)
    }

    /// The error's kind, without the URL it may repeat (with its query string).
    private static func reason(_ error: any Error) -> String {
        if let urlError = error as? URLError {
            switch urlError.code {
            case .timedOut: return "timed out"
            case .cannotConnectToHost: return "connection refused"
            case .cannotFindHost, .dnsLookupFailed: return "host not found"
            case .networkConnectionLost: return "connection lost"
            case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate: return "TLS failed"
            default: return "URLError \(urlError.code.rawValue)"
            }
        }
        return String(describing: type(of: error))
    }
}

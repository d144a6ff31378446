import CCurl
import Foundation

/// One HTTP exchange through libcurl's easy API, for what URLSession on Linux cannot do: trust a private CA
/// (`CURLOPT_CAINFO`; FoundationNetworking sets only libcurl's built-in bundle, and libcurl reads no environment
/// variable for it). The same libcurl as URLSession, set up as URLSession does: http and https only (redirects
/// too, at most 10 followed), compressed answers decoded, proxies from `https_proxy` / `http_proxy` / `no_proxy`
/// (libcurl reads them itself), peer and host name always verified.
///
/// The call blocks, so it runs on a thread of its own, never on the concurrency pool.
enum CurlExchange {
    /// Sends `request` trusting the CAs in `caFile` (PEM) instead of the system store.
    static func send(_ request: HTTPRequest, timeout: TimeInterval, caFile: String) async throws -> HTTPResponse {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try perform(request, timeout: timeout, caFile: caFile) })
            }
        }
    }

    /// What libcurl hands back while it reads the answer: body bytes, and header lines (of the last response when it
    /// followed a redirect or saw `100 Continue`).
    private final class Received {
        var body = Data()
        var headers: [String: String] = [:]
    }

    private static let initialised: Bool = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK }()

    private static func perform(_ request: HTTPRequest, timeout: TimeInterval, caFile: String) throws -> HTTPResponse {
        let redacted = HTTPError.redacted(request.url)
        func failure(_ reason: String) -> HTTPError { .transport(method: request.method, url: redacted, reason: reason) }
        guard initialised, let handle = curl_easy_init() else { throw failure("libcurl could not be initialised") }
        defer { curl_easy_cleanup(handle) }

        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        var joined: [(String, String)] = []
        for (name, value) in request.headers {
            if let i = joined.firstIndex(where: { $0.0.caseInsensitiveCompare(name) == .orderedSame }) { joined[i].1 += "," + value } else { joined.append((name, value)) }
        }
        // libcurl adds `Expect: 100-continue` to large bodies; URLSession does not, and some servers stall on it.
        for line in joined.map({ "\($0.0): \($0.1)" }) + ["Expect:"] { headerList = curl_slist_append(headerList, line) }

        let received = Received()
        let user = Unmanaged.passUnretained(received).toOpaque()
        let body = request.body
        let status: CURLcode = request.url.absoluteString.withCString { url in
            caFile.withCString { ca in
                request.method.uppercased().withCString { method in
                    body.withUnsafeBytes { bytes -> CURLcode in
                        let protocols = Int(CURLPROTO_HTTP | CURLPROTO_HTTPS)
                        let setup: [CURLcode] = [
                            soc2bot_curl_setopt_pointer(handle, CURLOPT_URL, url),
                            soc2bot_curl_setopt_pointer(handle, CURLOPT_CAINFO, ca),
                            soc2bot_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1),
                            soc2bot_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2),
                            soc2bot_curl_setopt_long(handle, CURLOPT_PROTOCOLS, protocols),
                            soc2bot_curl_setopt_long(handle, CURLOPT_REDIR_PROTOCOLS, protocols),
                            soc2bot_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 1),
                            soc2bot_curl_setopt_long(handle, CURLOPT_MAXREDIRS, 10),
                            soc2bot_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1),
                            soc2bot_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(max(1, timeout * 1000))),
                            soc2bot_curl_setopt_pointer(handle, CURLOPT_ACCEPT_ENCODING, ""),
                            soc2bot_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, headerList),
                            soc2bot_curl_setopt_pointer(handle, CURLOPT_CUSTOMREQUEST, method),
                            request.method.uppercased() == "HEAD" ? soc2bot_curl_setopt_long(handle, CURLOPT_NOBODY, 1) : CURLE_OK,
                            soc2bot_curl_setopt_callback(handle, CURLOPT_WRITEFUNCTION, { data, size, count, user in
                                guard let data, let user else { return 0 }
                                Unmanaged<Received>.fromOpaque(user).takeUnretainedValue().body.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: size * count)
                                return size * count
                            }),
                            soc2bot_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, user),
                            soc2bot_curl_setopt_callback(handle, CURLOPT_HEADERFUNCTION, { data, size, count, user in
                                guard let data, let user else { return 0 }
                                let received = Unmanaged<Received>.fromOpaque(user).takeUnretainedValue()
                                let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
                                if line.hasPrefix("HTTP/") { received.headers = [:] }   // a new response (after a redirect or 100)
                                if let colon = line.firstIndex(of: ":") {
                                    let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                                    let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                                    received.headers[name] = received.headers[name].map { $0 + ", " + value } ?? value
                                }
                                return size * count
                            }),
                            soc2bot_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, user),
                            !body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method.uppercased())
                                ? soc2bot_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)) : CURLE_OK,
                            !body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method.uppercased())
                                ? soc2bot_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, bytes.baseAddress ?? UnsafeRawPointer(ca)) : CURLE_OK,
                        ]
                        if let bad = setup.first(where: { $0 != CURLE_OK }) { return bad }
                        return curl_easy_perform(handle)
                    }
                }
            }
        }
        guard status == CURLE_OK else { throw failure(reason(status)) }
        var code = 0
        _ = soc2bot_curl_response_code(handle, &code)
        return HTTPResponse(status: code, headers: received.headers, body: received.body)
    }

    /// The failure's kind, worded as `URLSessionTransport` words it; never the URL.
    private static func reason(_ code: CURLcode) -> String {
        switch code {
        case CURLE_OPERATION_TIMEDOUT: "timed out"
        case CURLE_COULDNT_CONNECT: "connection refused"
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: "host not found"
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CACERT_BADFILE: "TLS failed"
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING: "connection lost"
        default: "libcurl error \(code.rawValue)"
        }
    }
}

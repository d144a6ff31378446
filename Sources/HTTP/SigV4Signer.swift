import Core
import Crypto
import Foundation

/// AWS credentials. `description` never shows the secret or the session token.
package struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    package var accessKeyID: String
    package var secretAccessKey: String
    package var sessionToken: String?

    package init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID; self.secretAccessKey = secretAccessKey; self.sessionToken = sessionToken
    }

    /// From `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and optionally `AWS_SESSION_TOKEN` (or the variables the
    /// manifests name instead); nil when the key id or secret is missing.
    package static func fromEnvironment(_ environment: [String: String], accessKeyVariable: String = "AWS_ACCESS_KEY_ID",
                                        secretVariable: String = "AWS_SECRET_ACCESS_KEY",
                                        tokenVariable: String = "AWS_SESSION_TOKEN") -> AWSCredentials? {
        guard let id = environment[accessKeyVariable], !id.isEmpty,
              let secret = environment[secretVariable], !secret.isEmpty else { return nil }
        return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: environment[tokenVariable].flatMap { $0.isEmpty ? nil : $0 })
    }

    package var description: String { "AWSCredentials(\(accessKeyID), secret redacted\(sessionToken == nil ? "" : ", session token redacted"))" }
}

/// AWS Signature Version 4 (docs: "Create a signed AWS API request"), verified against AWS's published test suite
/// and a signature-checking moto server.
package struct SigV4Signer: Sendable {
    package var credentials: AWSCredentials
    package var region: String
    package var service: String
    /// Normalise `.`/`..`/`//` in the path and URI-encode each segment twice. True for every service but S3.
    package var normalizesPath: Bool
    /// Whether the session token is signed (most services) or added after signing (a few legacy endpoints).
    package var signsSessionToken: Bool

    package init(credentials: AWSCredentials, region: String, service: String, signsSessionToken: Bool = true) {
        self.credentials = credentials; self.region = region; self.service = service
        self.normalizesPath = service != "s3"
        self.signsSessionToken = signsSessionToken
    }

    /// Adds `X-Amz-Date`, the session token, `X-Amz-Content-Sha256` (S3) and `Authorization` to `request`.
    package func sign(_ request: inout HTTPRequest, at date: Date) {
        let stamp = Self.amzDate(date)
        if request.header("host") == nil, let host = request.url.host {
            let port = request.url.port.map { ":\($0)" } ?? ""
            request.headers.insert(("Host", host + port), at: 0)
        }
        if request.header("x-amz-date") == nil { request.setHeader("X-Amz-Date", stamp.full) }
        let payloadHash = Self.hex(SHA256.hash(data: request.body))
        if service == "s3" { request.setHeader("X-Amz-Content-Sha256", payloadHash) }
        if let token = credentials.sessionToken, signsSessionToken { request.setHeader("X-Amz-Security-Token", token) }

        let (canonical, signedHeaders) = canonicalRequest(request, payloadHash: payloadHash)
        let scope = "\(stamp.day)/\(region)/\(service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(request.header("x-amz-date") ?? stamp.full)\n\(scope)\n" + Self.hex(SHA256.hash(data: Data(canonical.utf8)))
        let signature = self.signature(stringToSign: stringToSign, day: stamp.day)
        request.setHeader("Authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)")
        if let token = credentials.sessionToken, !signsSessionToken { request.setHeader("X-Amz-Security-Token", token) }
    }

    /// The canonical request and the signed-headers list (exposed for the test suite's intermediate values).
    package func canonicalRequest(_ request: HTTPRequest, payloadHash: String) -> (String, String) {
        var grouped: [String: [String]] = [:]
        for (name, value) in request.headers where name.lowercased() != "authorization" {
            grouped[name.lowercased(), default: []].append(Self.trimAll(value))
        }
        let names = grouped.keys.sorted()
        let headerBlock = names.map { "\($0):\(grouped[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let canonical = [request.method.uppercased(), canonicalPath(request.url), Self.canonicalQuery(request.url),
                         headerBlock, signedHeaders, payloadHash].joined(separator: "\n")
        return (canonical, signedHeaders)
    }

    /// HMAC-SHA256 of the string to sign with the key derived for `day` (`yyyyMMdd`), hex.
    package func signature(stringToSign: String, day: String) -> String {
        Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: signingKey(day: day)))
    }

    /// `AWS4-HMAC-SHA256 \n time \n scope \n hex(SHA-256(canonical request))`.
    package func stringToSign(canonicalRequest: String, at date: Date) -> String {
        let stamp = Self.amzDate(date)
        return "AWS4-HMAC-SHA256\n\(stamp.full)\n\(stamp.day)/\(region)/\(service)/aws4_request\n" + Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8)))
    }

    private func signingKey(day: String) -> SymmetricKey {
        func hmac(_ key: SymmetricKey, _ text: String) -> SymmetricKey {
            SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)))
        }
        let secret = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        return hmac(hmac(hmac(hmac(secret, day), region), service), "aws4_request")
    }

    private func canonicalPath(_ url: URL) -> String {
        let raw = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedPath ?? url.path
        let path = raw.isEmpty ? "/" : raw
        guard normalizesPath else { return path }
        var segments: [String] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": if !segments.isEmpty { segments.removeLast() }
            default: segments.append(Self.encode(String(segment).removingPercentEncoding ?? String(segment), encodeSlash: true))
            }
        }
        // Double encoding for non-S3 services: each segment is encoded once more.
        let encoded = segments.map { Self.encode($0, encodeSlash: true) }
        let trailing = path.hasSuffix("/") && !encoded.isEmpty ? "/" : ""
        return "/" + encoded.joined(separator: "/") + trailing
    }

    private static func canonicalQuery(_ url: URL) -> String {
        guard let query = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedQuery, !query.isEmpty else { return "" }
        let pairs = query.split(separator: "&", omittingEmptySubsequences: true).map { item -> (String, String) in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            return (encode(key, encodeSlash: true), encode(value, encodeSlash: true))
        }
        return pairs.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// RFC 3986 encoding: everything but `A-Z a-z 0-9 - _ . ~` (and `/` when allowed) as upper-case `%XX` of UTF-8.
    package static func encode(_ text: String, encodeSlash: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            case UInt8(ascii: "/") where !encodeSlash:
                out.append("/")
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// Header values: leading/trailing space removed, inner runs of spaces collapsed to one.
    private static func trimAll(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ").trimmingCharacters(in: .whitespaces)
    }

    private static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        Data(digest).hexString
    }

    /// `20150830T123600Z` and `20150830`.
    package static func amzDate(_ date: Date) -> (full: String, day: String) { TimeText.compactUTC(date) }
}

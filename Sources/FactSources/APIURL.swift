import Core
import Foundation

/// URLs of REST APIs under a configured base (`https://HOST/api/v3`, a self-managed instance under a path).
enum APIURL {
    /// `path` (percent-encoded segments, starting with `/`) appended to `base`'s own path, with `query`; a literal
    /// `+` in a query value is encoded, since many servers read it as a space.
    static func build(base: URL, path: String, query: [URLQueryItem], source: SourceID, system: String) throws -> URL {
        var components = URLComponents(url: base, resolvingAgainstBaseURL: false)
        let basePath = components?.percentEncodedPath ?? ""
        components?.percentEncodedPath = (basePath.hasSuffix("/") ? String(basePath.dropLast()) : basePath) + path
        components?.queryItems = query.isEmpty ? nil : query
        let query = components?.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        components?.percentEncodedQuery = query
        guard let url = components?.url else {
            throw SourceError.unavailable(source: source, reason: "cannot build a \(system) API URL for \(path)")
        }
        return url
    }
}

extension APIURL {
    /// A configured http(s) URL with a host (`settings.base_url`), or an error naming the setting.
    static func setting(_ text: String, name: String, source: SourceID) throws -> URL {
        guard let url = URL(string: text), url.scheme == "https" || url.scheme == "http", url.host != nil else {
            throw SourceError.unavailable(source: source, reason: "\(name) `\(text)` is not an http(s) URL")
        }
        return url
    }
}

import Core
import Foundation
import HTTP

/// The `Link` response header (RFC 8288) that GitHub and GitLab use for pagination:
/// `<https://api.github.com/orgs/acme/members?page=2>; rel="next", <…?page=5>; rel="last"`.
struct LinkHeader: Sendable, Equatable {
    /// Target URL by relation type (`next`, `prev`, `first`, `last`); the first link of a relation wins.
    let links: [String: URL]

    init(_ value: String?) {
        var links: [String: URL] = [:]
        for part in Self.splitLinks(value ?? "") {
            guard let open = part.firstIndex(of: "<"), let close = part[open...].firstIndex(of: ">"),
                  let url = URL(string: String(part[part.index(after: open)..<close])) else { continue }
            for parameter in part[part.index(after: close)...].split(separator: ";") {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2, pair[0].lowercased() == "rel" else { continue }
                // `rel` may hold several space-separated relation types: `rel="next last"`.
                for relation in pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")).split(separator: " ") {
                    let key = relation.lowercased()
                    if links[key] == nil { links[key] = url }
                }
            }
        }
        self.links = links
    }

    /// The next page, if the server says there is one.
    var next: URL? { links["next"] }

    /// Splits on the commas between links, not those inside a `<…>` URL (cursors may hold commas).
    private static func splitLinks(_ value: String) -> [Substring] {
        var parts: [Substring] = []
        var start = value.startIndex
        var insideURL = false
        for index in value.indices {
            switch value[index] {
            case "<": insideURL = true
            case ">": insideURL = false
            case "," where !insideURL:
                parts.append(value[start..<index])
                start = value.index(after: index)
            default: break
            }
        }
        parts.append(value[start...])
        return parts
    }

    /// Whether `url` is on the same origin (scheme, host, port) as `base`: a next-page link elsewhere is never
    /// followed, since following it would send the API token to another host.
    static func sameOrigin(_ url: URL, as base: URL) -> Bool {
        url.scheme?.lowercased() == base.scheme?.lowercased() && url.host?.lowercased() == base.host?.lowercased()
            && (url.port ?? defaultPort(url.scheme)) == (base.port ?? defaultPort(base.scheme))
    }

    private static func defaultPort(_ scheme: String?) -> Int? {
        switch scheme?.lowercased() {
        case "https": 443
        case "http": 80
        default: nil
        }
    }
}

/// Every item of a paginated list, or the first page's refusal for the caller to interpret (a 404 for a feature
/// that is off, a 422 for a filter the token may not use).
enum PagedList<Item: Sendable>: Sendable {
    case items([Item])
    case refused(HTTPResponse)
}

/// The page-following loop the REST sources share: GET each page, decode it, follow `next` — never to another
/// origin (the token would go with it) and never in a loop.
enum Pagination {
    static func collect<Item: Sendable>(
        from first: URL, base: URL, system: String, operation: String, source: SourceID, maxPages: Int,
        get: (URL) async throws -> HTTPResponse, decode: (HTTPResponse) throws -> [Item], failure: (HTTPResponse) -> any Error,
        next: (URL, HTTPResponse) -> URL?
    ) async throws -> PagedList<Item> {
        var page: URL? = first
        var items: [Item] = []
        var seen: Set<URL> = []
        while let current = page {
            guard seen.insert(current).inserted, seen.count <= maxPages else {
                throw SourceError.unavailable(source: source, reason: "\(operation): \(system)'s pagination does not end (a next page repeats)")
            }
            let response = try await get(current)
            guard (200..<300).contains(response.status) else {
                if seen.count == 1 { return .refused(response) }
                throw failure(response)
            }
            items += try decode(response)
            page = next(current, response)
            if let page, !LinkHeader.sameOrigin(page, as: base) {
                throw SourceError.unavailable(source: source, reason: "\(operation): \(system)'s next-page link points to another host "
                                              + "(\(page.host ?? "?")); not following it with the token")
            }
        }
        return .items(items)
    }
}

import Foundation

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

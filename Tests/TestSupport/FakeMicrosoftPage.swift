import Foundation

/// One page of a list the way Microsoft's REST APIs (Graph, Resource Manager) serve it: `{"value": [...]}`, plus a
/// next link while rows remain, which repeats the request's URL and query with the skip token replaced.
package struct FakeMicrosoftPage: Sendable {
    /// The query parameter that carries the position (`$skiptoken` in Graph, `$skipToken` in ARM).
    let skipTokenName: String
    /// Written before the row offset in the token, so a token is not a bare number.
    let skipTokenPrefix: String
    /// The body key of the next link (`@odata.nextLink` in Graph, `nextLink` in ARM).
    let nextLinkKey: String

    package init(skipTokenName: String, skipTokenPrefix: String = "", nextLinkKey: String) {
        self.skipTokenName = skipTokenName; self.skipTokenPrefix = skipTokenPrefix; self.nextLinkKey = nextLinkKey
    }

    /// The row offset the request's skip token names: 0 without one, nil for a token this fake did not issue.
    func offset(_ query: [String: String], rowCount: Int) -> Int? {
        guard let skip = query[skipTokenName] else { return 0 }
        guard skip.hasPrefix(skipTokenPrefix), let value = Int(skip.dropFirst(skipTokenPrefix.count)), value > 0, value < rowCount else { return nil }
        return value
    }

    /// `rows[offset..<offset + size]`, with a next link to `url` (its host replaced by `nextHost` when given).
    func body(_ rows: [[String: Any]], offset: Int, size: Int, url: URL, nextHost: String? = nil) -> [String: Any] {
        let end = min(rows.count, offset + size)
        var body: [String: Any] = ["value": Array(rows[offset..<end])]
        if end < rows.count {
            var components = URLComponents(url: url, resolvingAgainstBaseURL: false)!
            components.queryItems = (components.queryItems ?? []).filter { $0.name != skipTokenName }
                + [URLQueryItem(name: skipTokenName, value: "\(skipTokenPrefix)\(end)")]
            if let nextHost { components.host = nextHost }
            body[nextLinkKey] = components.url!.absoluteString
        }
        return body
    }
}

import Core
import Foundation

/// Token pagination — Google's `pageToken` / `nextPageToken` (Admin SDK, Cloud Storage, Compute), AWS's `Marker`,
/// `NextToken`, `NextMarker` and `ContinuationToken`: ask for a page, follow the token it names until a page names
/// none. A token that comes back twice (a listing that would never end) or more than `maxPages` pages is an error,
/// as is any page the API refuses, so a listing cut short is never taken for a complete one.
enum PageTokens {
    /// Every item of every page. `page` fetches the page for a token (nil for the first) and returns its items
    /// and the next token (nil or empty: the last page); it throws for a refused or malformed page.
    static func collect<Item>(operation: String, source: SourceID, maxPages: Int,
                              page: (String?) async throws -> (items: [Item], next: String?)) async throws -> [Item] {
        var items: [Item] = []
        var pageToken: String?
        var seenTokens: Set<String> = []
        for _ in 0..<maxPages {
            let answer = try await page(pageToken)
            items += answer.items
            guard let next = answer.next, !next.isEmpty else { return items }
            guard seenTokens.insert(next).inserted else {
                throw SourceError.unavailable(source: source, reason: "\(operation): the same page token came back twice; the listing would never end")
            }
            pageToken = next
        }
        throw SourceError.unavailable(source: source, reason: "\(operation): more than \(maxPages) pages")
    }
}

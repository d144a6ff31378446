import Foundation
import Synchronization

/// An OAuth 2.0 access token kept until shortly before it expires, so a run of API calls costs one token request.
/// Refreshes `refreshMargin` (60 s) before `expires_in` runs out; a token that lives shorter than the margin is
/// used for the one call it was fetched for and not kept. Shared by the sources that exchange credentials for a
/// bearer token (Google Workspace, Entra).
final class CachedBearerToken: Sendable {
    /// A token and the moment after which it is no longer handed out.
    struct Entry: Sendable {
        var value: String
        var usableUntil: Date
    }

    /// Seconds before expiry at which a token is replaced.
    static let refreshMargin: TimeInterval = 60
    private let entry = Mutex<Entry?>(nil)

    init() {}

    /// The cached token when it is still usable at `now`, else a fresh one from `fetch` (token, `expires_in` seconds).
    /// Concurrent callers that find no token may each fetch one; the last one fetched is kept.
    func token(now: @Sendable () -> Date, fetch: () async throws -> (token: String, expiresIn: TimeInterval)) async throws -> String {
        let cached = entry.withLock { current -> String? in
            guard let current, now() < current.usableUntil else { return nil }
            return current.value
        }
        if let cached { return cached }
        let fresh = try await fetch()
        let usableUntil = now().addingTimeInterval(fresh.expiresIn - Self.refreshMargin)
        entry.withLock { $0 = Entry(value: fresh.token, usableUntil: usableUntil) }
        return fresh.token
    }

    /// Forgets the token (the API refused it with a 401), so the next call fetches a new one.
    func invalidate() { entry.withLock { $0 = nil } }
}

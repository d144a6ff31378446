import Core
import Foundation
import HTTP

/// Facts from Okta: every user, in every status, as an account with MFA, admin roles and last sign-in
/// (CC6.1, CC6.2, CC6.3). See `OktaUsers` for the status, MFA and privilege mapping.
///
/// Manifest: `credentials: {token: VAR}` names the environment variable holding an API token (default
/// `OKTA_API_TOKEN`; a Read-only Administrator's token suffices); `settings.base_url` is the org URL
/// (`https://acme.okta.com`, required); `settings.concurrency` caps parallel per-user reads (default 4).
/// Rate limits are honoured (see `OktaClient`).
package struct OktaSource: FactSource {
    package let id: SourceID
    package var provides: Set<FactKind> { [.accounts] }
    let users: OktaUsers

    /// Reads the token from `environment` by the variable name in `config`; throws when it or `base_url` is missing.
    /// - Parameter sleep: waits out a rate-limit window (seconds); tests pass a `TestClock`.
    package init(config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                 clock: any BotClock) throws {
        id = config.id
        let tokenVariable = config.credentialVariables["token"] ?? "OKTA_API_TOKEN"
        guard let token = environment[tokenVariable]?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
            throw SourceError.unavailable(source: config.id, reason: "set the environment variable \(tokenVariable) to an Okta API token "
                                          + "(Okta Admin → Security → API → Tokens)")
        }
        let settings = Self.descriptor.settings(config)
        let read: URL?
        do { read = try settings.url(ifSet: "base_url") } catch SourceError.unavailable(let source, let reason) {
            throw SourceError.unavailable(source: source, reason: reason + " like https://acme.okta.com")
        }
        guard let configured = read else {
            throw SourceError.unavailable(source: config.id, reason: "set settings.base_url to the Okta org URL, e.g. https://acme.okta.com")
        }
        let baseText = configured.absoluteString
        guard let parsed = URLComponents(url: configured, resolvingAgainstBaseURL: false), let scheme = parsed.scheme?.lowercased(),
              let host = parsed.host, !host.isEmpty else {
            throw SourceError.unavailable(source: config.id, reason: "settings.base_url `\(baseText)` is not an http(s) URL like https://acme.okta.com")
        }
        var origin = URLComponents()
        origin.scheme = scheme
        origin.host = host
        origin.port = parsed.port
        guard let baseURL = origin.url else {
            throw SourceError.unavailable(source: config.id, reason: "settings.base_url `\(baseText)` is not an http(s) URL like https://acme.okta.com")
        }
        let concurrency = try settings.integer("concurrency")
        let client = OktaClient(source: config.id, baseURL: baseURL, token: token, tokenVariable: tokenVariable,
                                transport: transport, now: clock.nowFunction, sleep: clock.sleepFunction)
        users = OktaUsers(client: client, concurrency: concurrency)
    }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        try await facts(kinds, only: .accounts, in: \.accounts, system: "Okta") { try await users.accounts() }
    }
}

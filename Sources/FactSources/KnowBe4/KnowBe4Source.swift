import Core
import Foundation
import HTTP

/// Security-awareness training from KnowBe4's Reporting API: one record per person with their latest completion
/// (CC1.4, CC2.2). See `KnowBe4Enrollments` for the reduction.
///
/// Manifest:
/// ```yaml
/// kind: knowbe4
/// credentials: {token: KNOWBE4_API_TOKEN}   # the default: a Reporting API key (Account Settings → API)
/// settings:
///   region: us                                # us (default), eu, ca, uk or de: the account's KnowBe4 region
///   base_url: https://us.api.knowbe4.com      # instead of region, e.g. for a proxy
///   campaigns: [Annual Security Awareness]    # optional: only these training campaigns count
/// ```
/// Requests carry `Authorization: Bearer <token>`. KnowBe4 rate-limits the Reporting API (a burst allowance and a
/// daily cap) and answers 429 with `Retry-After`; waits up to a minute are honoured (see `ThrottledSender`), longer
/// ones fail the read and the next run tries again.
package struct KnowBe4Source: FactSource {
    package let id: SourceID
    package var provides: Set<FactKind> { [.training] }
    let enrollments: KnowBe4Enrollments

    static let defaultTokenVariable = "KNOWBE4_API_TOKEN"
    static let tokenHelp = "KnowBe4 → Account Settings → Account Integrations → API → Reporting API key"
    static let regions = ["us", "eu", "ca", "uk", "de"]

    /// Reads the token from `environment` by the variable name in `config`; throws when it is missing, the region is
    /// unknown or `base_url` is not an http(s) URL. `clock` waits out throttling (tests pass a `TestClock`).
    package init(config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                 clock: any BotClock) throws {
        id = config.id
        let settings = Self.descriptor.settings(config)
        let baseURL: URL
        if let configured = try settings.url(ifSet: "base_url") {
            baseURL = configured
        } else {
            let region = try settings.string("region")
            guard let url = URL(string: "https://\(region).api.knowbe4.com") else {
                throw SourceError.unavailable(source: config.id, reason: "settings.region `\(region)` is not a KnowBe4 region")
            }
            baseURL = url
        }
        var campaigns: Set<String>?
        if let setting = try settings.strings(ifSet: "campaigns") {
            let names = setting.compactMap { JSONBody.text($0)?.lowercased() }
            guard !names.isEmpty else {
                throw SourceError.unavailable(source: config.id, reason: "settings.campaigns must list training campaign names, or be left out to count every campaign")
            }
            campaigns = Set(names)
        }
        let client = try BearerTokenClient(config: config, environment: environment, system: "KnowBe4", defaultVariable: Self.defaultTokenVariable,
                                           tokenHelp: Self.tokenHelp, baseURL: baseURL,
                                           sender: ThrottledSender(transport: transport, sleep: clock.sleepFunction, now: clock.nowFunction), now: clock.nowFunction)
        enrollments = KnowBe4Enrollments(client: client, campaigns: campaigns)
    }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        try await facts(kinds, only: .training, in: \.training, system: "KnowBe4") { try await enrollments.training() }
    }
}

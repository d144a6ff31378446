import Core
import Foundation
import HTTP

/// Devices from Fleet (fleetdm.com, osquery-based device management): every enrolled host with disk encryption,
/// OS, owner, last check-in and policy results (CC6.7 device encryption; CC6.8 / CC7.1 endpoint policies). See
/// `FleetHosts` for the mapping.
///
/// Manifest:
/// ```yaml
/// kind: fleet
/// credentials: {token: FLEET_API_TOKEN}      # the default; an API-only user with the Observer role suffices
/// settings:
///   base_url: https://fleet.acme.example      # required: the Fleet server
/// ```
/// Reads `GET {base_url}/api/v1/fleet/hosts` with `Authorization: Bearer <token>`; 429 and 503 are waited out
/// honouring `Retry-After` (see `ThrottledSender`).
package struct FleetSource: FactSource {
    package let id: SourceID
    package var provides: Set<FactKind> { [.devices] }
    let hosts: FleetHosts

    static let defaultTokenVariable = "FLEET_API_TOKEN"
    static let tokenHelp = "Fleet → My account → Get API token, or `fleetctl get api_token` for an API-only user"

    /// Reads the token from `environment` by the variable name in `config`; throws when it or `base_url` is missing.
    /// `clock` waits out throttling (tests pass a `TestClock`).
    package init(config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                 clock: any BotClock) throws {
        id = config.id
        guard let baseURL = try Self.descriptor.settings(config).url(ifSet: "base_url") else {
            throw SourceError.unavailable(source: config.id, reason: "set settings.base_url to the Fleet server's URL, e.g. https://fleet.acme.example")
        }
        let client = try BearerTokenClient(config: config, environment: environment, system: "Fleet", defaultVariable: Self.defaultTokenVariable,
                                           tokenHelp: Self.tokenHelp, baseURL: baseURL,
                                           sender: ThrottledSender(transport: transport, sleep: clock.sleepFunction, now: clock.nowFunction), now: clock.nowFunction)
        hosts = FleetHosts(client: client)
    }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        try await facts(kinds, only: .devices, in: \.devices, system: "Fleet") { try await hosts.devices() }
    }
}

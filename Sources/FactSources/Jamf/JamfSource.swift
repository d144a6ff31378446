import Core
import Foundation
import HTTP

/// Managed Macs from Jamf Pro's computer inventory (Jamf Pro API `GET /api/v1/computers-inventory`): FileVault,
/// macOS version, last check-in, the assigned user's email and installed applications. Serves CC6.7 (device
/// encryption) and the endpoint controls that read devices.
///
/// Manifest:
/// ```yaml
/// kind: jamf
/// credentials: {client_id: JAMF_CLIENT_ID, client_secret: JAMF_CLIENT_SECRET}   # the defaults
/// settings:
///   base_url: https://acme.jamfcloud.com   # required
/// ```
/// The API client (Settings → System → API Roles and Clients) needs a role with the privilege `Read Computers`.
///
/// Mapping: serial from `hardware.serialNumber` (a computer without one is `jamf-<id>`); name `general.name`;
/// owner `userAndLocation.email` (nil when empty); encrypted when the boot partition's FileVault state is
/// `ENCRYPTED` (or, without a partition report, `operatingSystem.fileVault2Status` is `BOOT_ENCRYPTED` or
/// `ALL_ENCRYPTED`); OS `macOS <operatingSystem.version>`; last check-in `general.lastContactTime`; apps the names
/// of `applications`. Screen lock is nil: the inventory has no field for it (the `SECURITY` section reports SIP,
/// Gatekeeper, firewall and boot security, not the idle lock). Policies are nil: Jamf policies are scripts and
/// installs, not pass/fail compliance results.
package struct JamfSource: FactSource {
    package let id: SourceID
    package var provides: Set<FactKind> { [.devices] }
    let client: JamfClient

    static let defaultClientIDVariable = "JAMF_CLIENT_ID"
    static let defaultClientSecretVariable = "JAMF_CLIENT_SECRET"

    /// Reads the client id and secret from `environment` by the variable names in `config`, and `settings.base_url`;
    /// throws `SourceError.unavailable` saying what to set. `clock` waits out throttling.
    package init(config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                 clock: any BotClock) throws {
        id = config.id
        let credentials = try ClientCredentialsToken.credentials(config: config, environment: environment,
                                                                 defaultClientIDVariable: Self.defaultClientIDVariable,
                                                                 defaultClientSecretVariable: Self.defaultClientSecretVariable,
                                                                 what: "the Jamf Pro API client's id and secret")
        guard let baseURL = try Self.descriptor.settings(config).url(ifSet: "base_url") else {
            throw SourceError.unavailable(source: config.id, reason: "set settings.base_url to the Jamf Pro server, e.g. https://acme.jamfcloud.com")
        }
        let tokenURL = try APIURL.build(base: baseURL, path: "/api/oauth/token", query: [], source: config.id, system: "Jamf Pro")
        let grant = ClientCredentialsToken(source: config.id, tokenURL: tokenURL, clientID: credentials.id, clientSecret: credentials.secret, scope: nil,
                                           sender: ThrottledSender(transport: transport, sleep: clock.sleepFunction, now: clock.nowFunction), now: clock.nowFunction,
                                           refusalHint: JamfClient.refusalHint)
        client = JamfClient(grant: grant, baseURL: baseURL)
    }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        try await facts(kinds, only: .devices, in: \.devices, system: "Jamf") { try await devices() }
    }

    /// Every computer in the inventory as a device.
    func devices() async throws -> [Device] {
        try await client.computers().map { computer in
            var lastCheckIn: Date?
            if let text = computer.general?.lastContactTime {
                guard let date = RFC3339Timestamp.parse(text) else {
                    throw SourceError.unavailable(source: id, reason: "list computers: lastContactTime `\(text)` of computer \(computer.id) is not a date")
                }
                lastCheckIn = date
            }
            let serial = computer.hardware?.serialNumber.flatMap { $0.isEmpty ? nil : $0 } ?? "jamf-\(computer.id)"
            return Device(serial: serial, name: computer.general?.name ?? serial,
                          ownerEmail: computer.userAndLocation?.email.flatMap { $0.isEmpty ? nil : $0 }, encrypted: computer.fileVaultOn,
                          osVersion: "macOS \(computer.operatingSystem?.version ?? "(version unknown)")", lastCheckIn: lastCheckIn,
                          platform: "macOS", managedBy: "Jamf", screenLock: nil, apps: computer.applications?.map(\.name), policies: nil)
        }
    }
}

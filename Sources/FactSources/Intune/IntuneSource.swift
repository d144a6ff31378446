import Core
import Foundation
import HTTP

/// Devices enrolled in Microsoft Intune, through Microsoft Graph (`GET /v1.0/deviceManagement/managedDevices`,
/// followed across `@odata.nextLink`) with the app-only token shared with Entra and Azure. Serves CC6.7 (device
/// encryption) and the endpoint controls that read devices.
///
/// Manifest:
/// ```yaml
/// kind: intune
/// credentials: {client_id: INTUNE_CLIENT_ID, client_secret: INTUNE_CLIENT_SECRET}   # the defaults
/// settings:
///   tenant_id: 00000000-0000-0000-0000-000000000000   # required (a tenant id or its primary domain)
///   authority: https://login.microsoftonline.com    # default
///   graph_url: https://graph.microsoft.com          # default
/// ```
/// The app registration needs the application permission `DeviceManagementManagedDevices.Read.All` with admin
/// consent.
///
/// Mapping: serial `serialNumber` (a device without one is `intune-<id>`); name `deviceName`; owner
/// `emailAddress`, else `userPrincipalName` (nil when both are empty); encrypted `isEncrypted`; platform
/// `operatingSystem`; OS `<operatingSystem> <osVersion>`; last check-in `lastSyncDateTime`; policies
/// `compliance` = `complianceState == compliant`, left out when Intune has not evaluated the device (`unknown`)
/// or Configuration Manager evaluates it (`configManager`). Apps are nil: installed apps are a separate
/// `detectedApps` call per device, too costly for every run (EDR presence via Intune is not read yet). Screen lock
/// is nil: the managed device resource does not report it (it is a compliance policy setting).
package struct IntuneSource: FactSource {
    package let id: SourceID
    package var provides: Set<FactKind> { [.devices] }
    let client: MicrosoftGraphClient

    static let defaultClientIDVariable = "INTUNE_CLIENT_ID"
    static let defaultClientSecretVariable = "INTUNE_CLIENT_SECRET"
    static let forbiddenHint = "; the app needs the application permission DeviceManagementManagedDevices.Read.All with admin consent "
        + "(and the tenant an Intune licence)"
    /// The managed-device properties read.
    static let select = "id,deviceName,serialNumber,userPrincipalName,emailAddress,operatingSystem,osVersion,isEncrypted,complianceState,lastSyncDateTime"

    /// Reads the client id and secret from `environment` by the variable names in `config`; throws
    /// `SourceError.unavailable` saying what to set. `clock` waits out throttling.
    package init(config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                 clock: any BotClock) throws {
        id = config.id
        client = try MicrosoftGraphClient.make(config: config, settings: Self.descriptor.settings(config), environment: environment,
                                               transport: transport,
                                               defaultClientIDVariable: Self.defaultClientIDVariable,
                                               defaultClientSecretVariable: Self.defaultClientSecretVariable, forbiddenHint: Self.forbiddenHint,
                                               now: clock.nowFunction, sleep: clock.sleepFunction)
    }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        try await facts(kinds, only: .devices, in: \.devices, system: "Intune") { try await devices() }
    }

    /// Every managed device.
    func devices() async throws -> [Device] {
        let managed: [GraphManagedDevice] = try await client.list("/v1.0/deviceManagement/managedDevices",
                                                                  query: [URLQueryItem(name: "$select", value: Self.select)],
                                                                  operation: "list managed devices")
        return try managed.map { device in
            func nonEmpty(_ text: String?) -> String? { text.flatMap { $0.isEmpty ? nil : $0 } }
            var lastCheckIn: Date?
            if let text = nonEmpty(device.lastSyncDateTime) {
                guard let date = RFC3339Timestamp.parse(text) else {
                    throw SourceError.unavailable(source: id, reason: "list managed devices: lastSyncDateTime `\(text)` of device \(device.id) is not a date")
                }
                // Graph's "never" is the year 1.
                lastCheckIn = date.timeIntervalSince1970 <= 0 ? nil : date
            }
            let serial = nonEmpty(device.serialNumber) ?? "intune-\(device.id)"
            let system = nonEmpty(device.operatingSystem)
            let policies: [String: Bool]? = switch device.complianceState {
            case nil, "unknown", "configManager": nil
            case let state?: ["compliance": state == "compliant"]
            }
            return Device(serial: serial, name: nonEmpty(device.deviceName) ?? serial,
                          ownerEmail: nonEmpty(device.emailAddress) ?? nonEmpty(device.userPrincipalName),
                          encrypted: device.isEncrypted ?? false,
                          osVersion: [system ?? "unknown OS", nonEmpty(device.osVersion)].compactMap { $0 }.joined(separator: " "),
                          lastCheckIn: lastCheckIn, platform: system, managedBy: "Intune", screenLock: nil, apps: nil, policies: policies)
        }
    }
}

import Foundation

/// A device from Microsoft Graph `GET /v1.0/deviceManagement/managedDevices` with the properties the bot selects.
/// Graph writes `""` for a property a device does not report (a serial number on a VM, the user of a shared
/// device) and `0001-01-01T00:00:00Z` for a sync that never happened.
struct GraphManagedDevice: Decodable, Sendable {
    var id: String
    var deviceName: String?
    var serialNumber: String?
    var userPrincipalName: String?
    var emailAddress: String?
    /// `Windows`, `macOS`, `iOS`, `Android`, `Linux`, …
    var operatingSystem: String?
    var osVersion: String?
    var isEncrypted: Bool?
    /// `unknown`, `compliant`, `noncompliant`, `conflict`, `error`, `inGracePeriod`, `configManager`.
    var complianceState: String?
    var lastSyncDateTime: String?
}

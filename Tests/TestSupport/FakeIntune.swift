import Foundation
import HTTP
import Synchronization

/// An in-process Microsoft identity platform token endpoint and the Intune part of Microsoft Graph, speaking the
/// documented wire format (through `FakeMicrosoftGraph`, shared with `FakeEntra`):
/// - `POST https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`: `FakeMicrosoftIdentity`, granting only
///   the scope `https://graph.microsoft.com/.default`.
/// - `GET https://graph.microsoft.com/v1.0/deviceManagement/managedDevices` (`$select` honoured), needing a bearer
///   token this fake issued (else 401 `InvalidAuthenticationToken`), paged `pageSize` at a time with
///   `@odata.nextLink` carrying `$skiptoken`; 403 `Forbidden` when the app lacks
///   `DeviceManagementManagedDevices.Read.All` (`forbidden`).
/// Failure modes on cue for Graph calls, one per call in order (`FakeMicrosoftGraph.Failure`): 429 or 503 with or
/// without Retry-After, 5xx, a malformed body, a next link to another host, an expired token, or `pass`.
package final class FakeIntune: HTTPTransport {
    package typealias Failure = FakeMicrosoftGraph.Failure

    /// A managed device as Graph stores it; `""` is Graph's "not reported".
    package struct ManagedDevice: Sendable {
        package var id: String
        package var deviceName: String
        package var serialNumber: String
        package var userPrincipalName: String
        package var emailAddress: String
        package var operatingSystem: String
        package var osVersion: String
        package var isEncrypted: Bool
        package var complianceState: String
        package var lastSyncDateTime: String
        package init(id: String, _ deviceName: String, serialNumber: String, userPrincipalName: String = "", emailAddress: String = "",
                     operatingSystem: String = "Windows", osVersion: String = "10.0.22631.4460", isEncrypted: Bool = true,
                     complianceState: String = "compliant", lastSyncDateTime: String = "2026-03-01T08:15:30.1234567Z") {
            self.id = id; self.deviceName = deviceName; self.serialNumber = serialNumber; self.userPrincipalName = userPrincipalName
            self.emailAddress = emailAddress; self.operatingSystem = operatingSystem; self.osVersion = osVersion; self.isEncrypted = isEncrypted
            self.complianceState = complianceState; self.lastSyncDateTime = lastSyncDateTime
        }
    }

    struct State {
        var devices: [ManagedDevice]
        var forbidden: Bool
        var graph = FakeMicrosoftGraph.Session()
    }

    let identity: FakeMicrosoftIdentity
    let pageSize: Int
    private let state: Mutex<State>

    package init(tenantID: String = "8d5c3e2a-1b4f-4c6d-9e7a-0f1b2c3d4e5f", clientID: String = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c",
                 clientSecret: String = "Qx~8Q~fake.secret-value_with+odd=chars&", devices: [ManagedDevice], pageSize: Int = 2, forbidden: Bool = false) {
        identity = FakeMicrosoftIdentity(tenantID: tenantID, clientID: clientID, clientSecret: clientSecret, scope: FakeMicrosoftGraph.scope, audience: "graph")
        self.pageSize = pageSize
        state = Mutex(State(devices: devices, forbidden: forbidden))
    }

    package func failNext(_ failures: [Failure]) { state.withLock { $0.graph.failures += failures } }
    package var tokenRequests: Int { state.withLock { $0.graph.identity.requests } }
    /// The `error` codes of refused token requests, in order.
    package var refusals: [String] { state.withLock { $0.graph.identity.refusals } }
    /// Graph calls as `path?query` (query decoded).
    package var calls: [String] { state.withLock { $0.graph.calls } }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        state.withLock { s in
            let (early, query) = FakeMicrosoftGraph.admit(request, identity: identity, &s.graph)
            if let early { return early }
            guard request.url.path == "/v1.0/deviceManagement/managedDevices" else {
                return FakeMicrosoftGraph.error(404, "ResourceNotFound", "Resource not found for the segment '\(request.url.lastPathComponent)'.")
            }
            if s.forbidden {
                return FakeMicrosoftGraph.error(403, "Forbidden", "Application is not authorized to perform this operation. Application must have one "
                                                + "of the following scopes: DeviceManagementManagedDevices.Read.All, DeviceManagementManagedDevices.ReadWrite.All")
            }
            let selected = Set((query["$select"] ?? "").split(separator: ",").map(String.init))
            let rows = s.devices.map { device -> [String: Any] in
                // Graph returns the full resource without $select; these are the properties the fake knows.
                var row: [String: Any] = [
                    "id": device.id, "deviceName": device.deviceName, "serialNumber": device.serialNumber,
                    "userPrincipalName": device.userPrincipalName, "emailAddress": device.emailAddress,
                    "operatingSystem": device.operatingSystem, "osVersion": device.osVersion, "isEncrypted": device.isEncrypted,
                    "complianceState": device.complianceState, "lastSyncDateTime": device.lastSyncDateTime,
                    "managedDeviceOwnerType": "company", "enrolledDateTime": "2025-09-01T10:00:00Z", "model": "Latitude 7440",
                ]
                if !selected.isEmpty { row = row.filter { selected.contains($0.key) } }
                return row
            }
            return FakeMicrosoftGraph.page(rows, size: pageSize, request: request, query: query, &s.graph)
        }
    }
}

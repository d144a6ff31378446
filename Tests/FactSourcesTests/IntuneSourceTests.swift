import Checks
import Core
import FactSources
import Foundation
import HTTP
import TestSupport
import Testing

@Suite("Intune source")
struct IntuneSourceTests {
    static let tenant = "8d5c3e2a-1b4f-4c6d-9e7a-0f1b2c3d4e5f"
    static let clientID = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
    static let secret = "Qx~8Q~fake.secret-value_with+odd=chars&"
    static let environment = ["INTUNE_CLIENT_ID": clientID, "INTUNE_CLIENT_SECRET": secret]
    static let select = "id,deviceName,serialNumber,userPrincipalName,emailAddress,operatingSystem,osVersion,isEncrypted,complianceState,lastSyncDateTime"

    private let waits = TestClock(sleeping: .returnsAtOnce)

    static let fleet: [FakeIntune.ManagedDevice] = [
        FakeIntune.ManagedDevice(id: "d1", "ADA-LT01", serialNumber: "5CG1234XYZ", userPrincipalName: "ada@acme.example", emailAddress: "ada.lovelace@acme.example"),
        FakeIntune.ManagedDevice(id: "d2", "Bob's MacBook", serialNumber: "C02ZX0AAMD6M", userPrincipalName: "bob@acme.example", operatingSystem: "macOS",
                                 osVersion: "14.4.1", isEncrypted: false, complianceState: "noncompliant", lastSyncDateTime: "2026-02-20T17:00:00Z"),
        FakeIntune.ManagedDevice(id: "d3", "KIOSK-07", serialNumber: "", complianceState: "unknown", lastSyncDateTime: "0001-01-01T00:00:00Z"),
    ]

    func source(_ transport: any HTTPTransport, environment: [String: String] = environment, credentials: [String: String] = [:],
                settings: [String: ConfigValue] = ["tenant_id": .string(tenant)]) throws -> IntuneSource {
        try IntuneSource(config: SourceConfig(id: "intune", kind: "intune", credentialVariables: credentials, settings: settings),
                         environment: environment, transport: transport, clock: waits)
    }

    func failure(_ body: () async throws -> Void) async -> String {
        do { try await body(); Issue.record("expected an error"); return "" } catch { return "\(error)" }
    }

    func refusal(_ body: () throws -> Void) -> String {
        do { try body(); Issue.record("expected a refusal"); return "" } catch { return "\(error)" }
    }

    @Test func managedDevicesAreMappedFieldByField() async throws {
        // Given three devices, two to a page
        let graph = FakeIntune(devices: Self.fleet)
        // When devices are read
        let devices = try #require(try await source(graph).facts([.devices]).devices)
        // Then both pages were read with the documented $select
        #expect(graph.calls == [
            "/v1.0/deviceManagement/managedDevices?$select=\(Self.select)",
            "/v1.0/deviceManagement/managedDevices?$select=\(Self.select)&$skiptoken=RFNwdAIAAQAAA2",
        ])
        #expect(devices.count == 3)
        var ada = devices[0]
        let synced = try #require(ada.lastCheckIn)
        #expect(abs(synced.timeIntervalSince1970 - 1_772_352_930.1234567) < 0.000_01, "seven fractional digits are kept")
        ada.lastCheckIn = nil
        #expect(ada == Device(serial: "5CG1234XYZ", name: "ADA-LT01", ownerEmail: "ada.lovelace@acme.example", encrypted: true,
                              osVersion: "Windows 10.0.22631.4460", platform: "Windows", managedBy: "Intune", screenLock: nil, apps: nil,
                              policies: ["compliance": true]))
        #expect(devices[1] == Device(serial: "C02ZX0AAMD6M", name: "Bob's MacBook", ownerEmail: "bob@acme.example", encrypted: false,
                                     osVersion: "macOS 14.4.1", lastCheckIn: Date(timeIntervalSince1970: 1_771_606_800), platform: "macOS",
                                     managedBy: "Intune", screenLock: nil, apps: nil, policies: ["compliance": false]),
                "no email address: the UPN is the owner")
        #expect(devices[2] == Device(serial: "intune-d3", name: "KIOSK-07", ownerEmail: nil, encrypted: true, osVersion: "Windows 10.0.22631.4460",
                                     lastCheckIn: nil, platform: "Windows", managedBy: "Intune", screenLock: nil, apps: nil, policies: nil),
                "no serial, no user, never synced, compliance unknown")
    }

    @Test(arguments: [("compliant", true), ("noncompliant", false), ("inGracePeriod", false), ("conflict", false), ("error", false)])
    func complianceStatesBecomeAPolicyResult(_ state: String, _ compliant: Bool) async throws {
        let graph = FakeIntune(devices: [FakeIntune.ManagedDevice(id: "d1", "PC", serialNumber: "S1", complianceState: state)])
        #expect(try await source(graph).facts([.devices]).devices?.first?.policies == ["compliance": compliant])
    }

    @Test(arguments: ["unknown", "configManager"])
    func anUnevaluatedDeviceHasNoComplianceResult(_ state: String) async throws {
        let graph = FakeIntune(devices: [FakeIntune.ManagedDevice(id: "d1", "PC", serialNumber: "S1", complianceState: state)])
        #expect(try await source(graph).facts([.devices]).devices?.first?.policies == nil)
    }

    @Test func oneTokenForTheGraphScopeServesSeveralReads() async throws {
        let graph = FakeIntune(devices: Self.fleet)
        let source = try source(graph)
        _ = try await source.facts([.devices])
        _ = try await source.facts([.devices])
        #expect(graph.tokenRequests == 1 && graph.refusals.isEmpty)
    }

    @Test func aPageRefusedMidwayIsAnErrorNeverAPartialInventory() async throws {
        let graph = FakeIntune(devices: Self.fleet)
        graph.failNext([.pass, .serverError(500)])
        let message = await failure { _ = try await source(graph).facts([.devices]) }
        #expect(message.contains("list managed devices: HTTP 500 generalException: An unspecified error has occurred. (request id 6c1f2e3d"))
    }

    @Test func aMissingPermissionNamesIt() async throws {
        let graph = FakeIntune(devices: Self.fleet, forbidden: true)
        let message = await failure { _ = try await source(graph).facts([.devices]) }
        #expect(message.contains("list managed devices: HTTP 403 Forbidden: Application is not authorized"))
        #expect(message.contains("the app needs the application permission DeviceManagementManagedDevices.Read.All with admin consent"))
    }

    @Test func aWrongSecretIsRefusedWithItsCodeAndWithoutTheSecret() async throws {
        let graph = FakeIntune(devices: Self.fleet)
        let message = await failure {
            _ = try await source(graph, environment: ["INTUNE_CLIENT_ID": Self.clientID, "INTUNE_CLIENT_SECRET": "wrong-but-secret-123"]).facts([.devices])
        }
        #expect(graph.refusals == ["invalid_client"])
        #expect(message.contains("token request refused (HTTP 401 invalid_client: AADSTS7000215"))
        #expect(!message.contains("wrong-but-secret-123") && graph.calls.isEmpty)
    }

    @Test func throttlingIsHonoured() async throws {
        let graph = FakeIntune(devices: Self.fleet)
        graph.failNext([.tooManyRequests(retryAfter: 5), .pass, .serviceUnavailable(retryAfter: 2)])
        #expect(try await source(graph).facts([.devices]).devices?.count == 3)
        #expect(waits.waits == [5, 2])
    }

    @Test func endlessThrottlingIsAnError() async throws {
        let graph = FakeIntune(devices: Self.fleet)
        graph.failNext(Array(repeating: .serviceUnavailable(retryAfter: nil), count: 4))
        let message = await failure { _ = try await source(graph).facts([.devices]) }
        #expect(message.contains("list managed devices: throttled (HTTP 503); try again later"))
        #expect(waits.waits == [1, 2, 4])
    }

    @Test func garbageAndForeignLinksAreErrors() async throws {
        let graph = FakeIntune(devices: Self.fleet)
        graph.failNext([.malformed])
        let message = await failure { _ = try await source(graph).facts([.devices]) }
        #expect(message.contains("list managed devices: the answer is not the expected collection (not JSON)"))

        let foreign = FakeIntune(devices: Self.fleet)
        foreign.failNext([.foreignNextLink])
        let foreignMessage = await failure { _ = try await source(foreign).facts([.devices]) }
        #expect(foreignMessage.contains("the next page link points away from graph.microsoft.com; not followed"))
        #expect(foreign.calls.count == 1)

        let badDate = FakeIntune(devices: [FakeIntune.ManagedDevice(id: "d1", "PC", serialNumber: "S1", lastSyncDateTime: "soon")])
        let dateMessage = await failure { _ = try await source(badDate).facts([.devices]) }
        #expect(dateMessage.contains("lastSyncDateTime `soon` of device d1 is not a date"))
    }

    @Test func missingCredentialsAndSettingsSayWhatToSet() throws {
        let graph = FakeIntune(devices: [])
        let none = refusal { _ = try source(graph, environment: [:]) }
        #expect(none.contains("INTUNE_CLIENT_ID and INTUNE_CLIENT_SECRET"))
        let renamed = refusal { _ = try source(graph, environment: ["INTUNE_CLIENT_ID": Self.clientID], credentials: ["client_secret": "ACME_MDM_SECRET"]) }
        #expect(renamed.contains("ACME_MDM_SECRET") && !renamed.contains(Self.clientID))
        let noTenant = refusal { _ = try source(graph, settings: [:]) }
        #expect(noTenant.contains("settings.tenant_id is required"))
        let badGraph = refusal { _ = try source(graph, settings: ["tenant_id": .string(Self.tenant), "graph_url": .string("graph")]) }
        #expect(badGraph.contains("graph_url `graph` is not an http(s) URL"))
    }

    @Test func onlyDevicesAreProvided() async throws {
        let message = await failure { _ = try await source(FakeIntune(devices: [])).facts([.accounts]) }
        #expect(message.contains("Intune provides devices, not accounts"))
    }

    @Test func anUnencryptedDeviceFailsDeviceEncryptionThroughTheRealCheck() async throws {
        // Given the fleet, Bob's Mac unencrypted
        let source = try source(FakeIntune(devices: Self.fleet))
        // When the device encryption control runs
        let control = Control(id: "device-encryption", title: "Laptops are encrypted", criteria: [Criterion("CC6.7")!], owner: "it", severity: .high,
                              cadence: 86_400, check: CheckSpec(type: "device_encryption", sources: ["intune"]), remediation: "turn on BitLocker or FileVault")
        let results = await ControlRunner(sources: [source]).run(control, at: waits.now())
        // Then only Bob's Mac fails
        let byID = Dictionary(uniqueKeysWithValues: results.map { ($0.resource.id, $0.status) })
        #expect(byID == ["device:5CG1234XYZ": .pass, "device:C02ZX0AAMD6M": .fail, "device:intune-d3": .pass])
        #expect(results.first { $0.resource.id == "device:C02ZX0AAMD6M" }?.observed == "disk encryption off (macOS 14.4.1)")
    }

    @Test func liveSourcesBuildsTheIntuneClient() throws {
        let config = SourceConfig(id: "intune", kind: "intune", settings: ["tenant_id": .string(Self.tenant)])
        let client = try SourceRegistry.client(for: config, environment: Self.environment, transport: FakeIntune(devices: []), clock: TestClock())
        #expect(client is IntuneSource)
        #expect(SourceRegistry.liveKinds.contains("intune"))
    }
}

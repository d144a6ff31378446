import Checks
import Core
import FactSources
import Foundation
import HTTP
import Testing
import TestSupport

/// The error `body` throws, as text; records an issue when it throws none.
func thrownMessage(_ body: () async throws -> Void) async -> String {
    do { try await body(); Issue.record("expected an error"); return "" } catch { return "\(error)" }
}

@Suite("Fleet source")
struct FleetSourceTests {
    static let settings: [String: ConfigValue] = ["base_url": .string("https://fleet.acme.test")]
    static let environment = ["FLEET_API_TOKEN": "fleet-test-token"]

    let waits = TestClock(start: Date(timeIntervalSince1970: 1_772_400_000), sleeping: .returnsAtOnce)

    func source(_ fake: FakeFleet, settings: [String: ConfigValue] = FleetSourceTests.settings, credentials: [String: String] = [:],
                environment: [String: String] = FleetSourceTests.environment) throws -> FleetSource {
        try FleetSource(config: SourceConfig(id: "fleet", kind: "fleet", credentialVariables: credentials, settings: settings),
                        environment: environment, transport: fake, clock: waits)
    }

    func devices(_ fake: FakeFleet) async throws -> [Device] {
        try #require(try await source(fake).facts([.devices]).devices)
    }

    static func hosts(_ count: Int) -> [FakeFleet.Host] {
        (1...count).map { FakeFleet.Host(id: $0, serial: "SN\($0)") }
    }

    @Test func hostsMapToDevices() async throws {
        // Given a Mac with an IdP and a Chrome mapping, a Windows laptop without encryption, and a Linux VM without a
        // serial or a display name whose encryption Fleet does not know
        let fleet = FakeFleet(hosts: [
            .init(id: 7, serial: "C02XK1", displayName: "Ada's MacBook Pro", platform: "darwin", osVersion: "macOS 15.1.1",
                  seenTime: "2026-03-01T09:30:00Z", diskEncryption: true,
                  policies: [.init("FileVault enabled", "pass"), .init("CrowdStrike Falcon running", "fail"), .init("Screen lock", "")],
                  mappings: [("ada.personal@gmail.example", "google_chrome_profiles"), ("Ada@Acme.example", "mdm_idp_accounts")]),
            .init(id: 3, serial: "PF3ABC", displayName: "BO-LAPTOP", platform: "windows", osVersion: "Windows 11 Pro 23H2 10.0.22631.4460",
                  seenTime: "2026-02-27T18:02:11Z", diskEncryption: false, mappings: [("bo@acme.example", "custom_override")]),
            .init(id: 12, serial: "", displayName: "", computerName: "build-01", platform: "ubuntu", osVersion: "Ubuntu 24.04.1 LTS",
                  seenTime: "", diskEncryption: nil, uuid: "4c4c4544-0042-3010-8052-b4c04f564433"),
        ])

        // When
        let devices = try await devices(fleet)

        // Then one request, in id order, asking for policies and device mapping
        #expect(fleet.requests == ["/api/v1/fleet/hosts?order_key=id&populate_policies=true&device_mapping=true&page=0&per_page=100"])
        #expect(devices == [
            Device(serial: "PF3ABC", name: "BO-LAPTOP", ownerEmail: "bo@acme.example", encrypted: false,
                   osVersion: "Windows 11 Pro 23H2 10.0.22631.4460", lastCheckIn: instant("2026-02-27T18:02:11Z"),
                   platform: "Windows", managedBy: "Fleet", screenLock: nil, apps: nil, policies: [:]),
            Device(serial: "C02XK1", name: "Ada's MacBook Pro", ownerEmail: "ada@acme.example", encrypted: true, osVersion: "macOS 15.1.1",
                   lastCheckIn: instant("2026-03-01T09:30:00Z"), platform: "macOS", managedBy: "Fleet", screenLock: nil, apps: nil,
                   policies: ["FileVault enabled": true, "CrowdStrike Falcon running": false]),
            Device(serial: "4c4c4544-0042-3010-8052-b4c04f564433", name: "build-01", ownerEmail: nil, encrypted: false,
                   osVersion: "Ubuntu 24.04.1 LTS", lastCheckIn: nil, platform: "Linux", managedBy: "Fleet", policies: [:]),
        ])
    }

    @Test func aHostWithoutSerialOrUUIDKeepsADistinctName() async throws {
        let fleet = FakeFleet(hosts: [.init(id: 9, serial: "", displayName: "", computerName: "", hostname: "kiosk.local", uuid: "")])
        let device = try #require(try await devices(fleet).first)
        #expect(device.serial == "fleet-host-9")
        #expect(device.name == "kiosk.local")
    }

    @Test(arguments: [("darwin", "macOS"), ("windows", "Windows"), ("ubuntu", "Linux"), ("rhel", "Linux"), ("debian", "Linux"),
                      ("amzn", "Linux"), ("arch", "Linux"), ("centos", "Linux"), ("ios", "iOS"), ("ipados", "iPadOS"),
                      ("chrome", "ChromeOS"), ("android", "Android"), ("freebsd", "freebsd")])
    func platformsAreNamedForPeople(_ fleetPlatform: String, _ expected: String) async throws {
        let fleet = FakeFleet(hosts: [.init(id: 1, serial: "SN1", platform: fleetPlatform)])
        #expect(try await devices(fleet).first?.platform == expected)
    }

    @Test func everyPageIsReadUntilAShortOne() async throws {
        // Given 250 hosts: pages of 100, 100 and 50
        let fleet = FakeFleet(hosts: Self.hosts(250))
        // When
        let devices = try await devices(fleet)
        // Then
        #expect(devices.map(\.serial) == (1...250).map { "SN\($0)" })
        #expect(fleet.requests.map { $0.components(separatedBy: "&page=").last } == ["0&per_page=100", "1&per_page=100", "2&per_page=100"])
    }

    @Test func aFullLastPageAsksOnceMore() async throws {
        let fleet = FakeFleet(hosts: Self.hosts(200))
        #expect(try await devices(fleet).count == 200)
        #expect(fleet.requests.count == 3, "the third page comes back empty and ends the list")
    }

    @Test func throttlingIsWaitedOutHonouringRetryAfter() async throws {
        // Given a 429 and then a 503 before the first page, and a 429 before the second
        let fleet = FakeFleet(hosts: Self.hosts(150))
        fleet.failNext([.tooManyRequests(retryAfter: 7), .unavailable(retryAfter: 2)])
        // When
        let devices = try await devices(fleet)
        // Then
        #expect(devices.count == 150)
        #expect(waits.waits == [7, 2])
        #expect(fleet.requests.count == 4)
    }

    @Test func throttlingThatDoesNotEndIsAnError() async throws {
        let fleet = FakeFleet(hosts: Self.hosts(3))
        fleet.failNext(Array(repeating: .tooManyRequests(retryAfter: 5), count: 4))
        let message = await thrownMessage { _ = try await source(fleet).facts([.devices]) }
        #expect(message.contains("Fleet list hosts: Fleet throttled (HTTP 429, Retry-After 5 s)"))
        #expect(waits.waits == [5, 5, 5])
    }

    @Test func aRefusedTokenNamesTheVariableNeverTheToken() async throws {
        let fleet = FakeFleet(token: "the-real-token", hosts: Self.hosts(2))
        let message = await thrownMessage { _ = try await source(fleet, environment: ["FLEET_API_TOKEN": "a-stale-token"]).facts([.devices]) }
        #expect(message.contains("Fleet list hosts: HTTP 401 Authentication required"))
        #expect(message.contains("rejected the token in FLEET_API_TOKEN"))
        #expect(!message.contains("a-stale-token"))
    }

    @Test func aServerErrorIsAnErrorNamingTheStatus() async throws {
        let fleet = FakeFleet(hosts: Self.hosts(2))
        fleet.failNext([.status(500)])
        let message = await thrownMessage { _ = try await source(fleet).facts([.devices]) }
        #expect(message == "source fleet could not be read: Fleet list hosts: HTTP 500 Internal Server Error")
    }

    @Test(arguments: [FakePagedAPI.Failure.malformed, .wrongShape])
    func aMalformedAnswerIsAnErrorNeverAnEmptyList(_ failure: FakePagedAPI.Failure) async throws {
        let fleet = FakeFleet(hosts: Self.hosts(2))
        fleet.failNext([failure])
        let message = await thrownMessage { _ = try await source(fleet).facts([.devices]) }
        #expect(message.contains("Fleet list hosts: Fleet's answer is not the expected JSON"))
    }

    @Test func aMalformedCheckInTimeIsAnError() async throws {
        let fleet = FakeFleet(hosts: [.init(id: 4, serial: "SN4", seenTime: "yesterday")])
        let message = await thrownMessage { _ = try await source(fleet).facts([.devices]) }
        #expect(message.contains("host 4 has a malformed `seen_time`"))
    }

    @Test func missingSettingsAndCredentialsSayWhatToSet() throws {
        let fleet = FakeFleet()
        #expect(throws: SourceError.unavailable(source: "fleet", reason: "set settings.base_url to the Fleet server's URL, e.g. https://fleet.acme.example")) {
            try source(fleet, settings: [:])
        }
        #expect(throws: SourceError.unavailable(source: "fleet", reason: "settings.base_url `fleet.acme.test` is not an http(s) URL")) {
            try source(fleet, settings: ["base_url": .string("fleet.acme.test")])
        }
        do {
            _ = try source(fleet, credentials: ["token": "FLEET_READONLY_TOKEN"])
            Issue.record("expected a refusal")
        } catch {
            #expect("\(error)".contains("set the environment variable FLEET_READONLY_TOKEN to a Fleet API token"))
        }
        #expect(throws: SourceError.self) { try source(fleet, environment: ["FLEET_API_TOKEN": "  "]) }
    }

    @Test func onlyDevicesAreProvided() async throws {
        let message = await thrownMessage { _ = try await source(FakeFleet()).facts([.accounts]) }
        #expect(message.contains("Fleet provides devices, not accounts"))
    }

    @Test func theClientIsRegistered() throws {
        #expect(SourceRegistry.liveKinds.contains("fleet"))
        let config = SourceConfig(id: "fleet", kind: "fleet", settings: Self.settings)
        let client = try SourceRegistry.client(for: config, environment: Self.environment, transport: FakeFleet(), clock: TestClock())
        #expect(client is FleetSource)
        #expect(client?.provides == [.devices])
    }

    /// A host without disk encryption fails the real `device_encryption` check, naming its owner; the encrypted one passes.
    @Test func aHostWithoutDiskEncryptionFailsDeviceEncryption() async throws {
        // Given
        let fleet = FakeFleet(hosts: [
            .init(id: 1, serial: "C02OK", displayName: "Ada's Mac", diskEncryption: true, mappings: [("ada@acme.example", "mdm_idp_accounts")]),
            .init(id: 2, serial: "PF3OFF", displayName: "BO-LAPTOP", platform: "windows", osVersion: "Windows 11 Pro", diskEncryption: false,
                  mappings: [("bo@acme.example", "mdm_idp_accounts")]),
        ])
        let control = Control(id: "disk-encryption", title: "Laptops are encrypted", criteria: [Criterion("CC6.7")!], owner: "it", severity: .high,
                              cadence: 3_600, check: CheckSpec(type: "device_encryption", sources: ["fleet"]), remediation: "turn on BitLocker")
        // When
        let results = await ControlRunner(sources: [try source(fleet)]).run(control, at: waits.now())
        // Then
        let byID = Dictionary(uniqueKeysWithValues: results.map { ($0.resource.id, $0) })
        let bo = try #require(byID["device:PF3OFF"])
        #expect(bo.status == .fail)
        #expect(bo.resource.name == "BO-LAPTOP (bo@acme.example)")
        #expect(bo.observed == "disk encryption off (Windows 11 Pro)")
        #expect(byID["device:C02OK"]?.status == .pass)
    }

    /// The failing run's error surfaces as an `error` result, never a pass.
    @Test func anUnreadableFleetIsAnErrorResult() async throws {
        let fleet = FakeFleet(hosts: Self.hosts(1))
        fleet.failNext([.malformed])
        let control = Control(id: "disk-encryption", title: "Laptops are encrypted", criteria: [Criterion("CC6.7")!], owner: "it", severity: .high,
                              cadence: 3_600, check: CheckSpec(type: "device_encryption", sources: ["fleet"]), remediation: "turn on BitLocker")
        let results = await ControlRunner(sources: [try source(fleet)]).run(control, at: waits.now())
        #expect(!results.isEmpty)
        #expect(results.allSatisfy { if case .error(let message) = $0.status { message.contains("not the expected JSON") } else { false } })
    }
}

/// An RFC 3339 instant (whole seconds) for expectations.
func instant(_ text: String) -> Date? {
    try? Date(text, strategy: .iso8601)
}

import Checks
import Core
import FactSources
import Foundation
import HTTP
import TestSupport
import Testing

@Suite("Jamf source")
struct JamfSourceTests {
    static let clientID = "b6c1e2d3-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
    static let secret = "jamf+Secret&with=odd~chars"
    static let environment = ["JAMF_CLIENT_ID": clientID, "JAMF_CLIENT_SECRET": secret]
    static let base = "https://acme.jamfcloud.com"
    static let sections = "section=GENERAL&section=HARDWARE&section=DISK_ENCRYPTION&section=OPERATING_SYSTEM&section=USER_AND_LOCATION&section=APPLICATIONS"

    private let waits = TestClock(sleeping: .returnsAtOnce)

    static let fleet: [FakeJamf.Computer] = [
        FakeJamf.Computer(id: 7, "Ada's MacBook Pro", serial: "C02XK1JHJGH5", email: "ada@acme.example", apps: ["CrowdStrike Falcon.app", "Slack.app"]),
        FakeJamf.Computer(id: 3, "build-mini-01", serial: "H4TF2LL/A", bootPartitionState: "UNENCRYPTED", fileVault2Status: "NOT_ENCRYPTED",
                          osVersion: "13.6.7", lastContactTime: nil, apps: []),
    ]

    func source(_ transport: any HTTPTransport, environment: [String: String] = environment, credentials: [String: String] = [:],
                settings: [String: ConfigValue] = ["base_url": .string(base)]) throws -> JamfSource {
        try JamfSource(config: SourceConfig(id: "jamf", kind: "jamf", credentialVariables: credentials, settings: settings),
                       environment: environment, transport: transport, clock: waits)
    }

    func failure(_ body: () async throws -> Void) async -> String {
        do { try await body(); Issue.record("expected an error"); return "" } catch { return "\(error)" }
    }

    func refusal(_ body: () throws -> Void) -> String {
        do { try body(); Issue.record("expected a refusal"); return "" } catch { return "\(error)" }
    }

    func page(_ number: Int) -> String {
        "/api/v1/computers-inventory?\(Self.sections)&page=\(number)&page-size=100&sort=id:asc"
    }

    @Test func everyFieldTheInventoryHasIsMapped() async throws {
        // Given an encrypted Mac with an owner and apps, and an unencrypted one without an owner that never checked in
        let jamf = FakeJamf(computers: Self.fleet)
        // When devices are read
        let devices = try #require(try await source(jamf).facts([.devices]).devices)
        // Then one page was asked for with the documented sections, and the devices come in id order
        #expect(jamf.calls == [page(0)])
        #expect(devices.map(\.serial) == ["H4TF2LL/A", "C02XK1JHJGH5"])
        var ada = devices[1]
        let contact = try #require(ada.lastCheckIn)
        #expect(abs(contact.timeIntervalSince1970 - 1_772_352_930.123) < 0.001, "milliseconds are kept")
        ada.lastCheckIn = nil
        #expect(ada == Device(serial: "C02XK1JHJGH5", name: "Ada's MacBook Pro", ownerEmail: "ada@acme.example", encrypted: true, osVersion: "macOS 14.4.1",
                              platform: "macOS", managedBy: "Jamf", screenLock: nil, apps: ["CrowdStrike Falcon.app", "Slack.app"], policies: nil))
        #expect(devices[0] == Device(serial: "H4TF2LL/A", name: "build-mini-01", ownerEmail: nil, encrypted: false, osVersion: "macOS 13.6.7",
                                     lastCheckIn: nil, platform: "macOS", managedBy: "Jamf", screenLock: nil, apps: [], policies: nil))
    }

    @Test(arguments: [
        ("ENCRYPTED", "NOT_ENCRYPTED", true),
        ("ENCRYPTING", "BOOT_ENCRYPTED", false),
        ("RESTART_NEEDED", "NOT_ENCRYPTED", false),
        ("DECRYPTED", "NOT_ENCRYPTED", false),
        ("UNKNOWN", "ALL_ENCRYPTED", false),
    ])
    func theBootPartitionStateDecidesEncryption(_ partition: String, _ summary: String, _ encrypted: Bool) async throws {
        let jamf = FakeJamf(computers: [FakeJamf.Computer(id: 1, "mac", serial: "S1", bootPartitionState: partition, fileVault2Status: summary)])
        #expect(try await source(jamf).facts([.devices]).devices?.first?.encrypted == encrypted)
    }

    @Test(arguments: [("BOOT_ENCRYPTED", true), ("ALL_ENCRYPTED", true), ("SOME_ENCRYPTED", false), ("NOT_ENCRYPTED", false), ("NOT_APPLICABLE", false)])
    func withoutAPartitionReportTheOperatingSystemSummaryDecides(_ summary: String, _ encrypted: Bool) async throws {
        let jamf = FakeJamf(computers: [FakeJamf.Computer(id: 1, "mac", serial: "S1", bootPartitionState: nil, fileVault2Status: summary)])
        #expect(try await source(jamf).facts([.devices]).devices?.first?.encrypted == encrypted)
    }

    @Test func aComputerWithoutSerialOrOwnerIsStillReported() async throws {
        let jamf = FakeJamf(computers: [FakeJamf.Computer(id: 42, "loaner", serial: nil, email: "")])
        let device = try #require(try await source(jamf).facts([.devices]).devices?.first)
        #expect(device.serial == "jamf-42" && device.ownerEmail == nil && device.name == "loaner")
    }

    @Test func theInventoryIsReadPageByPageUntilTotalCount() async throws {
        // Given 250 computers: three pages of 100
        let many = (1...250).map { FakeJamf.Computer(id: $0, "mac-\($0)", serial: "SER\($0)") }
        let jamf = FakeJamf(computers: many)
        // When devices are read
        let devices = try #require(try await source(jamf).facts([.devices]).devices)
        // Then every page was read once with one token, and nothing was lost or repeated
        #expect(jamf.calls == [page(0), page(1), page(2)])
        #expect(devices.map(\.serial) == many.map(\.serial!))
        #expect(jamf.tokenRequests == 1)
    }

    @Test func anExactMultipleOfThePageSizeStopsWithoutAnEmptyPage() async throws {
        let jamf = FakeJamf(computers: (1...200).map { FakeJamf.Computer(id: $0, "mac-\($0)", serial: "SER\($0)") })
        #expect(try await source(jamf).facts([.devices]).devices?.count == 200)
        #expect(jamf.calls == [page(0), page(1)])
        let none = FakeJamf(computers: [])
        #expect(try await source(none).facts([.devices]).devices == [])
        #expect(none.calls == [page(0)])
    }

    @Test func aPageRefusedMidwayIsAnErrorNeverAPartialInventory() async throws {
        let jamf = FakeJamf(computers: (1...250).map { FakeJamf.Computer(id: $0, "mac-\($0)", serial: "SER\($0)") })
        jamf.failNext([.serverError(500)], onPage: 1)
        let message = await failure { _ = try await source(jamf).facts([.devices]) }
        #expect(message.contains("list computers (page 2): HTTP 500 INTERNAL_SERVER_ERROR: An unexpected error occurred"))
        #expect(jamf.calls == [page(0), page(1)])
    }

    @Test(arguments: [0, 1, 2])
    func aPageShortOfTheTotalIsAnError(_ page: Int) async throws {
        // Given 250 computers, and one page (the last one too) that comes back empty
        let jamf = FakeJamf(computers: (1...250).map { FakeJamf.Computer(id: $0, "mac-\($0)", serial: "SER\($0)") })
        jamf.failNext([.emptyPage], onPage: page)
        // Then the read fails rather than report fewer computers
        let message = await failure { _ = try await source(jamf).facts([.devices]) }
        let promised = page == 2 ? 50 : 100
        #expect(message.contains("page \(page + 1) has 0 computers where the inventory's count of 250 promises \(promised); not reporting a partial inventory"))
    }

    @Test func oneTokenServesSeveralReadsAndAnExpiredOneIsReplacedOnce() async throws {
        let jamf = FakeJamf(computers: Self.fleet)
        let source = try source(jamf)
        _ = try await source.facts([.devices])
        _ = try await source.facts([.devices])
        #expect(jamf.tokenRequests == 1)
        jamf.failNext([.expiredToken])
        #expect(try await source.facts([.devices]).devices?.count == 2)
        #expect(jamf.tokenRequests == 2)
        #expect(jamf.calls.count == 4, "the refused call and its retry")
    }

    @Test func aTokenRefusedEvenWhenFreshIsAnError() async throws {
        let jamf = FakeJamf(computers: Self.fleet)
        jamf.failNext([.expiredToken, .expiredToken])
        let message = await failure { _ = try await source(jamf).facts([.devices]) }
        #expect(message.contains("list computers: HTTP 401 INVALID_TOKEN: Unauthorized; the API client's token was refused twice"))
        #expect(jamf.tokenRequests == 2 && !message.contains("fake-jamf-token"))
    }

    @Test func aWrongSecretIsRefusedWithoutTheSecret() async throws {
        let jamf = FakeJamf(computers: Self.fleet)
        let message = await failure {
            _ = try await source(jamf, environment: ["JAMF_CLIENT_ID": Self.clientID, "JAMF_CLIENT_SECRET": "wrong-but-secret-123"]).facts([.devices])
        }
        #expect(jamf.refusals == ["invalid_client"])
        #expect(message.contains("token request refused (HTTP 401 invalid_client); check the client id and secret of an enabled API client"))
        #expect(!message.contains("wrong-but-secret-123"))
        #expect(jamf.calls.isEmpty, "no inventory call without a token")
    }

    @Test func aMissingPrivilegeNamesIt() async throws {
        let jamf = FakeJamf(computers: Self.fleet, forbidden: true)
        let message = await failure { _ = try await source(jamf).facts([.devices]) }
        #expect(message.contains("list computers: HTTP 403 INVALID_PRIVILEGE: Forbidden; give the API client a role with the privilege Read Computers"))
    }

    @Test func throttlingIsHonoured() async throws {
        let jamf = FakeJamf(computers: Self.fleet)
        jamf.failNext([.tooManyRequests(retryAfter: 3), .serviceUnavailable(retryAfter: 1)])
        #expect(try await source(jamf).facts([.devices]).devices?.count == 2)
        #expect(waits.waits == [3, 1])
    }

    @Test func endlessThrottlingIsAnErrorNeverAnEmptyInventory() async throws {
        let jamf = FakeJamf(computers: Self.fleet)
        jamf.failNext(Array(repeating: .tooManyRequests(retryAfter: nil), count: 4))
        let message = await failure { _ = try await source(jamf).facts([.devices]) }
        #expect(message.contains("list computers: throttled (HTTP 429); try again later"))
        #expect(waits.waits == [1, 2, 4])
        let far = FakeJamf(computers: Self.fleet)
        far.failNext([.serviceUnavailable(retryAfter: 120)])
        let farMessage = await failure { _ = try await source(far).facts([.devices]) }
        #expect(farMessage.contains("throttled (HTTP 503, Retry-After 120 s)"))
    }

    @Test func garbageIsAnError() async throws {
        let jamf = FakeJamf(computers: Self.fleet)
        jamf.failNext([.malformed])
        let message = await failure { _ = try await source(jamf).facts([.devices]) }
        #expect(message.contains("list computers: the answer is not the expected inventory page (not JSON)"))

        let badDate = FakeJamf(computers: [FakeJamf.Computer(id: 1, "mac", serial: "S1", lastContactTime: "last Tuesday")])
        let dateMessage = await failure { _ = try await source(badDate).facts([.devices]) }
        #expect(dateMessage.contains("lastContactTime `last Tuesday` of computer 1 is not a date"))
    }

    @Test func missingCredentialsAndSettingsSayWhatToSet() throws {
        let jamf = FakeJamf(computers: [])
        let none = refusal { _ = try source(jamf, environment: [:]) }
        #expect(none.contains("JAMF_CLIENT_ID and JAMF_CLIENT_SECRET"))
        let noSecret = refusal { _ = try source(jamf, environment: ["JAMF_CLIENT_ID": Self.clientID]) }
        #expect(noSecret.contains("variable JAMF_CLIENT_SECRET") && !noSecret.contains(Self.clientID))
        let renamed = refusal { _ = try source(jamf, environment: ["JAMF_CLIENT_ID": Self.clientID], credentials: ["client_secret": "ACME_JAMF_SECRET"]) }
        #expect(renamed.contains("ACME_JAMF_SECRET"))
        let noBase = refusal { _ = try source(jamf, settings: [:]) }
        #expect(noBase.contains("set settings.base_url") && !noBase.contains(Self.secret))
        let badBase = refusal { _ = try source(jamf, settings: ["base_url": .string("acme.jamfcloud.com")]) }
        #expect(badBase.contains("settings.base_url `acme.jamfcloud.com` is not an http(s) URL"))
    }

    @Test func onlyDevicesAreProvided() async throws {
        let message = await failure { _ = try await source(FakeJamf(computers: [])).facts([.accounts]) }
        #expect(message.contains("Jamf provides devices, not accounts"))
    }

    @Test func anUnencryptedMacFailsDeviceEncryptionThroughTheRealCheck() async throws {
        // Given one encrypted and one unencrypted Mac
        let source = try source(FakeJamf(computers: Self.fleet))
        // When the device encryption control runs
        let control = Control(id: "device-encryption", title: "Laptops are encrypted", criteria: [Criterion("CC6.7")!], owner: "it", severity: .high,
                              cadence: 86_400, check: CheckSpec(type: "device_encryption", sources: ["jamf"]), remediation: "turn on FileVault")
        let results = await ControlRunner(sources: [source]).run(control, at: waits.now())
        // Then the unencrypted one fails and the encrypted one passes
        let byID = Dictionary(uniqueKeysWithValues: results.map { ($0.resource.id, $0) })
        #expect(byID.count == 2)
        #expect(byID["device:C02XK1JHJGH5"]?.status == .pass)
        #expect(byID["device:C02XK1JHJGH5"]?.resource.name == "Ada's MacBook Pro (ada@acme.example)")
        #expect(byID["device:H4TF2LL/A"]?.status == .fail)
        #expect(byID["device:H4TF2LL/A"]?.observed == "disk encryption off (macOS 13.6.7)")

        // And an inventory that cannot be read is an error, never a pass
        let down = FakeJamf(computers: Self.fleet)
        down.failNext([.serverError(502)])
        let failed = await ControlRunner(sources: [try self.source(down)]).run(control, at: waits.now())
        #expect(!failed.isEmpty && failed.allSatisfy { if case .error(let reason) = $0.status { reason.contains("HTTP 502") } else { false } })
    }

    @Test func liveSourcesBuildsTheJamfClient() throws {
        let config = SourceConfig(id: "jamf", kind: "jamf", settings: ["base_url": .string(Self.base)])
        let client = try SourceRegistry.client(for: config, environment: Self.environment, transport: FakeJamf(computers: []), clock: TestClock())
        #expect(client is JamfSource)
        #expect(SourceRegistry.liveKinds.contains("jamf"))
    }
}

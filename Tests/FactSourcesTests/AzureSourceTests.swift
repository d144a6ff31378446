import Checks
import Core
import FactSources
import Foundation
import HTTP
import Synchronization
import TestSupport
import Testing

@Suite("Azure source")
struct AzureSourceTests {
    static let tenant = "8d5c3e2a-1b4f-4c6d-9e7a-0f1b2c3d4e5f"
    static let clientID = "5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c"
    static let secret = "Az~8Q~fake.arm-secret_with+odd=chars&"
    static let prod = "11111111-2222-4333-8444-555555555555"
    static let dev = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    static let environment = ["AZURE_CLIENT_ID": clientID, "AZURE_CLIENT_SECRET": secret]
    static let workspace = "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/audit"

    private let waits = TestClock(sleeping: .returnsAtOnce)

    func source(_ transport: any HTTPTransport, environment: [String: String] = environment, credentials: [String: String] = [:],
                settings: [String: ConfigValue] = ["tenant_id": .string(tenant), "subscriptions": .list([.string(prod), .string(dev)])]) throws -> AzureSource {
        try AzureSource(config: SourceConfig(id: "azure", kind: "azure", credentialVariables: credentials, settings: settings),
                        environment: environment, transport: transport, clock: waits)
    }

    func failure(_ body: () async throws -> Void) async -> String {
        do { try await body(); Issue.record("expected an error"); return "" } catch { return "\(error)" }
    }

    func refusal(_ body: () throws -> Void) -> String {
        do { try body(); Issue.record("expected a refusal"); return "" } catch { return "\(error)" }
    }

    /// Two subscriptions: prod with three storage accounts (two to a page), dev with one.
    static func storage() -> FakeAzure {
        FakeAzure(subscriptions: [
            prod: FakeAzure.Subscription(storageAccounts: [
                FakeAzure.StorageAccount("acmeexports", keySource: "Microsoft.Keyvault", allowBlobPublicAccess: false),
                FakeAzure.StorageAccount("acmestatic", allowBlobPublicAccess: true),
                FakeAzure.StorageAccount("acmelegacy", allowBlobPublicAccess: nil),
            ]),
            dev: FakeAzure.Subscription(storageAccounts: [FakeAzure.StorageAccount("acmedev")]),
        ])
    }

    @Test func storageAccountsOfEverySubscriptionBecomeBuckets() async throws {
        // Given three accounts in prod (two pages) and one in dev
        let arm = Self.storage()
        // When buckets are read
        let buckets = try #require(try await source(arm).facts([.buckets]).buckets)
        // Then every page of each subscription was read with the pinned api-version
        #expect(arm.calls == [
            "/subscriptions/\(Self.prod)/providers/Microsoft.Storage/storageAccounts?api-version=2023-05-01",
            "/subscriptions/\(Self.prod)/providers/Microsoft.Storage/storageAccounts?api-version=2023-05-01&$skipToken=2",
            "/subscriptions/\(Self.dev)/providers/Microsoft.Storage/storageAccounts?api-version=2023-05-01",
        ])
        // And key source and the account-level public gate are read as documented
        #expect(buckets == [
            Bucket(provider: "Azure", name: "\(Self.prod)/acmeexports", encryption: .customerManaged, isPublic: false),
            Bucket(provider: "Azure", name: "\(Self.prod)/acmestatic", encryption: .providerManaged, isPublic: true),
            // Not set: accounts from before Azure's late-2023 default, which permit anonymous access (SDK docs: "the
            // default interpretation is true"); a security check must not read the missing property as private.
            Bucket(provider: "Azure", name: "\(Self.prod)/acmelegacy", encryption: .providerManaged, isPublic: true),
            Bucket(provider: "Azure", name: "\(Self.dev)/acmedev", encryption: .providerManaged, isPublic: false),
        ])
    }

    @Test func anAccountWithoutEncryptionIsMalformedNeverUnencrypted() async throws {
        let arm = FakeAzure(subscriptions: [Self.prod: FakeAzure.Subscription(storageAccounts: [FakeAzure.StorageAccount("odd", keySource: nil)])])
        let message = await failure { _ = try await source(arm, settings: ["tenant_id": .string(Self.tenant), "subscriptions": .string(Self.prod)]).facts([.buckets]) }
        #expect(message.contains("storage account odd has no encryption block"))

        let unknown = FakeAzure(subscriptions: [Self.prod: FakeAzure.Subscription(storageAccounts: [FakeAzure.StorageAccount("odd", keySource: "Microsoft.Quantum")])])
        let unknownMessage = await failure {
            _ = try await source(unknown, settings: ["tenant_id": .string(Self.tenant), "subscriptions": .string(Self.prod)]).facts([.buckets])
        }
        #expect(unknownMessage.contains("keySource `Microsoft.Quantum`"))
    }

    /// prod: one NSG open to the internet on SSH and with assorted rules that must be read or skipped; dev: RDP from an office range.
    static func network() -> FakeAzure {
        FakeAzure(subscriptions: [
            prod: FakeAzure.Subscription(networkSecurityGroups: [
                FakeAzure.NetworkSecurityGroup("web-nsg", resourceGroup: "rg-web", rules: [
                    FakeAzure.SecurityRule("allow-ssh", source: "*", port: "22"),
                    FakeAzure.SecurityRule("allow-web", priority: 110, source: "Internet", ports: ["80", "443", "8000-8100"]),
                    FakeAzure.SecurityRule("deny-rdp", access: "Deny", priority: 120, source: "*", port: "3389"),
                    FakeAzure.SecurityRule("egress-all", direction: "Outbound", priority: 130, source: "*", port: "*"),
                ]),
                FakeAzure.NetworkSecurityGroup("db-nsg", rules: [
                    FakeAzure.SecurityRule("vnet-any", source: "VirtualNetwork", port: "*"),
                    FakeAzure.SecurityRule("partners", priority: 110, sources: ["203.0.113.0/24", "0.0.0.0/0", "::/0"], port: "5432"),
                ]),
                FakeAzure.NetworkSecurityGroup("empty-nsg", rules: []),
            ]),
            dev: FakeAzure.Subscription(networkSecurityGroups: [
                FakeAzure.NetworkSecurityGroup("jump-nsg", resourceGroup: "rg-dev", rules: [
                    FakeAzure.SecurityRule("office-rdp", sources: ["198.51.100.0/24"], port: "3389"),
                ]),
            ]),
        ])
    }

    @Test func inboundAllowRulesBecomeOneRulePerPortRange() async throws {
        let arm = Self.network()
        let rules = try #require(try await source(arm).facts([.networkRules]).networkRules)
        #expect(arm.calls.filter { $0.contains("networkSecurityGroups") }.count == 3, "prod has two pages, dev one")
        #expect(arm.calls.allSatisfy { $0.contains("api-version=2023-09-01") })
        let world = ["0.0.0.0/0", "::/0"]
        #expect(rules == [
            NetworkRule(provider: "Azure", id: "\(Self.prod)/rg-web/web-nsg/allow-ssh/22", name: "allow-ssh in web-nsg", fromPort: 22, toPort: 22, sources: world),
            NetworkRule(provider: "Azure", id: "\(Self.prod)/rg-web/web-nsg/allow-web/80", name: "allow-web in web-nsg", fromPort: 80, toPort: 80, sources: world),
            NetworkRule(provider: "Azure", id: "\(Self.prod)/rg-web/web-nsg/allow-web/443", name: "allow-web in web-nsg", fromPort: 443, toPort: 443, sources: world),
            NetworkRule(provider: "Azure", id: "\(Self.prod)/rg-web/web-nsg/allow-web/8000-8100", name: "allow-web in web-nsg", fromPort: 8000, toPort: 8100,
                        sources: world),
            NetworkRule(provider: "Azure", id: "\(Self.prod)/rg-net/db-nsg/vnet-any/*", name: "vnet-any in db-nsg", fromPort: nil, toPort: nil,
                        sources: ["VirtualNetwork"]),
            NetworkRule(provider: "Azure", id: "\(Self.prod)/rg-net/db-nsg/partners/5432", name: "partners in db-nsg", fromPort: 5432, toPort: 5432,
                        sources: ["203.0.113.0/24", "0.0.0.0/0", "::/0"]),
            NetworkRule(provider: "Azure", id: "\(Self.dev)/rg-dev/jump-nsg/office-rdp/3389", name: "office-rdp in jump-nsg", fromPort: 3389, toPort: 3389,
                        sources: ["198.51.100.0/24"]),
        ], "Deny, Outbound and the built-in default rules are not reported")
    }

    @Test(arguments: [
        ("22", 22, 22), ("1000-2000", 1000, 2000), (" 3389 ", 3389, 3389), ("0-65535", 0, 65535),
    ] as [(String, Int, Int)])
    func portRangesAreRead(_ text: String, _ from: Int, _ to: Int) async throws {
        let arm = FakeAzure(subscriptions: [Self.prod: FakeAzure.Subscription(networkSecurityGroups: [
            FakeAzure.NetworkSecurityGroup("nsg", rules: [FakeAzure.SecurityRule("r", source: "Any", port: text)]),
        ])])
        let rules = try #require(try await source(arm, settings: ["tenant_id": .string(Self.tenant), "subscriptions": .string(Self.prod)])
            .facts([.networkRules]).networkRules)
        #expect(rules.map(\.fromPort) == [from] && rules.map(\.toPort) == [to])
        #expect(rules.first?.sources == ["0.0.0.0/0", "::/0"], "`Any` is the whole internet")
    }

    @Test(arguments: ["ssh", "22-", "2000-1000", "70000", ""])
    func aPortRangeThatIsNotOneIsAnError(_ text: String) async throws {
        let arm = FakeAzure(subscriptions: [Self.prod: FakeAzure.Subscription(networkSecurityGroups: [
            FakeAzure.NetworkSecurityGroup("nsg", rules: [FakeAzure.SecurityRule("r", source: "*", port: text)]),
        ])])
        let message = await failure {
            _ = try await source(arm, settings: ["tenant_id": .string(Self.tenant), "subscriptions": .string(Self.prod)]).facts([.networkRules])
        }
        #expect(message.contains("rule r of nsg has port range"))
    }

    @Test func anNSGOpenToTheInternetOnSSHFailsNetworkExposure() async throws {
        // Given the prod and dev security groups
        let source = try source(Self.network())
        // When the network exposure control runs through the real check
        let control = Control(id: "azure-exposure", title: "No admin ports open", criteria: [Criterion("CC6.6")!], owner: "infra", severity: .high,
                              cadence: 3_600, check: CheckSpec(type: "network_exposure", sources: ["azure"]), remediation: "restrict the NSG rule")
        let results = await ControlRunner(sources: [source]).run(control, at: waits.now())
        // Then SSH open to `*` fails, the web ports and the office-only RDP pass
        let byID = Dictionary(uniqueKeysWithValues: results.map { ($0.resource.id, $0) })
        let ssh = try #require(byID["azure:\(Self.prod)/rg-web/web-nsg/allow-ssh/22"])
        #expect(ssh.status == .fail)
        #expect(ssh.observed == "port 22 open to 0.0.0.0/0 and ::/0")
        #expect(byID["azure:\(Self.prod)/rg-web/web-nsg/allow-web/443"]?.status == .pass)
        #expect(byID["azure:\(Self.dev)/rg-dev/jump-nsg/office-rdp/3389"]?.status == .pass)
        #expect(results.filter { $0.status == .fail }.count == 1)
    }

    @Test func activityLogExportIsReadPerSubscription() async throws {
        // Given prod exporting Administrative to a workspace (and a second setting that exports nothing), dev with none
        let arm = FakeAzure(subscriptions: [
            Self.prod: FakeAzure.Subscription(diagnosticSettings: [
                FakeAzure.DiagnosticSetting("to-sentinel", workspaceId: Self.workspace, logs: [.category("Administrative"), .category("Security")]),
                FakeAzure.DiagnosticSetting("alerts-only", storageAccountId: "/subscriptions/x/sa", logs: [.category("Administrative", enabled: false),
                                                                                                           .category("Alert")]),
            ]),
            Self.dev: FakeAzure.Subscription(),
        ])
        // When audit trails are read
        let trails = try #require(try await source(arm).facts([.auditTrails]).auditTrails)
        // Then
        #expect(arm.calls == [
            "/subscriptions/\(Self.prod)/providers/Microsoft.Insights/diagnosticSettings?api-version=2021-05-01-preview",
            "/subscriptions/\(Self.dev)/providers/Microsoft.Insights/diagnosticSettings?api-version=2021-05-01-preview",
        ])
        #expect(trails == [
            AuditTrail(provider: "Azure", name: "to-sentinel (subscription \(Self.prod) activity log export)",
                       multiRegion: true, logging: true, scope: Self.prod),
            AuditTrail(provider: "Azure", name: "alerts-only (subscription \(Self.prod) activity log export)",
                       multiRegion: true, logging: false, scope: Self.prod),
            AuditTrail(provider: "Azure", name: "subscription \(Self.dev) activity log export", multiRegion: true, logging: false, scope: Self.dev),
        ])

        // And through the real check, dev fails with its own resource while prod passes
        let control = Control(id: "azure-audit", title: "Activity log exported", criteria: [Criterion("CC7.2")!], owner: "infra", severity: .high,
                              cadence: 3_600, check: CheckSpec(type: "audit_logging", sources: ["azure"]), remediation: "add a diagnostic setting")
        let results = await ControlRunner(sources: [try source(arm)]).run(control, at: waits.now())
        let byID = Dictionary(uniqueKeysWithValues: results.map { ($0.resource.id, $0.status) })
        #expect(byID == ["azure:\(Self.prod):audit-trail": .pass, "azure:\(Self.dev):audit-trail": .fail])
    }

    @Test(arguments: [
        (FakeAzure.DiagnosticSetting("all", eventHubAuthorizationRuleId: "/subscriptions/x/ehns/rule", logs: [.group("allLogs")]), true),
        (FakeAzure.DiagnosticSetting("audit-group", storageAccountId: "/subscriptions/x/sa", logs: [.group("audit")]), false),
        (FakeAzure.DiagnosticSetting("nowhere", logs: [.category("Administrative")]), false),
        (FakeAzure.DiagnosticSetting("off", workspaceId: AzureSourceTests.workspace, logs: [.group("allLogs", enabled: false)]), false),
        (FakeAzure.DiagnosticSetting("storage", storageAccountId: "/subscriptions/x/sa", logs: [.category("Administrative")]), true),
    ] as [(FakeAzure.DiagnosticSetting, Bool)])
    func aSettingLogsWhenItSendsAdministrativeEventsSomewhere(_ setting: FakeAzure.DiagnosticSetting, _ logging: Bool) async throws {
        let arm = FakeAzure(subscriptions: [Self.prod: FakeAzure.Subscription(diagnosticSettings: [setting])])
        let trails = try await source(arm, settings: ["tenant_id": .string(Self.tenant), "subscriptions": .string(Self.prod)]).facts([.auditTrails]).auditTrails
        #expect(trails?.map(\.logging) == [logging])
    }

    @Test func allKindsAtOnceShareOneToken() async throws {
        let arm = Self.network()
        let facts = try await source(arm).facts([.buckets, .networkRules, .auditTrails])
        #expect(facts.buckets == [] && facts.networkRules?.count == 7 && facts.auditTrails?.count == 2)
        #expect(arm.tokenRequests == 1)
    }

    @Test func accountsAreEntrasJob() async throws {
        let message = await failure { _ = try await source(Self.storage()).facts([.accounts]) }
        #expect(message.contains("not accounts") && message.contains("`entra` source"))
    }

    @Test func aMissingReaderRoleNamesTheRole() async throws {
        let arm = FakeAzure(subscriptions: [Self.prod: FakeAzure.Subscription(), Self.dev: FakeAzure.Subscription(reader: false)])
        let message = await failure { _ = try await source(arm).facts([.networkRules]) }
        #expect(message.contains("list network security groups of subscription \(Self.dev): HTTP 403 AuthorizationFailed: The client '\(Self.clientID)'"))
        #expect(message.contains("Reader role") && message.contains("correlation id 7d1f2a3b-0000-4000-8000-00000000c0de"))
        #expect(!message.contains(Self.secret) && !message.contains("Bearer") && !message.contains("fake-arm-token"))
    }

    @Test func anUnknownSubscriptionSaysSo() async throws {
        let arm = FakeAzure(subscriptions: [Self.prod: FakeAzure.Subscription()])
        let message = await failure { _ = try await source(arm).facts([.buckets]) }
        #expect(message.contains("HTTP 404 SubscriptionNotFound") && message.contains("settings.subscriptions"))
    }

    @Test func throttlingIsHonoured() async throws {
        let arm = Self.storage()
        arm.failNext([.tooManyRequests(retryAfter: 3), .serviceUnavailable(retryAfter: 1)])
        let buckets = try await source(arm).facts([.buckets]).buckets
        #expect(buckets?.count == 4)
        #expect(waits.waits == [3, 1])
    }

    @Test func endlessThrottlingIsAnErrorNeverAnEmptyList() async throws {
        let arm = Self.storage()
        arm.failNext(Array(repeating: .tooManyRequests(retryAfter: nil), count: 4))
        let message = await failure { _ = try await source(arm).facts([.buckets]) }
        #expect(message.contains("list storage accounts of subscription \(Self.prod): throttled (HTTP 429)"))
        #expect(waits.waits == [1, 2, 4])

        let long = Self.storage()
        long.failNext([.serviceUnavailable(retryAfter: 120)])
        let longMessage = await failure { _ = try await source(long).facts([.buckets]) }
        #expect(longMessage.contains("throttled (HTTP 503, Retry-After 120 s)"))
    }

    @Test func serverErrorsAndGarbageAreErrors() async throws {
        let down = Self.storage()
        down.failNext([.serverError(500)])
        let downMessage = await failure { _ = try await source(down).facts([.buckets]) }
        #expect(downMessage.contains("HTTP 500 InternalServerError"))

        let garbage = Self.network()
        garbage.failNext([.malformed])
        let garbageMessage = await failure { _ = try await source(garbage).facts([.networkRules]) }
        #expect(garbageMessage.contains("list network security groups of subscription \(Self.prod): the answer is not the expected list (not JSON)"))

        // A second page that fails is an error too, not the first page alone
        let secondPage = Self.storage()
        secondPage.failNext([.pass, .serverError(502)])
        let secondMessage = await failure { _ = try await source(secondPage).facts([.buckets]) }
        #expect(secondMessage.contains("list storage accounts of subscription \(Self.prod): HTTP 502 InternalServerError"))
        #expect(secondPage.calls.count == 2)
    }

    @Test func anExpiredTokenIsReplacedOnce() async throws {
        let arm = Self.storage()
        let source = try source(arm)
        _ = try await source.facts([.buckets])
        arm.failNext([.expiredToken])
        let buckets = try await source.facts([.buckets]).buckets
        #expect(buckets?.count == 4 && arm.tokenRequests == 2)
    }

    @Test func theTokenIsAskedForTheManagementScopeAndARefusalHidesTheSecret() async throws {
        let arm = Self.storage()
        let message = await failure {
            _ = try await source(arm, environment: ["AZURE_CLIENT_ID": Self.clientID, "AZURE_CLIENT_SECRET": "wrong-but-secret-123"]).facts([.buckets])
        }
        #expect(arm.refusals == ["invalid_client"])
        #expect(message.contains("token request refused (HTTP 401 invalid_client: AADSTS7000215") && !message.contains("wrong-but-secret-123"))
        let tenant = await failure { _ = try await source(arm, settings: ["tenant_id": .string("other.onmicrosoft.com"), "subscriptions": .string(Self.prod)]).facts([.buckets]) }
        #expect(tenant.contains("AADSTS90002"))
        // An endpoint that grants only Graph's scope refuses ours: the source asks for management.azure.com/.default
        let graphOnly = FakeEntra(clientID: Self.clientID, clientSecret: Self.secret, users: [])
        let scope = await failure { _ = try await source(graphOnly).facts([.buckets]) }
        #expect(graphOnly.refusals == ["invalid_scope"] && scope.contains("AADSTS1002012"))
    }

    @Test func missingCredentialsAndSettingsSayWhatToSet() throws {
        let arm = FakeAzure(subscriptions: [:])
        let none = refusal { _ = try source(arm, environment: [:]) }
        #expect(none.contains("AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"))
        let renamed = refusal { _ = try source(arm, environment: ["AZURE_CLIENT_ID": Self.clientID], credentials: ["client_secret": "ACME_ARM_SECRET"]) }
        #expect(renamed.contains("ACME_ARM_SECRET"))
        let noTenant = refusal { _ = try source(arm, settings: ["subscriptions": .string(Self.prod)]) }
        #expect(noTenant.contains("settings.tenant_id is required") && !noTenant.contains(Self.secret))
        let noSubscriptions = refusal { _ = try source(arm, settings: ["tenant_id": .string(Self.tenant)]) }
        #expect(noSubscriptions.contains("settings.subscriptions is required"))
        let oddSubscription = refusal { _ = try source(arm, settings: ["tenant_id": .string(Self.tenant), "subscriptions": .list([.string("../x")])]) }
        #expect(oddSubscription.contains("`../x` is not a subscription id"))
        let oddURL = refusal {
            _ = try source(arm, settings: ["tenant_id": .string(Self.tenant), "subscriptions": .string(Self.prod), "management_url": .string("ftp://x")])
        }
        #expect(oddURL.contains("management_url `ftp://x` is not an http(s) URL"))
    }

    @Test func liveSourcesBuildsTheAzureClient() throws {
        let config = SourceConfig(id: "azure", kind: "azure", settings: ["tenant_id": .string(Self.tenant), "subscriptions": .string(Self.prod)])
        let client = try SourceRegistry.client(for: config, environment: Self.environment, transport: FakeAzure(subscriptions: [:]), clock: TestClock())
        #expect(client is AzureSource)
        #expect(SourceRegistry.liveKinds.contains("azure"))
        #expect(client?.provides == Set(SourceRegistry.kind(named: "azure")?.provides ?? []))
    }
}

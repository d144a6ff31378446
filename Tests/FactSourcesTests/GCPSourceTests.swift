import _CryptoExtras
import Checks
import Core
import FactSources
import Foundation
import HTTP
import Synchronization
import TestSupport
import Testing

@Suite("GCP source")
struct GCPSourceTests {
    static let key = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let otherKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let readOnly = "https://www.googleapis.com/auth/cloud-platform.read-only"
    static let dataAccess = FakeGCP.AuditConfig(logTypes: ["ADMIN_READ": [], "DATA_READ": [], "DATA_WRITE": []])

    private let clock = TestClock(sleeping: .returnsAtOnce)

    func fake(_ projects: [String: FakeGCP.Project], publicKey: _RSA.Signing.PublicKey = key.publicKey, pageSize: Int = 2) -> FakeGCP {
        FakeGCP(publicKey: publicKey, projects: projects, pageSize: pageSize, now: clock.nowClosure)
    }

    func source(_ transport: any HTTPTransport, key: _RSA.Signing.PrivateKey = key, projects: [String] = ["acme-prod"],
                settings: [String: ConfigValue] = [:], credentials: [String: String] = [:], environment: [String: String]? = nil) throws -> GCPSource {
        let env = environment ?? ["GCP_SERVICE_ACCOUNT_KEY": FakeGoogle.keyFile(privateKey: key)]
        var all = settings
        if all["projects"] == nil, !projects.isEmpty { all["projects"] = .list(projects.map { .string($0) }) }
        return try GCPSource(config: SourceConfig(id: "gcp", kind: "gcp", credentialVariables: credentials, settings: all),
                             environment: env, transport: transport, clock: clock)
    }

    func refusal(_ body: () throws -> Void) -> String {
        do { try body(); Issue.record("expected a refusal"); return "" } catch { return "\(error)" }
    }

    func failure(_ body: () async throws -> Void) async -> String {
        do { try await body(); Issue.record("expected an error"); return "" } catch { return "\(error)" }
    }

    // MARK: Buckets

    @Test func bucketsAcrossPagesWithEncryptionAndPublicAccess() async throws {
        // Given five buckets served two to a page: plain, CMEK, public to allUsers, public to allAuthenticatedUsers
        // but with public access prevention enforced, and a private one with a project-only binding
        let gcp = fake(["acme-prod": FakeGCP.Project(buckets: [
            FakeGCP.Bucket("plain"),
            FakeGCP.Bucket("cmek", kmsKeyName: "projects/acme-prod/locations/us/keyRings/soc2/cryptoKeys/buckets"),
            FakeGCP.Bucket("website", bindings: ["roles/storage.objectViewer": ["allUsers"], "roles/storage.legacyBucketOwner": ["projectOwner:acme-prod"]]),
            FakeGCP.Bucket("guarded", publicAccessPrevention: "enforced", bindings: ["roles/storage.objectViewer": ["allAuthenticatedUsers"]]),
            FakeGCP.Bucket("shared", bindings: ["roles/storage.objectViewer": ["group:eng@acme.example", "allAuthenticatedUsers"]]),
        ])])
        // When the source reads buckets
        let buckets = try #require(try await source(gcp).facts([.buckets]).buckets)
        // Then every page was listed, and each bucket's IAM policy read unless prevention is enforced
        let listings = gcp.calls.filter { $0.hasPrefix("GET storage.googleapis.com /storage/v1/b?") }
        #expect(listings == ["GET storage.googleapis.com /storage/v1/b?project=acme-prod&maxResults=1000",
                             "GET storage.googleapis.com /storage/v1/b?project=acme-prod&maxResults=1000&pageToken=Cg12",
                             "GET storage.googleapis.com /storage/v1/b?project=acme-prod&maxResults=1000&pageToken=Cg14"])
        #expect(gcp.calls.filter { $0.hasSuffix("/iam") }.count == 4, "guarded's policy need not be read")
        #expect(buckets == [
            Bucket(provider: "GCP", name: "acme-prod/plain", encryption: .providerManaged, isPublic: false),
            Bucket(provider: "GCP", name: "acme-prod/cmek", encryption: .customerManaged, isPublic: false),
            Bucket(provider: "GCP", name: "acme-prod/website", encryption: .providerManaged, isPublic: true),
            Bucket(provider: "GCP", name: "acme-prod/guarded", encryption: .providerManaged, isPublic: false),
            Bucket(provider: "GCP", name: "acme-prod/shared", encryption: .providerManaged, isPublic: true),
        ])
    }

    @Test func everyConfiguredProjectIsRead() async throws {
        let gcp = fake(["acme-prod": FakeGCP.Project(buckets: [FakeGCP.Bucket("logs")]),
                        "acme-data": FakeGCP.Project(buckets: [FakeGCP.Bucket("exports")], auditConfigs: [Self.dataAccess])])
        let facts = try await source(gcp, projects: ["acme-prod", "acme-data"]).facts([.buckets, .auditTrails])
        #expect(facts.buckets?.map(\.name) == ["acme-prod/logs", "acme-data/exports"])
        #expect(facts.auditTrails == [
            AuditTrail(provider: "GCP", name: "acme-prod data-access audit logs", multiRegion: true, logging: false, scope: "acme-prod"),
            AuditTrail(provider: "GCP", name: "acme-data data-access audit logs", multiRegion: true, logging: true, scope: "acme-data"),
        ])
        #expect(gcp.tokenRequests == 1, "one token serves every call")
    }

    @Test func aPublicBucketFailsStoragePublicAccessEndToEnd() async throws {
        // Given a project with a public bucket, and one whose grant to allUsers (made before public access
        // prevention was enforced) is blocked
        let gcp = fake(["acme-prod": FakeGCP.Project(buckets: [
            FakeGCP.Bucket("press-kit", bindings: ["roles/storage.objectViewer": ["allUsers"]]),
            FakeGCP.Bucket("customer-exports", publicAccessPrevention: "enforced", bindings: ["roles/storage.objectViewer": ["allUsers"]]),
        ])])
        let control = Control(id: "gcs-public", title: "No public buckets", criteria: [Criterion("CC6.6")!], owner: "infra", severity: .critical,
                              cadence: 3_600, check: CheckSpec(type: "storage_public_access", sources: ["gcp"]), remediation: "remove allUsers")
        // When the control runs against the live source
        let results = await ControlRunner(sources: [try source(gcp)]).run(control, at: clock.now())
        // Then the public bucket fails and the guarded one passes
        let byID = Dictionary(uniqueKeysWithValues: results.map { ($0.resource.id, $0.status) })
        #expect(byID == ["gcp:acme-prod/press-kit": .fail, "gcp:acme-prod/customer-exports": .pass])
    }

    // MARK: Firewalls

    @Test func ingressRulesBecomeNetworkRulesPerPortRange() async throws {
        let gcp = fake(["acme-prod": FakeGCP.Project(firewalls: [
            FakeGCP.Firewall("allow-ssh", allowed: [("tcp", ["22"])]),
            FakeGCP.Firewall("allow-everything", allowed: [("all", nil)]),
            FakeGCP.Firewall("internal", sourceRanges: ["10.128.0.0/9"], allowed: [("tcp", ["0-65535"]), ("udp", nil), ("icmp", nil)]),
            FakeGCP.Firewall("old-rdp", disabled: true, allowed: [("tcp", ["3389"])]),
            FakeGCP.Firewall("egress-web", direction: "EGRESS", allowed: [("tcp", ["443"])]),
            FakeGCP.Firewall("block-telnet", denied: [("tcp", ["23"])]),
            FakeGCP.Firewall("web", sourceRanges: ["0.0.0.0/0", "::/0"], allowed: [("tcp", ["80", "443", "8000-8080"])]),
        ])])
        let rules = try #require(try await source(gcp).facts([.networkRules]).networkRules)
        #expect(gcp.calls.filter { $0.contains("/global/firewalls") } == [
            "GET compute.googleapis.com /compute/v1/projects/acme-prod/global/firewalls?maxResults=500",
            "GET compute.googleapis.com /compute/v1/projects/acme-prod/global/firewalls?maxResults=500&pageToken=Cg12",
            "GET compute.googleapis.com /compute/v1/projects/acme-prod/global/firewalls?maxResults=500&pageToken=Cg14",
            "GET compute.googleapis.com /compute/v1/projects/acme-prod/global/firewalls?maxResults=500&pageToken=Cg16",
        ])
        let world = ["0.0.0.0/0"]
        #expect(rules == [
            NetworkRule(provider: "GCP", id: "acme-prod/allow-ssh/0", name: "allow-ssh (acme-prod, tcp)", fromPort: 22, toPort: 22, sources: world),
            NetworkRule(provider: "GCP", id: "acme-prod/allow-everything/0", name: "allow-everything (acme-prod, all)", fromPort: nil, toPort: nil, sources: world),
            NetworkRule(provider: "GCP", id: "acme-prod/internal/0", name: "internal (acme-prod, tcp)", fromPort: 0, toPort: 65535, sources: ["10.128.0.0/9"]),
            NetworkRule(provider: "GCP", id: "acme-prod/internal/1", name: "internal (acme-prod, udp)", fromPort: nil, toPort: nil, sources: ["10.128.0.0/9"]),
            NetworkRule(provider: "GCP", id: "acme-prod/web/0", name: "web (acme-prod, tcp)", fromPort: 80, toPort: 80, sources: ["0.0.0.0/0", "::/0"]),
            NetworkRule(provider: "GCP", id: "acme-prod/web/1", name: "web (acme-prod, tcp)", fromPort: 443, toPort: 443, sources: ["0.0.0.0/0", "::/0"]),
            NetworkRule(provider: "GCP", id: "acme-prod/web/2", name: "web (acme-prod, tcp)", fromPort: 8000, toPort: 8080, sources: ["0.0.0.0/0", "::/0"]),
        ], "disabled, egress, deny and ICMP entries are left out")
    }

    @Test func sshAndAllPortsOpenToTheWorldFailTheExposureCheck() async throws {
        let gcp = fake(["acme-prod": FakeGCP.Project(firewalls: [
            FakeGCP.Firewall("allow-ssh", allowed: [("tcp", ["22"])]),
            FakeGCP.Firewall("allow-everything", allowed: [("all", nil)]),
            FakeGCP.Firewall("web", allowed: [("tcp", ["443"])]),
            FakeGCP.Firewall("old-ssh", disabled: true, allowed: [("tcp", ["22"])]),
        ])])
        let control = Control(id: "gcp-exposure", title: "No SSH from the internet", criteria: [Criterion("CC6.6")!], owner: "infra", severity: .high,
                              cadence: 3_600, check: CheckSpec(type: "network_exposure", sources: ["gcp"]), remediation: "restrict sourceRanges")
        let results = await ControlRunner(sources: [try source(gcp)]).run(control, at: clock.now())
        let byID = Dictionary(uniqueKeysWithValues: results.map { ($0.resource.id, $0.status) })
        #expect(byID == ["gcp:acme-prod/allow-ssh/0": .fail, "gcp:acme-prod/allow-everything/0": .fail, "gcp:acme-prod/web/0": .pass])
    }

    @Test func aPortThatIsNotAPortIsAnError() async throws {
        let gcp = fake(["acme-prod": FakeGCP.Project(firewalls: [FakeGCP.Firewall("odd", allowed: [("tcp", ["ssh"])])])])
        let message = await failure { _ = try await source(gcp).facts([.networkRules]) }
        #expect(message.contains("firewall odd has a port `ssh` that is not a port or a range"))
    }

    // MARK: Audit logs

    @Test(arguments: [
        ([GCPSourceTests.dataAccess], true),
        ([FakeGCP.AuditConfig(logTypes: ["DATA_READ": [], "DATA_WRITE": ["user:ci@acme.example"]])], true),
        ([], false),
        ([FakeGCP.AuditConfig(logTypes: ["ADMIN_READ": [], "DATA_READ": []])], false),
        ([FakeGCP.AuditConfig(service: "storage.googleapis.com", logTypes: ["DATA_READ": [], "DATA_WRITE": []])], false),
    ] as [([FakeGCP.AuditConfig], Bool)])
    func dataAccessLogsForAllServicesAreTheTrail(configs: [FakeGCP.AuditConfig], logging: Bool) async throws {
        let gcp = fake(["acme-prod": FakeGCP.Project(auditConfigs: configs)])
        let trails = try await source(gcp).facts([.auditTrails]).auditTrails
        #expect(trails == [AuditTrail(provider: "GCP", name: "acme-prod data-access audit logs", multiRegion: true, logging: logging, scope: "acme-prod")])
        #expect(gcp.calls == ["POST cloudresourcemanager.googleapis.com /v1/projects/acme-prod:getIamPolicy"])
    }

    // MARK: Auth

    @Test func theAssertionIsForTheServiceAccountItselfWithTheReadOnlyScope() async throws {
        let gcp = fake(["acme-prod": FakeGCP.Project()])
        let source = try source(gcp)
        _ = try await source.facts([.auditTrails])
        _ = try await source.facts([.buckets, .networkRules])
        let claims = try #require(gcp.assertionClaims.first)
        #expect(claims["sub"] == nil && claims["scope"] == Self.readOnly && claims["aud"] == "https://oauth2.googleapis.com/token")
        #expect(gcp.tokenRequests == 1)
        // 59 minutes on, the token has under a minute left: a new one is fetched before it runs out
        clock.advance(by: 59 * 60)
        _ = try await source.facts([.auditTrails])
        #expect(gcp.tokenRequests == 2)
    }

    @Test func anAssertionSignedByAnotherKeyIsRefused() async throws {
        let gcp = fake(["acme-prod": FakeGCP.Project()])
        let message = await failure { _ = try await source(gcp, key: Self.otherKey).facts([.buckets]) }
        #expect(message.contains("token request refused (HTTP 400 invalid_grant: Invalid JWT Signature.)"))
        #expect(!message.contains("PRIVATE KEY") && !message.contains("ya29"))
        #expect(gcp.calls.isEmpty, "no API call without a token")
    }

    // MARK: Failures

    @Test func permissionDeniedSaysWhichCallAndWhy() async throws {
        let gcp = fake(["acme-prod": FakeGCP.Project()])
        gcp.failNext([.permissionDenied])
        let message = await failure { _ = try await source(gcp).facts([.auditTrails]) }
        #expect(message.contains("resourcemanager projects.getIamPolicy acme-prod: HTTP 403 PERMISSION_DENIED: The caller does not have permission"))
        #expect(!message.contains("ya29"))

        let unknown = await failure { _ = try await source(gcp, projects: ["acme-gone"]).facts([.networkRules]) }
        #expect(unknown.contains("compute firewalls.list acme-gone: HTTP 403 PERMISSION_DENIED: Permission 'compute.firewalls.list' denied"))
    }

    @Test func throttlingIsWaitedOut() async throws {
        let gcp = fake(["acme-prod": FakeGCP.Project(buckets: [FakeGCP.Bucket("logs")])])
        gcp.failNext([.tooManyRequests(retryAfter: 3), .serverError(503)])
        let buckets = try await source(gcp).facts([.buckets]).buckets
        #expect(buckets?.count == 1)
        #expect(clock.waits == [3, 2], "Retry-After first, then the 2 s backoff of a second attempt")
    }

    @Test func throttlingThatDoesNotEndIsAnError() async throws {
        let gcp = fake(["acme-prod": FakeGCP.Project()])
        gcp.failNext([.tooManyRequests(retryAfter: 600)])
        let message = await failure { _ = try await source(gcp).facts([.networkRules]) }
        #expect(message.contains("compute firewalls.list acme-prod: throttled (HTTP 429, Retry-After 600 s)"))
        #expect(clock.waits.isEmpty)
    }

    @Test(arguments: [FactKind.buckets, .networkRules, .auditTrails])
    func garbageAndServerErrorsAreErrorsNeverEmptyFacts(kind: FactKind) async throws {
        let gcp = fake(["acme-prod": FakeGCP.Project(buckets: [FakeGCP.Bucket("logs")])])
        gcp.failNext([.malformed])
        let message = await failure { _ = try await source(gcp).facts([kind]) }
        #expect(message.contains("the answer is malformed (not JSON)"))

        gcp.failNext([.serverError(500)])
        let down = await failure { _ = try await source(gcp).facts([kind]) }
        #expect(down.contains(": HTTP 500"))
    }

    @Test func aBucketPolicyWithoutItsFieldsIsAnError() async throws {
        // Given the listing succeeds but the IAM policy answer lacks the etag every policy carries
        let gcp = fake(["acme-prod": FakeGCP.Project(buckets: [FakeGCP.Bucket("logs")])])
        let listingThenHollow = FailingAfter(base: gcp, calls: 1)
        let message = await failure { _ = try await source(listingThenHollow).facts([.buckets]) }
        #expect(message.contains("storage buckets.getIamPolicy logs: the answer is malformed (missing field `etag`)"))
    }

    @Test func aPageTokenTheAPIRefusesIsAnErrorNotAShortList() async throws {
        let gcp = fake(["acme-prod": FakeGCP.Project(firewalls: (1...5).map { FakeGCP.Firewall("rule-\($0)", allowed: [("tcp", ["22"])]) })])
        gcp.refusePageTokens()
        let message = await failure { _ = try await source(gcp).facts([.networkRules]) }
        #expect(message.contains("compute firewalls.list acme-prod: HTTP 400 INVALID_ARGUMENT: Invalid value for field 'pageToken'"))
    }

    // MARK: Set-up

    @Test func missingSettingsAndCredentialsSayWhatToSet() throws {
        let gcp = fake([:])
        let noProjects = refusal { _ = try source(gcp, projects: []) }
        #expect(noProjects.contains("settings.projects is required"))

        let noKey = refusal { _ = try source(gcp, environment: [:]) }
        #expect(noKey.contains("GCP_SERVICE_ACCOUNT_KEY") && noKey.contains("settings.key_file"))

        let renamed = refusal { _ = try source(gcp, credentials: ["service_account_key": "ACME_GCP_KEY"], environment: [:]) }
        #expect(renamed.contains("ACME_GCP_KEY"))

        let notJSON = refusal { _ = try source(gcp, environment: ["GCP_SERVICE_ACCOUNT_KEY": "TOPSECRET-not-json"]) }
        #expect(notJSON.contains("is not a JSON key file") && !notJSON.contains("TOPSECRET"))

        let badURL = refusal { _ = try source(gcp, settings: ["storage_url": .string("ftp://x")]) }
        #expect(badURL.contains("storage_url `ftp://x` is not an http(s) URL"))
    }

    @Test func anAccountsRequestIsRefused() async throws {
        let message = await failure { _ = try await source(fake([:])).facts([.accounts]) }
        #expect(message.contains("GCP provides buckets, network rules and audit trails, not accounts"))
    }

    @Test func liveSourcesBuildsTheGCPClient() throws {
        let config = SourceConfig(id: "gcp", kind: "gcp", settings: ["projects": .list([.string("acme-prod")])])
        let client = try SourceRegistry.client(for: config, environment: ["GCP_SERVICE_ACCOUNT_KEY": FakeGoogle.keyFile(privateKey: Self.key)],
                                            transport: fake([:]), clock: TestClock())
        #expect(client is GCPSource)
        #expect(SourceRegistry.liveKinds.contains("gcp"))
        #expect(client?.provides == Set(SourceRegistry.kind(named: "gcp")?.provides ?? []))
    }
}

/// Passes the first `calls` API calls (token requests aside) to `base`, then answers every call with a policy that
/// has no `etag`.
private final class FailingAfter: HTTPTransport {
    let base: FakeGCP
    private let remaining: Mutex<Int>
    init(base: FakeGCP, calls: Int) { self.base = base; remaining = Mutex(calls) }
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let isToken = request.url.absoluteString == FakeGCP.tokenURL
        let pass = isToken || remaining.withLock { count in count -= 1; return count >= 0 }
        return pass ? try await base.send(request) : HTTPResponse(status: 200, body: Data(#"{"kind":"storage#policy","bindings":[]}"#.utf8))
    }
}

import _CryptoExtras
import Core
import FactSources
import Foundation
import HTTP
import Testing
import TestSupport

/// One live source kind as the conformance suite plays it: how to set it up against its wire-format fake (behind a
/// `FaultInjectingTransport`) with enough records for several pages, which requests are the pages of the listing the
/// faults go to, and how that API asks for a next page. Adding a source to the suite is adding one of these to
/// `ConformanceSubject.all`.
struct ConformanceSubject: Sendable, CustomTestStringConvertible {
    /// How the API asks for a page after the first.
    enum Paging: Sendable {
        /// A page number in the query (`page=2`), counted from `first`.
        case pageNumber(String, first: Int)
        /// An opaque cursor in the query (`after`, `pageToken`, `$skiptoken`), absent on the first page.
        case cursor(String)
        /// The answer comes whole in one request (a report).
        case none
    }

    /// A source, the faults in front of its fake, and how many records the fake holds.
    struct Setup: Sendable {
        let source: any FactSource
        let faults: FaultInjectingTransport
        /// Records the source must return when every page is read.
        let expected: Int
    }

    /// The manifest's `kind`.
    let kind: String
    /// The fact kind the suite reads.
    let fact: FactKind
    /// The end of the listing's path; only requests for it get faults.
    let listing: String
    let paging: Paging
    /// Whether a 401 makes the source fetch a new token and try again (OAuth client credentials and service
    /// account grants do; a static API token cannot be renewed, so a 401 is an error).
    let renewsToken: Bool
    /// Builds a fresh fake, faults and source; `clock` is the source's, recording the waits it asks for.
    let make: @Sendable (_ clock: TestClock) async throws -> Setup
    /// Whether the API answers in XML (AWS) rather than JSON.
    var answersXML = false
    /// Which requests are the listing's, when the end of their path does not say (nil: `listing`).
    var listingRequest: (@Sendable (HTTPRequest) -> Bool)? = nil

    var testDescription: String { kind }
    var id: SourceID { SourceID(kind) }

    /// Whether `request` asks for the listing.
    func isListing(_ request: HTTPRequest) -> Bool {
        if let listingRequest { return listingRequest(request) }
        guard let components = URLComponents(url: request.url, resolvingAgainstBaseURL: false) else { return false }
        return components.percentEncodedPath.hasSuffix(listing) || components.path.hasSuffix(listing)
    }

    /// Whether `request` asks for a page of the listing after the first (for a source that reads in one request: that
    /// request).
    func isLaterPage(_ request: HTTPRequest) -> Bool {
        guard isListing(request) else { return false }
        let items = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        switch paging {
        case .pageNumber(let name, let first): return items.contains { $0.name == name && (Int($0.value ?? "") ?? first) > first }
        case .cursor(let name): return items.contains { $0.name == name && !($0.value ?? "").isEmpty }
        case .none: return true
        }
    }

    /// Whether the listing comes in one request (every fault goes to it).
    var isSinglePage: Bool {
        if case .none = paging { return true }
        return false
    }

    /// The records of `fact` in `facts`; nil when the kind is missing.
    func count(_ facts: Facts) -> Int? {
        switch fact {
        case .accounts: facts.accounts?.count
        case .devices: facts.devices?.count
        case .training: facts.training?.count
        case .people: facts.people?.count
        case .buckets: facts.buckets?.count
        case .findings: facts.findings?.count
        default: nil
        }
    }
}

extension ConformanceSubject {
    /// Every live source kind.
    static let all: [ConformanceSubject] = [
        github, gitlab, okta, googleWorkspace, entra, azure, gcp, bamboohr, jamf, intune, fleet, knowbe4, aws,
    ]

    /// 2026-02-25 06:13:20 UTC.
    static let now = Date(timeIntervalSince1970: 1_772_000_000)
    /// Records per listing: three pages of two for the fakes with small pages.
    static let records = 5
    static let googleKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    static func config(_ kind: String, _ settings: [String: ConfigValue]) -> SourceConfig {
        SourceConfig(id: SourceID(kind), kind: kind, settings: settings)
    }

    static let github = ConformanceSubject(kind: "github", fact: .accounts, listing: "/orgs/acme/members", paging: .pageNumber("page", first: 1),
                                           renewsToken: false) { clock in
        let organization = FakeGitHub.Organization(login: "acme", members: (1...records).map { .init("member\($0)") })
        let faults = FaultInjectingTransport(base: FakeGitHub(organization: organization, token: "ghp_conformance", now: { now }))
        let source = try GitHubSource(config: config("github", ["organization": .string("acme"), "base_url": .string("https://api.github.test")]),
                                      environment: ["GITHUB_TOKEN": "ghp_conformance"], transport: faults, clock: clock)
        return Setup(source: source, faults: faults, expected: records)
    }

    static let gitlab = ConformanceSubject(kind: "gitlab", fact: .accounts, listing: "/members/all", paging: .pageNumber("page", first: 1),
                                           renewsToken: false) { clock in
        let group = FakeGitLab.Group(id: 42, fullPath: "acme/platform", members: (1...records).map { .init(id: $0, username: "member\($0)", accessLevel: 30) })
        let faults = FaultInjectingTransport(base: FakeGitLab(group: group, token: "glpat-conformance", now: { now }))
        let source = try GitLabSource(config: config("gitlab", ["group": .string("acme/platform"), "base_url": .string("https://gitlab.test")]),
                                      environment: ["GITLAB_TOKEN": "glpat-conformance"], transport: faults, clock: clock)
        return Setup(source: source, faults: faults, expected: records)
    }

    static let okta = ConformanceSubject(kind: "okta", fact: .accounts, listing: "/api/v1/users", paging: .cursor("after"), renewsToken: false) { clock in
        let fake = FakeOkta(token: "00okta-conformance", users: (1...records).map { .init(id: "00u\($0)", login: "user\($0)@acme.example") }, pageSize: 2,
                            clock: clock)
        let faults = FaultInjectingTransport(base: fake)
        let source = try OktaSource(config: config("okta", ["base_url": .string("https://acme.okta.com")]),
                                    environment: ["OKTA_API_TOKEN": "00okta-conformance"], transport: faults, clock: clock)
        return Setup(source: source, faults: faults, expected: records)
    }

    static let googleWorkspace = ConformanceSubject(kind: "google_workspace", fact: .accounts, listing: "/admin/directory/v1/users",
                                                    paging: .cursor("pageToken"), renewsToken: true) { clock in
        let fake = FakeGoogle(publicKey: googleKey.publicKey, users: (1...records).map { .init("user\($0)@acme.example") }, pageSize: 2, now: { now })
        let faults = FaultInjectingTransport(base: fake)
        let source = try GoogleWorkspaceSource(config: config("google_workspace", ["admin_email": .string("it-admin@acme.example")]),
                                               environment: ["GOOGLE_SERVICE_ACCOUNT_KEY": FakeGoogle.keyFile(privateKey: googleKey)],
                                               transport: faults, clock: clock)
        return Setup(source: source, faults: faults, expected: records)
    }

    static let entra = ConformanceSubject(kind: "entra", fact: .accounts, listing: "/v1.0/users", paging: .cursor("$skiptoken"), renewsToken: true) { clock in
        let fake = FakeEntra(users: (1...records).map { FakeEntra.User(id: "u\($0)", "user\($0)@acme.example") }, pageSize: 2)
        let faults = FaultInjectingTransport(base: fake)
        let source = try EntraSource(config: config("entra", ["tenant_id": .string("8d5c3e2a-1b4f-4c6d-9e7a-0f1b2c3d4e5f")]),
                                     environment: ["ENTRA_CLIENT_ID": "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c",
                                                   "ENTRA_CLIENT_SECRET": "Qx~8Q~fake.secret-value_with+odd=chars&"],
                                     transport: faults, clock: clock)
        return Setup(source: source, faults: faults, expected: records)
    }

    static let azure = ConformanceSubject(kind: "azure", fact: .buckets, listing: "/providers/Microsoft.Storage/storageAccounts",
                                          paging: .cursor("$skipToken"), renewsToken: true) { clock in
        let subscription = "11111111-2222-4333-8444-555555555555"
        let fake = FakeAzure(subscriptions: [subscription: .init(storageAccounts: (1...records).map { FakeAzure.StorageAccount("acmestore\($0)") })],
                             pageSize: 2)
        let faults = FaultInjectingTransport(base: fake)
        let source = try AzureSource(config: config("azure", ["tenant_id": .string("8d5c3e2a-1b4f-4c6d-9e7a-0f1b2c3d4e5f"),
                                                              "subscriptions": .list([.string(subscription)])]),
                                     environment: ["AZURE_CLIENT_ID": "5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c",
                                                   "AZURE_CLIENT_SECRET": "Az~8Q~fake.arm-secret_with+odd=chars&"],
                                     transport: faults, clock: clock)
        return Setup(source: source, faults: faults, expected: records)
    }

    static let gcp = ConformanceSubject(kind: "gcp", fact: .buckets, listing: "/storage/v1/b", paging: .cursor("pageToken"), renewsToken: true) { clock in
        let fake = FakeGCP(publicKey: googleKey.publicKey, projects: ["acme-prod": .init(buckets: (1...records).map { FakeGCP.Bucket("acme-bucket-\($0)") })],
                           pageSize: 2, now: { now })
        let faults = FaultInjectingTransport(base: fake)
        let source = try GCPSource(config: config("gcp", ["projects": .list([.string("acme-prod")])]),
                                   environment: ["GCP_SERVICE_ACCOUNT_KEY": FakeGoogle.keyFile(privateKey: googleKey)],
                                   transport: faults, clock: clock)
        return Setup(source: source, faults: faults, expected: records)
    }

    static let bamboohr = ConformanceSubject(kind: "bamboohr", fact: .people, listing: "/v1/reports/custom", paging: .none, renewsToken: false) { clock in
        let fake = FakeBambooHR(apiKey: "bamboo-conformance", employees: (1...records).map {
            .init(id: "\($0)", firstName: "First\($0)", lastName: "Last\($0)", workEmail: "person\($0)@acme.example")
        })
        let faults = FaultInjectingTransport(base: fake)
        let source = try BambooHRSource(config: config("bamboohr", ["subdomain": .string("acme")]), environment: ["BAMBOOHR_API_KEY": "bamboo-conformance"],
                                        transport: faults, clock: clock)
        return Setup(source: source, faults: faults, expected: records)
    }

    /// Jamf's pages hold 100 computers: 250 make three.
    static let jamf = ConformanceSubject(kind: "jamf", fact: .devices, listing: "/api/v1/computers-inventory", paging: .pageNumber("page", first: 0),
                                         renewsToken: true) { clock in
        let fake = FakeJamf(computers: (1...250).map { FakeJamf.Computer(id: $0, "Mac \($0)", serial: "C02CONF\($0)") })
        let faults = FaultInjectingTransport(base: fake)
        let source = try JamfSource(config: config("jamf", ["base_url": .string("https://acme.jamfcloud.com")]),
                                    environment: ["JAMF_CLIENT_ID": "b6c1e2d3-4f5a-4b6c-8d7e-9f0a1b2c3d4e", "JAMF_CLIENT_SECRET": "jamf+Secret&with=odd~chars"],
                                    transport: faults, clock: clock)
        return Setup(source: source, faults: faults, expected: 250)
    }

    static let intune = ConformanceSubject(kind: "intune", fact: .devices, listing: "/deviceManagement/managedDevices", paging: .cursor("$skiptoken"),
                                           renewsToken: true) { clock in
        let fake = FakeIntune(devices: (1...records).map { FakeIntune.ManagedDevice(id: "d\($0)", "LAPTOP-\($0)", serialNumber: "SN-CONF-\($0)") }, pageSize: 2)
        let faults = FaultInjectingTransport(base: fake)
        let source = try IntuneSource(config: config("intune", ["tenant_id": .string("8d5c3e2a-1b4f-4c6d-9e7a-0f1b2c3d4e5f")]),
                                      environment: ["INTUNE_CLIENT_ID": "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c",
                                                    "INTUNE_CLIENT_SECRET": "Qx~8Q~fake.secret-value_with+odd=chars&"],
                                      transport: faults, clock: clock)
        return Setup(source: source, faults: faults, expected: records)
    }

    /// Fleet's pages hold 100 hosts: 250 make three.
    static let fleet = ConformanceSubject(kind: "fleet", fact: .devices, listing: "/api/v1/fleet/hosts", paging: .pageNumber("page", first: 0),
                                          renewsToken: false) { clock in
        let fake = FakeFleet(token: "fleet-conformance", hosts: (1...250).map { FakeFleet.Host(id: $0, serial: "SN\($0)") })
        let faults = FaultInjectingTransport(base: fake)
        let source = try FleetSource(config: config("fleet", ["base_url": .string("https://fleet.acme.test")]),
                                     environment: ["FLEET_API_TOKEN": "fleet-conformance"], transport: faults, clock: clock)
        return Setup(source: source, faults: faults, expected: 250)
    }

    /// KnowBe4's pages hold 500 enrollments: 1,100 make three.
    static let knowbe4 = ConformanceSubject(kind: "knowbe4", fact: .training, listing: "/v1/training/enrollments", paging: .pageNumber("page", first: 1),
                                            renewsToken: false) { clock in
        let fake = FakeKnowBe4(token: "kb4-conformance", enrollments: (1...1_100).map {
            FakeKnowBe4.Enrollment("person\($0)@acme.example", status: "Passed", completed: "2026-01-20T10:00:00.000Z")
        })
        let faults = FaultInjectingTransport(base: fake)
        let source = try KnowBe4Source(config: config("knowbe4", [:]), environment: ["KNOWBE4_API_TOKEN": "kb4-conformance"],
                                       transport: faults, clock: clock)
        return Setup(source: source, faults: faults, expected: 1_100)
    }

    /// AWS against moto (scripts/test starts it), in a member account of its own so other tests' buckets do not
    /// count, through the `RetryingTransport` the bot puts in front of every source (AWS throttling is waited out
    /// there). S3 lists up to 1,000 buckets a page, more than a test seeds, so every fault goes to the one page.
    static let aws: ConformanceSubject = {
        var subject = ConformanceSubject(kind: "aws", fact: .buckets, listing: "/", paging: .none, renewsToken: false) { clock in
            let endpoint = try #require(Moto.endpoint, "\(Moto.NotRunning())")
            let member = try await Moto.freshAccount()
            let prefix = "conformance-\(member.account)"
            for index in 1...records {
                let url = try #require(URL(string: endpoint + "/\(prefix)-\(index)"))
                var request = HTTPRequest(method: "PUT", url: url)
                SigV4Signer(credentials: member.credentials, region: "us-east-1", service: "s3").sign(&request, at: PeerTime.now())
                let created = try await URLSessionTransport(timeout: 10).send(request)
                try #require(created.status == 200, "CreateBucket: HTTP \(created.status)")
            }
            let faults = FaultInjectingTransport(base: URLSessionTransport(timeout: 10))
            let source = try AWSSource(config: config("aws", ["endpoint": .string(endpoint), "change_lookups": .number(0)]),
                                       environment: ["AWS_ACCESS_KEY_ID": member.credentials.accessKeyID,
                                                     "AWS_SECRET_ACCESS_KEY": member.credentials.secretAccessKey,
                                                     "AWS_SESSION_TOKEN": member.credentials.sessionToken ?? ""],
                                       transport: RetryingTransport(base: faults, clock: clock), clock: PeerTime.clock)
            return Setup(source: source, faults: faults, expected: records)
        }
        subject.answersXML = true
        // ListBuckets: `GET /` on the endpoint (path-style), the one request there without a bucket in its path.
        subject.listingRequest = { request in request.method == "GET" && (request.url.path == "/" || request.url.path.isEmpty) }
        return subject
    }()
}

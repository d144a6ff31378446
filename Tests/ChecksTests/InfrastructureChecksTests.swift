@testable import Checks
import Core
import FactSources
import Foundation
import Testing

@Suite("Storage checks")
struct StorageChecksTests {
    typealias F = CheckFixture

    struct Encryption: Sendable, CustomTestStringConvertible {
        let encryption: Bucket.Encryption
        let requireKMS: Bool
        let passes: Bool
        var testDescription: String { "\(encryption.rawValue), require_kms \(requireKMS)" }
    }

    @Test(arguments: [
        Encryption(encryption: .none, requireKMS: false, passes: false),
        Encryption(encryption: .none, requireKMS: true, passes: false),
        Encryption(encryption: .providerManaged, requireKMS: false, passes: true),
        Encryption(encryption: .providerManaged, requireKMS: true, passes: false),
        Encryption(encryption: .customerManaged, requireKMS: false, passes: true),
        Encryption(encryption: .customerManaged, requireKMS: true, passes: true),
    ])
    func bucketEncryptionIsJudgedAgainstTheKeyRequirement(_ row: Encryption) throws {
        let bucket = Bucket(provider: "S3", name: "acme-exports", encryption: row.encryption, isPublic: false)

        let result = try F.evaluate("storage_encryption", ["require_kms": .bool(row.requireKMS)], Facts(buckets: [bucket]))
            .only("s3:acme-exports")

        #expect(result.status == (row.passes ? .pass : .fail))
    }

    @Test
    func unencryptedBucketSaysSo() throws {
        let bucket = Bucket(provider: "S3", name: "acme-logs", encryption: .none, isPublic: false)
        let result = try F.evaluate("storage_encryption", [:], Facts(buckets: [bucket])).only("s3:acme-logs")
        #expect(result.observed == "no default encryption")
        #expect(result.resource.name == "acme-logs (S3)")
    }

    @Test
    func publicBucketFailsAndPrivateBucketPasses() throws {
        let results = try F.evaluate("storage_public_access", [:], Facts(buckets: [
            Bucket(provider: "S3", name: "acme-exports", encryption: .customerManaged, isPublic: true, holdsCustomerData: true),
            Bucket(provider: "GCS", name: "acme-site", encryption: .providerManaged, isPublic: true),
            Bucket(provider: "S3", name: "acme-backups", encryption: .customerManaged, isPublic: false),
        ]))

        let exports = try results.only("s3:acme-exports")
        #expect(exports.status == .fail)
        #expect(exports.observed == "public read access; holds customer data")
        #expect(try results.only("gcs:acme-site").observed == "public read access")
        #expect(try results.only("s3:acme-backups").status == .pass)
    }
}

@Suite("Network exposure check")
struct NetworkExposureCheckTests {
    typealias F = CheckFixture

    struct Exposure: Sendable, CustomTestStringConvertible {
        let label: String
        let from: Int?
        let to: Int?
        let sources: [String]
        var ports: [Double]? = nil
        /// nil: passes; otherwise the observation the failure reports.
        let fails: String?
        var testDescription: String { label }
    }

    static let rows: [Exposure] = [
        Exposure(label: "ssh to the IPv4 internet", from: 22, to: 22, sources: ["0.0.0.0/0"], fails: "port 22 open to 0.0.0.0/0"),
        Exposure(label: "ssh to the IPv6 internet", from: 22, to: 22, sources: ["::/0"], fails: "port 22 open to ::/0"),
        Exposure(label: "ssh to both", from: 22, to: 22, sources: ["10.0.0.0/8", "0.0.0.0/0", "::/0"],
                 fails: "port 22 open to 0.0.0.0/0 and ::/0"),
        Exposure(label: "RDP by default", from: 3389, to: 3389, sources: ["0.0.0.0/0"], fails: "port 3389 open to 0.0.0.0/0"),
        Exposure(label: "a range over 22", from: 20, to: 30, sources: ["0.0.0.0/0"], fails: "ports 20-30 open to 0.0.0.0/0"),
        Exposure(label: "every port by range", from: 0, to: 65_535, sources: ["::/0"], fails: "ports 0-65535 open to ::/0"),
        Exposure(label: "all ports", from: nil, to: nil, sources: ["0.0.0.0/0"], fails: "all ports open to 0.0.0.0/0"),
        Exposure(label: "ssh from a private range", from: 22, to: 22, sources: ["10.0.0.0/8", "192.168.0.0/16"], fails: nil),
        Exposure(label: "all ports from a private range", from: nil, to: nil, sources: ["172.16.0.0/12"], fails: nil),
        Exposure(label: "https to the internet", from: 443, to: 443, sources: ["0.0.0.0/0"], fails: nil),
        Exposure(label: "a range beside 22", from: 23, to: 3388, sources: ["0.0.0.0/0"], fails: nil),
        Exposure(label: "custom port exposed", from: 5432, to: 5432, sources: ["0.0.0.0/0"], ports: [5432, 6379],
                 fails: "port 5432 open to 0.0.0.0/0"),
        Exposure(label: "ssh outside the custom ports", from: 22, to: 22, sources: ["0.0.0.0/0"], ports: [5432], fails: nil),
    ]

    @Test(arguments: rows)
    func ruleIsJudged(_ row: Exposure) throws {
        // Given
        let rule = NetworkRule(provider: "AWS", id: "sg-0abc", name: "bastion", fromPort: row.from, toPort: row.to, sources: row.sources)
        let parameters: [String: ConfigValue] = row.ports.map { ["ports": .list($0.map(ConfigValue.number))] } ?? [:]

        // When
        let result = try F.evaluate("network_exposure", parameters, Facts(networkRules: [rule])).only("aws:sg-0abc")

        // Then
        if let observed = row.fails {
            #expect(result.status == .fail)
            #expect(result.observed == observed)
        } else {
            #expect(result.status == .pass)
        }
    }

    @Test
    func expectationNamesThePorts() throws {
        let rule = NetworkRule(provider: "AWS", id: "sg-1", name: "web", fromPort: 443, toPort: 443, sources: ["0.0.0.0/0"])
        #expect(try F.evaluate("network_exposure", [:], Facts(networkRules: [rule]))[0].expected == "ports 22, 3389 not open to the internet")
    }
}

@Suite("Audit logging check")
struct AuditLoggingCheckTests {
    typealias F = CheckFixture

    @Test
    func multiRegionTrailThatIsLoggingPasses() throws {
        let results = try F.evaluate("audit_logging", [:], Facts(auditTrails: [
            AuditTrail(provider: "AWS", name: "eu-only", multiRegion: false, logging: true),
            AuditTrail(provider: "AWS", name: "org-trail", multiRegion: true, logging: true),
        ]))

        let result = try results.only("aws:audit-trail")
        #expect(result.status == .pass)
        #expect(result.observed == "org-trail is multi-region and logging")
    }

    @Test
    func singleRegionOrStoppedTrailsFail() throws {
        let results = try F.evaluate("audit_logging", [:], Facts(auditTrails: [
            AuditTrail(provider: "AWS", name: "eu-only", multiRegion: false, logging: true),
            AuditTrail(provider: "AWS", name: "org-trail", multiRegion: true, logging: false),
            AuditTrail(provider: "GCP", name: "audit", multiRegion: true, logging: true),
        ]))

        #expect(results.ids == ["aws:audit-trail", "gcp:audit-trail"])
        let aws = try results.only("aws:audit-trail")
        #expect(aws.status == .fail)
        #expect(aws.observed == "eu-only: single-region, logging; org-trail: multi-region, not logging")
        #expect(try results.only("gcp:audit-trail").status == .pass)
    }

    /// With several accounts or projects, each needs its own logging trail: one logging project hides nothing.
    @Test
    func eachScopeNeedsItsOwnTrailAndAFailureNamesWhoStoppedIt() throws {
        let stoppedAt = Date(timeIntervalSince1970: 1_790_000_000)
        let results = try F.evaluate("audit_logging", [:], Facts(auditTrails: [
            AuditTrail(provider: "GCP", name: "prod data-access audit logs", multiRegion: true, logging: true, scope: "prod"),
            AuditTrail(provider: "GCP", name: "data data-access audit logs", multiRegion: true, logging: false, scope: "data"),
            AuditTrail(provider: "AWS", name: "org-trail", multiRegion: true, logging: false,
                       lastChange: ChangeEvent(at: stoppedAt, actor: "mallory", action: "StopLogging"), scope: "111122223333"),
        ]))

        #expect(results.ids == ["aws:111122223333:audit-trail", "gcp:data:audit-trail", "gcp:prod:audit-trail"])
        #expect(try results.only("gcp:prod:audit-trail").status == .pass)
        #expect(try results.only("gcp:data:audit-trail").status == .fail)
        let aws = try results.only("aws:111122223333:audit-trail")
        #expect(aws.status == .fail && aws.failingSince == stoppedAt)
        #expect(aws.observed.hasSuffix("— StopLogging by mallory at \(TimeText.human(stoppedAt))"))
    }

    /// A deleted trail is the loudest audit-logging failure there is: it must not read as "nothing to check".
    @Test
    func noTrailAtAllFails() throws {
        let results = try F.evaluate("audit_logging", [:], Facts(auditTrails: []))

        #expect(results.count == 1)
        #expect(results.first?.status == .fail)
        #expect(results.first?.observed == "no audit trail reported")
    }
}

@Suite("Branch protection check")
struct BranchProtectionCheckTests {
    typealias F = CheckFixture

    static let repositories = [
        Repository(host: "GitHub", name: "acme/api", protected: false, requiredReviews: 0),
        Repository(host: "GitHub", name: "acme/web", protected: true, requiredReviews: 1),
        Repository(host: "GitHub", name: "acme/infra", defaultBranch: "trunk", protected: true, requiredReviews: 2),
    ]

    @Test
    func unprotectedBranchFails() throws {
        let result = try F.evaluate("branch_protection", [:], Facts(repositories: Self.repositories)).only("github:acme/api")
        #expect(result.status == .fail)
        #expect(result.observed == "branch protection removed")
    }

    @Test
    func tooFewReviewsFail() throws {
        let results = try F.evaluate("branch_protection", ["required_reviews": .number(2)], Facts(repositories: Self.repositories))

        let web = try results.only("github:acme/web")
        #expect(web.status == .fail)
        #expect(web.observed == "protected, 1 required review")
        #expect(web.expected == "2 approving reviews required on the protected default branch")
        #expect(try results.only("github:acme/infra").status == .pass)
        #expect(try results.only("github:acme/infra").resource.name == "acme/infra (trunk)")
    }

    @Test
    func defaultRequiresOneReview() throws {
        let results = try F.evaluate("branch_protection", [:], Facts(repositories: Self.repositories))
        #expect(results.map(\.status) == [.fail, .pass, .pass])
    }

    @Test
    func repositoriesFilterIgnoresOthers() throws {
        let results = try F.evaluate("branch_protection", ["repositories": F.names("ACME/WEB", "acme/infra")],
                                     Facts(repositories: Self.repositories))
        #expect(results.ids == ["github:acme/web", "github:acme/infra"])
    }
}

@Suite("Device encryption check")
struct DeviceEncryptionCheckTests {
    @Test
    func unencryptedDeviceFails() throws {
        let results = try CheckFixture.evaluate("device_encryption", [:], Facts(devices: [
            Device(serial: "C02X1", name: "dana-mbp", ownerEmail: "dana@acme.example", encrypted: true, osVersion: "macOS 15.3"),
            Device(serial: "C02X2", name: "spare-mbp", ownerEmail: nil, encrypted: false, osVersion: "macOS 14.1"),
        ]))

        #expect(try results.only("device:C02X1").status == .pass)
        let spare = try results.only("device:C02X2")
        #expect(spare.status == .fail)
        #expect(spare.observed == "disk encryption off (macOS 14.1)")
        #expect(spare.resource.name == "spare-mbp (unassigned)")
    }
}

@Suite("Vulnerabilities check")
struct VulnerabilityCheckTests {
    typealias F = CheckFixture

    static let opened = F.at(-10 * F.day)
    static let vulnerabilities = [
        Vulnerability(id: "CVE-1", title: "RCE in parser", severity: .critical, resource: "acme/api", openedAt: opened),
        Vulnerability(id: "CVE-2", title: "SSRF", severity: .high, resource: "acme/web", openedAt: opened),
        Vulnerability(id: "CVE-3", title: "XSS", severity: .high, resource: "acme/web", openedAt: F.at(-3 * F.day)),
        Vulnerability(id: "CVE-4", title: "verbose errors", severity: .medium, resource: "acme/web", openedAt: F.at(-300 * F.day)),
    ]

    @Test
    func defaultThresholdIsCritical() throws {
        let results = try F.evaluate("vulnerabilities", [:], Facts(vulnerabilities: Self.vulnerabilities))

        #expect(results.ids == ["vuln:CVE-1"])
        #expect(results[0].status == .fail)
        #expect(results[0].failingSince == Self.opened.addingTimeInterval(7 * F.day))
    }

    @Test
    func severityThresholdIncludesEverythingAtOrAbove() throws {
        let results = try F.evaluate("vulnerabilities", ["min_severity": .string("high")], Facts(vulnerabilities: Self.vulnerabilities))

        #expect(results.ids == ["vuln:CVE-1", "vuln:CVE-2", "vuln:CVE-3"])
        #expect(results.map(\.status) == [.fail, .fail, .pass])
    }

    @Test
    func maxAgeSetsTheFixWindow() throws {
        let results = try F.evaluate("vulnerabilities", ["min_severity": .string("high"), "max_age": .string("2w")],
                                     Facts(vulnerabilities: Self.vulnerabilities))
        #expect(results.map(\.status) == [.pass, .pass, .pass])
        #expect(results[0].observed == "within the fix window until 2026-03-01 06:13 UTC")
    }
}

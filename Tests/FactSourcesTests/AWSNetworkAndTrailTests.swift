import Checks
import Core
import FactSources
import Foundation
import HTTP
import Testing
import TestSupport

/// Security groups and CloudTrail against moto, seeded through our own signed client.
@Suite("AWS source: security groups and CloudTrail on moto", .serialized)
struct AWSNetworkAndTrailTests {
    static let endpoint = AWSS3SourceTests.endpoint
    let credentials = AWSS3SourceTests.credentials

    func post(service: String, headers: [(name: String, value: String)], body: String, path: String = "/") async throws -> HTTPResponse {
        let base = try #require(Self.endpoint, "SOC2BOT_TEST_MOTO_URL is not set: run the tests with scripts/test, which starts moto")
        var components = try #require(URLComponents(string: base))
        components.percentEncodedPath = path
        var request = HTTPRequest(method: path == "/" ? "POST" : "PUT", url: try #require(components.url), headers: headers, body: Data(body.utf8))
        SigV4Signer(credentials: credentials, region: "us-east-1", service: service).sign(&request, at: PeerTime.now())
        let response = try await URLSessionTransport(timeout: 10).send(request)
        #expect(response.status == 200, "\(service): \(String(decoding: response.body, as: UTF8.self))")
        return response
    }

    func ec2(_ parameters: [(String, String)]) async throws -> HTTPResponse {
        let body = ([("Version", "2016-11-15")] + parameters).map { "\($0.0)=\(SigV4Signer.encode($0.1, encodeSlash: true))" }.joined(separator: "&")
        return try await post(service: "ec2", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body)
    }

    func cloudtrail(_ operation: String, _ json: String) async throws -> HTTPResponse {
        try await post(service: "cloudtrail", headers: [("Content-Type", "application/x-amz-json-1.1"),
                                                         ("X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.\(operation)")], body: json)
    }

    func source() throws -> AWSSource { try AWSS3SourceTests().source() }

    @Test func securityGroupsOpenToTheWorldFailTheExposureCheck() async throws {
        let tag = UInt32.random(in: 0...UInt32.max)
        func group(_ name: String) async throws -> String {
            let created = try await ec2([("Action", "CreateSecurityGroup"), ("GroupName", "\(name)-\(tag)"), ("GroupDescription", name)])
            return try #require(XMLElementNode.parse(created.body)?.value("groupId"))
        }
        let open = try await group("bastion-open")
        let closed = try await group("bastion-vpn")
        let everything = try await group("allow-all")
        func allow(_ id: String, _ protocolName: String, _ from: Int, _ to: Int, _ cidr: String, v6: Bool = false) async throws {
            _ = try await ec2([("Action", "AuthorizeSecurityGroupIngress"), ("GroupId", id),
                               ("IpPermissions.1.IpProtocol", protocolName), ("IpPermissions.1.FromPort", "\(from)"),
                               ("IpPermissions.1.ToPort", "\(to)"),
                               (v6 ? "IpPermissions.1.Ipv6Ranges.1.CidrIpv6" : "IpPermissions.1.IpRanges.1.CidrIp", cidr)])
        }
        try await allow(open, "tcp", 22, 22, "0.0.0.0/0")
        try await allow(open, "tcp", 3389, 3389, "::/0", v6: true)
        try await allow(closed, "tcp", 22, 22, "10.20.0.0/16")
        try await allow(everything, "-1", -1, -1, "0.0.0.0/0")

        let rules = try #require(try await source().facts([.networkRules]).networkRules)
        let mine = rules.filter { $0.name.contains("\(tag)") }
        #expect(mine.count == 4)
        #expect(mine.contains { $0.id.contains(open) && $0.fromPort == 22 && $0.sources == ["0.0.0.0/0"] })
        #expect(mine.contains { $0.id.contains(open) && $0.fromPort == 3389 && $0.sources == ["::/0"] })
        #expect(mine.contains { $0.id.contains(everything) && $0.fromPort == nil && $0.toPort == nil })

        let control = Control(id: "ssh", title: "No admin ports open to the internet", criteria: [Criterion("CC6.6")!], owner: "infra",
                              severity: .critical, cadence: 3_600, check: CheckSpec(type: "network_exposure", sources: ["aws"]), remediation: "revoke")
        let results = await ControlRunner(sources: [try source()]).run(control, at: PeerTime.now())
        let failing = Set(results.filter { $0.status == .fail }.map(\.resource.id))
        #expect(failing.contains { $0.contains(open) } && failing.contains { $0.contains(everything) })
        #expect(!failing.contains { $0.contains(closed) })
    }

    @Test func trailsReportWhetherTheyAreLogging() async throws {
        let tag = UInt32.random(in: 0...UInt32.max)
        let bucket = "trail-logs-\(tag)"
        _ = try await post(service: "s3", headers: [], body: "", path: "/\(bucket)")
        _ = try await cloudtrail("CreateTrail", #"{"Name":"org-\#(tag)","S3BucketName":"\#(bucket)","IsMultiRegionTrail":true}"#)
        _ = try await cloudtrail("StartLogging", #"{"Name":"org-\#(tag)"}"#)
        _ = try await cloudtrail("CreateTrail", #"{"Name":"stopped-\#(tag)","S3BucketName":"\#(bucket)"}"#)

        let trails = try #require(try await source().facts([.auditTrails]).auditTrails)
        let org = try #require(trails.first { $0.name == "org-\(tag)" })
        let stopped = try #require(trails.first { $0.name == "stopped-\(tag)" })
        #expect(org.logging && org.multiRegion)
        #expect(!stopped.logging && !stopped.multiRegion)
    }
}

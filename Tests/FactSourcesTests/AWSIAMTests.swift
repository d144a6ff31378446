import Checks
import Core
import FactSources
import Foundation
import HTTP
import Testing
import TestSupport

/// IAM users against moto: console vs API-only, MFA, AdministratorAccess through a group, email tags, root MFA.
@Suite("AWS source: IAM users on moto", .serialized)
struct AWSIAMTests {
    func iam(_ action: String, _ parameters: [(String, String)]) async throws -> XMLElementNode {
        try await Moto.iam(action, parameters)
    }

    /// Administration granted by a policy of the customer's own, not only by the AWS-managed AdministratorAccess:
    /// inline on the user or a group, or a customer-managed policy; a narrow inline policy is not.
    @Test func policiesOfTheirOwnThatAllowEverythingMakeAUserPrivileged() async throws {
        let tag = UInt32.random(in: 0...UInt32.max)
        let carol = "carol-\(tag)", dave = "dave-\(tag)", erin = "erin-\(tag)", frank = "frank-\(tag)", ops = "ops-\(tag)"
        for user in [carol, dave, erin, frank] { _ = try await iam("CreateUser", [("UserName", user)]) }
        let everything = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        let iamAll = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*"],"Resource":["*"]}]}"#
        let readOnly = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#
        _ = try await iam("PutUserPolicy", [("UserName", carol), ("PolicyName", "legacy-admin"), ("PolicyDocument", everything)])
        _ = try await iam("CreateGroup", [("GroupName", ops)])
        _ = try await iam("PutGroupPolicy", [("GroupName", ops), ("PolicyName", "iam-admin"), ("PolicyDocument", iamAll)])
        _ = try await iam("AddUserToGroup", [("GroupName", ops), ("UserName", dave)])
        let breakGlass = try await iam("CreatePolicy", [("PolicyName", "break-glass-\(tag)"), ("PolicyDocument", everything)])
        _ = try await iam("AttachUserPolicy", [("UserName", erin), ("PolicyArn", try #require(breakGlass.descendants("Arn").first?.text))])
        _ = try await iam("PutUserPolicy", [("UserName", frank), ("PolicyName", "read-exports"), ("PolicyDocument", readOnly)])

        let accounts = try #require(try await AWSS3SourceTests().source().facts([.accounts]).accounts)
        let byLogin = Dictionary(uniqueKeysWithValues: accounts.map { ($0.login, $0) })
        #expect(byLogin[carol]?.privileged == true && byLogin[carol]?.roles.contains("legacy-admin (inline)") == true)
        #expect(byLogin[dave]?.privileged == true)
        #expect(byLogin[erin]?.privileged == true)
        #expect(byLogin[frank]?.privileged == false && byLogin[frank]?.roles.contains("read-exports (inline)") == true)
    }

    @Test func usersBecomeAccountsWithConsoleMFAPrivilegeAndEmail() async throws {
        let tag = UInt32.random(in: 0...UInt32.max)
        let alice = "alice-\(tag)", bob = "bob-\(tag)", robot = "ci-bot-\(tag)", admins = "admins-\(tag)"
        for user in [alice, bob, robot] { _ = try await iam("CreateUser", [("UserName", user)]) }
        for user in [alice, bob] {
            _ = try await iam("CreateLoginProfile", [("UserName", user), ("Password", "Corr3ct-Horse-\(tag)")])
            _ = try await iam("TagUser", [("UserName", user), ("Tags.member.1.Key", "Email"), ("Tags.member.1.Value", "\(user)@example.com")])
        }
        let device = try await iam("CreateVirtualMFADevice", [("VirtualMFADeviceName", alice)])
        let serial = try #require(device.descendants("SerialNumber").first?.text)
        _ = try await iam("EnableMFADevice", [("UserName", alice), ("SerialNumber", serial), ("AuthenticationCode1", "123456"), ("AuthenticationCode2", "654321")])
        // AdministratorAccess reaches bob through a group; moto has no AWS-managed policies loaded, so a customer
        // policy of that name (under a per-run path) stands in for it: the reader matches policy names.
        _ = try await iam("CreateGroup", [("GroupName", admins)])
        let admin = try await iam("CreatePolicy", [("PolicyName", "AdministratorAccess"), ("Path", "/soc2bot-\(tag)/"),
                                                   ("PolicyDocument", #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)])
        let adminARN = try #require(admin.descendants("Arn").first?.text)
        _ = try await iam("AttachGroupPolicy", [("GroupName", admins), ("PolicyArn", adminARN)])
        _ = try await iam("AddUserToGroup", [("GroupName", admins), ("UserName", bob)])
        _ = try await iam("CreateAccessKey", [("UserName", robot)])

        let source = try AWSS3SourceTests().source()
        let accounts = try #require(try await source.facts([.accounts]).accounts)
        let byLogin = Dictionary(uniqueKeysWithValues: accounts.map { ($0.login, $0) })
        let a = try #require(byLogin[alice]), b = try #require(byLogin[bob]), r = try #require(byLogin[robot]), root = try #require(byLogin["<root_account>"])
        #expect(a.interactive && a.mfaEnabled == true && !a.privileged && a.email == "\(alice)@example.com")
        #expect(b.interactive && b.mfaEnabled == false && b.privileged && b.roles.contains("AdministratorAccess"))
        #expect(!r.interactive && r.active && r.roles.contains("1 active access key"))
        #expect(root.privileged && root.mfaEnabled == false)

        // Through the catalog: admins without MFA fail (bob, root); alice is not an admin; the robot has no console.
        let control = Control(id: "admin-mfa", title: "Admins use MFA", criteria: [Criterion("CC6.1")!], owner: "it", severity: .critical,
                              cadence: 3_600, check: CheckSpec(type: "mfa", sources: ["aws"], parameters: ["privileged_only": .bool(true)]),
                              remediation: "enable MFA")
        let results = await ControlRunner(sources: [source]).run(control, at: PeerTime.now())
        let failing = Set(results.filter { $0.status == .fail }.map(\.resource.id))
        #expect(failing.contains("aws:\(bob)") && failing.contains("aws:<root_account>"))
        #expect(!results.contains { $0.resource.id == "aws:\(alice)" || $0.resource.id == "aws:\(robot)" })
    }
}

import Core
import Foundation
import HTTP

/// IAM users as accounts (CC6.1, CC6.2, CC6.3), plus the root user's MFA from the account summary.
///
/// For each user (`ListUsers`, following `Marker`): a console password (`GetLoginProfile`; 404 = none) makes it
/// interactive; `ListMFADevices` says whether MFA is on; `ListAccessKeys` finds active keys; AdministratorAccess
/// attached to the user or one of its groups makes it privileged; the `email` tag (any case) matches it to a person,
/// since IAM users have no email of their own. `PasswordLastUsed` is the last console login. Users are read
/// `concurrency` at a time. With several accounts (`assume_roles`), logins are qualified as `account/user`.
struct IAMUsers: Sendable {
    let client: AWSClient
    /// The account id to qualify logins with, when the source reads several accounts.
    var qualifier: String? = nil
    var concurrency = 8
    static let version = "2010-05-08"

    func accounts() async throws -> [Account] {
        let users: [(name: String, lastLogin: Date?)] = try await list("ListUsers", [("MaxItems", "1000")], "Users").compactMap { user in
            user.value("UserName").map { ($0, user.value("PasswordLastUsed").flatMap(TimeText.parse)) }
        }
        var accounts = try await boundedMap(users, limit: concurrency) { user in try await self.account(user.name, lastLogin: user.lastLogin) }

        let summary = try await call("GetAccountSummary")
        let entries = summary.all(path: ["GetAccountSummaryResult", "SummaryMap", "entry"])
        guard let rootMFA = entries.first(where: { $0.value("key") == "AccountMFAEnabled" })?.value("value") else {
            throw SourceError.unavailable(source: client.source, reason: "IAM GetAccountSummary: no AccountMFAEnabled in the answer")
        }
        accounts.append(Account(system: "AWS", login: qualified("root"), email: nil, active: true, mfaEnabled: rootMFA == "1",
                                privileged: true, roles: ["root user"]))
        return accounts
    }

    private func account(_ name: String, lastLogin: Date?) async throws -> Account {
        let user = [("UserName", name)]
        let console = try await client.queryUnlessMissing(service: "iam", region: "us-east-1", action: "GetLoginProfile", version: Self.version, user) != nil
        let mfa = try await list("ListMFADevices", user, "MFADevices").isEmpty == false
        let accessKeys = try await list("ListAccessKeys", user, "AccessKeyMetadata")
            .map { key -> AccessKey in
                // A key we cannot date cannot be judged by age: an error, not a key left out.
                guard let id = key.value("AccessKeyId"), let created = key.value("CreateDate").flatMap(TimeText.parse) else {
                    throw SourceError.unavailable(source: client.source, reason: "IAM ListAccessKeys \(name): a key without an id or a readable CreateDate")
                }
                return AccessKey(id: id, active: key.value("Status") == "Active", createdAt: created)
            }
        let keys = accessKeys.filter(\.active)
        var policies = try await list("ListAttachedUserPolicies", user, "AttachedPolicies").compactMap { $0.value("PolicyName") }
        for group in try await list("ListGroupsForUser", user, "Groups").compactMap({ $0.value("GroupName") }) {
            policies += try await list("ListAttachedGroupPolicies", [("GroupName", group)], "AttachedPolicies").compactMap { $0.value("PolicyName") }
        }
        let email = try await list("ListUserTags", user, "Tags").first { $0.value("Key")?.lowercased() == "email" }?.value("Value")
        var roles: [String] = []
        if console { roles.append("console") }
        if !keys.isEmpty { roles.append("\(keys.count) active access key\(keys.count == 1 ? "" : "s")") }
        roles += Set(policies).sorted()
        return Account(system: "AWS", login: qualified(name), email: email, active: console || !keys.isEmpty, mfaEnabled: mfa,
                       privileged: policies.contains("AdministratorAccess"), roles: roles, lastLoginAt: lastLogin, interactive: console,
                       accessKeys: accessKeys)
    }

    private func qualified(_ login: String) -> String { qualifier.map { "\($0)/\(login)" } ?? login }

    private func list(_ action: String, _ parameters: [(String, String)], _ field: String) async throws -> [XMLElementNode] {
        try await client.queryAll(service: "iam", region: "us-east-1", action: action, version: Self.version, parameters, list: field)
    }

    private func call(_ action: String, _ parameters: [(String, String)] = []) async throws -> XMLElementNode {
        try await client.query(service: "iam", region: "us-east-1", action: action, version: Self.version, parameters)
    }
}

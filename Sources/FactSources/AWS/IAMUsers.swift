import Core
import Foundation
import HTTP

/// IAM users as accounts (CC6.1, CC6.2, CC6.3), plus the root user's MFA from the account summary.
///
/// For each user (`ListUsers`, following `Marker`): a console password (`GetLoginProfile`; 404 = none) makes it
/// interactive; `ListMFADevices` says whether MFA is on; `ListAccessKeys` finds active keys; AdministratorAccess
/// attached to the user or one of its groups makes it privileged; the `email` tag (any case) matches it to a person,
/// since IAM users have no email of their own. `PasswordLastUsed` is the last console login.
struct IAMUsers: Sendable {
    let client: AWSClient
    static let version = "2010-05-08"

    func accounts() async throws -> [Account] {
        var accounts: [Account] = []
        var marker: String?
        repeat {
            var parameters: [(String, String)] = [("MaxItems", "1000")]
            if let marker { parameters.append(("Marker", marker)) }
            let page = try await call("ListUsers", parameters)
            for user in page.all(path: ["ListUsersResult", "Users", "member"]) {
                guard let name = user.value("UserName") else { continue }
                accounts.append(try await account(name, lastLogin: user.value("PasswordLastUsed").flatMap(TimeText.parse)))
            }
            marker = page.value("ListUsersResult", "IsTruncated") == "true" ? page.value("ListUsersResult", "Marker") : nil
        } while marker != nil

        let summary = try await call("GetAccountSummary")
        let entries = summary.all(path: ["GetAccountSummaryResult", "SummaryMap", "entry"])
        guard let rootMFA = entries.first(where: { $0.value("key") == "AccountMFAEnabled" })?.value("value") else {
            throw SourceError.unavailable(source: client.source, reason: "IAM GetAccountSummary: no AccountMFAEnabled in the answer")
        }
        accounts.append(Account(system: "AWS", login: "root", email: nil, active: true, mfaEnabled: rootMFA == "1",
                                privileged: true, roles: ["root user"]))
        return accounts
    }

    private func account(_ name: String, lastLogin: Date?) async throws -> Account {
        let user = [("UserName", name)]
        let console = try await exists("GetLoginProfile", user)
        let mfa = try await call("ListMFADevices", user).all(path: ["ListMFADevicesResult", "MFADevices", "member"]).isEmpty == false
        let keys = try await call("ListAccessKeys", user).all(path: ["ListAccessKeysResult", "AccessKeyMetadata", "member"])
            .filter { $0.value("Status") == "Active" }
        var policies = try await call("ListAttachedUserPolicies", user).all(path: ["ListAttachedUserPoliciesResult", "AttachedPolicies", "member"])
            .compactMap { $0.value("PolicyName") }
        for group in try await call("ListGroupsForUser", user).all(path: ["ListGroupsForUserResult", "Groups", "member"]).compactMap({ $0.value("GroupName") }) {
            policies += try await call("ListAttachedGroupPolicies", [("GroupName", group)])
                .all(path: ["ListAttachedGroupPoliciesResult", "AttachedPolicies", "member"]).compactMap { $0.value("PolicyName") }
        }
        let email = try await call("ListUserTags", user).all(path: ["ListUserTagsResult", "Tags", "member"])
            .first { $0.value("Key")?.lowercased() == "email" }?.value("Value")
        var roles: [String] = []
        if console { roles.append("console") }
        if !keys.isEmpty { roles.append("\(keys.count) active access key\(keys.count == 1 ? "" : "s")") }
        roles += Set(policies).sorted()
        return Account(system: "AWS", login: name, email: email, active: console || !keys.isEmpty, mfaEnabled: mfa,
                       privileged: policies.contains("AdministratorAccess"), roles: roles, lastLoginAt: lastLogin, interactive: console)
    }

    private func call(_ action: String, _ parameters: [(String, String)] = []) async throws -> XMLElementNode {
        try await client.query(service: "iam", region: "us-east-1", action: action, version: Self.version, parameters)
    }

    /// True on 200, false on 404 `NoSuchEntity`; anything else is an error.
    private func exists(_ action: String, _ parameters: [(String, String)]) async throws -> Bool {
        do {
            _ = try await call(action, parameters)
            return true
        } catch SourceError.unavailable(_, let reason) where reason.contains("HTTP 404 NoSuchEntity") {
            return false
        }
    }
}

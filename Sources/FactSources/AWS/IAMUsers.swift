import Core
import Foundation
import HTTP

/// IAM users as accounts (CC6.1, CC6.2, CC6.3), plus the root user's MFA from the account summary.
///
/// For each user (`ListUsers`, following `Marker`): a console password (`GetLoginProfile`; 404 = none) makes it
/// interactive; `ListMFADevices` says whether MFA is on; `ListAccessKeys` finds active keys; it is privileged when
/// the user or one of its groups holds AdministratorAccess or IAMFullAccess, or a policy of their own — inline
/// (`GetUserPolicy`, `GetGroupPolicy`) or customer-managed (`GetPolicy`, `GetPolicyVersion`, read once per run) —
/// that allows `*` or `iam:*` on every resource (`grantsAdministration`); the `email` tag (any case) matches it to a person,
/// since IAM users have no email of their own. `PasswordLastUsed` is the last console login. Users are read
/// `concurrency` at a time. With several accounts (`assume_roles`), logins are qualified as `account/user`.
struct IAMUsers: Sendable {
    let client: AWSClient
    /// The account id to qualify logins with, when the source reads several accounts.
    var qualifier: String? = nil
    var concurrency = 8
    static let version = "2010-05-08"

    func accounts() async throws -> [Account] {
        let policies = PolicyDocuments()
        let users: [(name: String, lastLogin: Date?)] = try await list("ListUsers", [("MaxItems", "1000")], "Users").compactMap { user in
            user.value("UserName").map { ($0, user.value("PasswordLastUsed").flatMap(TimeText.parse)) }
        }
        var accounts = try await boundedMap(users, limit: concurrency) { user in
            try await self.account(user.name, lastLogin: user.lastLogin, policies: policies)
        }

        let summary = try await call("GetAccountSummary")
        let entries = summary.all(path: ["GetAccountSummaryResult", "SummaryMap", "entry"])
        guard let rootMFA = entries.first(where: { $0.value("key") == "AccountMFAEnabled" })?.value("value") else {
            throw SourceError.unavailable(source: client.source, reason: "IAM GetAccountSummary: no AccountMFAEnabled in the answer")
        }
        accounts.append(Account(system: "AWS", login: qualified("root"), email: nil, active: true, mfaEnabled: rootMFA == "1",
                                privileged: true, roles: ["root user"]))
        return accounts
    }

    private func account(_ name: String, lastLogin: Date?, policies documents: PolicyDocuments) async throws -> Account {
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
        // Managed policies attached to the user and its groups, and the inline policies of each.
        var attached = try await list("ListAttachedUserPolicies", user, "AttachedPolicies")
        var inline = try await list("ListUserPolicies", user, "PolicyNames").map { ("GetUserPolicy", user + [("PolicyName", $0.text)], $0.text) }
        for group in try await list("ListGroupsForUser", user, "Groups").compactMap({ $0.value("GroupName") }) {
            attached += try await list("ListAttachedGroupPolicies", [("GroupName", group)], "AttachedPolicies")
            inline += try await list("ListGroupPolicies", [("GroupName", group)], "PolicyNames")
                .map { ("GetGroupPolicy", [("GroupName", group), ("PolicyName", $0.text)], "\($0.text) (group \(group))") }
        }
        var policies = attached.compactMap { $0.value("PolicyName") }
        var administers = policies.contains { Self.administratorPolicies.contains($0) }
        for (action, parameters, label) in inline {
            policies.append("\(label) (inline)")
            guard !administers else { continue }
            let answer = try await call(action, parameters)
            administers = try Self.grantsAdministration(document(answer.value("\(action)Result", "PolicyDocument"), what: "IAM \(action) \(label)"))
        }
        for policy in attached where !administers {
            guard let arn = policy.value("PolicyArn"), !arn.hasPrefix("arn:aws:iam::aws:policy/") else { continue }   // AWS-managed: by name
            administers = try await documents.grantsAdministration(arn) { try await self.customerPolicyGrantsAdministration(arn) }
        }
        let email = try await list("ListUserTags", user, "Tags").first { $0.value("Key")?.lowercased() == "email" }?.value("Value")
        var roles: [String] = []
        if console { roles.append("console") }
        if !keys.isEmpty { roles.append("\(keys.count) active access key\(keys.count == 1 ? "" : "s")") }
        roles += Set(policies).sorted()
        return Account(system: "AWS", login: qualified(name), email: email, active: console || !keys.isEmpty, mfaEnabled: mfa,
                       privileged: administers, roles: roles, lastLoginAt: lastLogin, interactive: console,
                       accessKeys: accessKeys)
    }

    private func qualified(_ login: String) -> String { qualifier.map { "\($0)/\(login)" } ?? login }

    /// AWS-managed policies that administer the account: everything, or IAM (which can grant everything).
    static let administratorPolicies: Set<String> = ["AdministratorAccess", "IAMFullAccess"]

    /// A customer-managed policy's default version (`GetPolicy`, then `GetPolicyVersion`).
    private func customerPolicyGrantsAdministration(_ arn: String) async throws -> Bool {
        let policy = try await call("GetPolicy", [("PolicyArn", arn)])
        guard let version = policy.value("GetPolicyResult", "Policy", "DefaultVersionId") else {
            throw SourceError.unavailable(source: client.source, reason: "IAM GetPolicy \(arn): no DefaultVersionId in the answer")
        }
        let answer = try await call("GetPolicyVersion", [("PolicyArn", arn), ("VersionId", version)])
        return try Self.grantsAdministration(document(answer.value("GetPolicyVersionResult", "PolicyVersion", "Document"),
                                                      what: "IAM GetPolicyVersion \(arn)"))
    }

    /// A policy document as IAM returns it (URL-encoded JSON; emulators may send it plain).
    private func document(_ text: String?, what: String) throws -> [String: Any] {
        guard let text else { throw SourceError.unavailable(source: client.source, reason: "\(what): no policy document in the answer") }
        for candidate in [text.removingPercentEncoding, text].compactMap({ $0 }) {
            if let object = (try? JSONSerialization.jsonObject(with: Data(candidate.utf8))) as? [String: Any] { return object }
        }
        throw SourceError.unavailable(source: client.source, reason: "\(what): the policy document is not JSON")
    }

    /// True when a statement allows every action, or every IAM action, on every resource.
    static func grantsAdministration(_ document: [String: Any]) -> Bool {
        let statements = (document["Statement"] as? [[String: Any]]) ?? ((document["Statement"] as? [String: Any]).map { [$0] } ?? [])
        func strings(_ value: Any?) -> [String] { (value as? [String]) ?? [(value as? String)].compactMap { $0 } }
        return statements.contains { statement in
            guard statement["Effect"] as? String == "Allow" else { return false }
            let actions = strings(statement["Action"]).map { $0.lowercased() }
            let everything = actions.contains { $0 == "*" || $0 == "*:*" || $0 == "iam:*" }
            return everything && strings(statement["Resource"]).contains("*")
        }
    }

    /// Customer-managed policies judged once per run, however many users hold them (users read at once share
    /// the read in flight).
    actor PolicyDocuments {
        private var judged: [String: Task<Bool, any Error>] = [:]
        func grantsAdministration(_ arn: String, judge: @escaping @Sendable () async throws -> Bool) async throws -> Bool {
            if let known = judged[arn] { return try await known.value }
            let reading = Task { try await judge() }
            judged[arn] = reading
            return try await reading.value
        }
    }

    private func list(_ action: String, _ parameters: [(String, String)], _ field: String) async throws -> [XMLElementNode] {
        try await client.queryAll(service: "iam", region: "us-east-1", action: action, version: Self.version, parameters, list: field)
    }

    private func call(_ action: String, _ parameters: [(String, String)] = []) async throws -> XMLElementNode {
        try await client.query(service: "iam", region: "us-east-1", action: action, version: Self.version, parameters)
    }
}

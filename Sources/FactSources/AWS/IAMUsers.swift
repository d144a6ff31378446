import Core
import Foundation
import HTTP

/// IAM users as accounts (CC6.1, CC6.2, CC6.3), plus the root user, read in bulk: a number of requests that does
/// not grow with the users, except where the bulk answers cannot say.
///
/// - `GetAccountAuthorizationDetails` (users, groups and customer-managed policies, paged by `Marker`) names every
///   user, its groups, its managed and inline policies and its tags: a user is privileged when it or one of its groups
///   holds AdministratorAccess or IAMFullAccess, or a policy of their own — inline or customer-managed (its default
///   version) — that allows `*` or `iam:*` on every resource (`grantsAdministration`); the `email` tag (any case)
///   matches it to a person, since IAM users have no email of their own.
/// - The credential report (`GenerateCredentialReport` until `COMPLETE`, then `GetCredentialReport`: base64 CSV)
///   says for every user whether it has a console password (interactive) and MFA, its last console login, and
///   its access keys (two slots): whether each is active, when it was made (`last_rotated`) and last used. It names
///   no key ids, so a key is known by its user and creation time (`AccessKey.identities`). AWS regenerates the
///   report at most every four hours, so these can be that old.
/// - Per user, only where the report cannot say: `GetUser`, `GetLoginProfile`, `ListMFADevices` and
///   `ListAccessKeys` for a user created since the report. Read `concurrency` at a time.
/// - The root user's MFA from `GetAccountSummary` (current, not the report's age). Its login is the report's own name
///   for it, `<root_account>`, which no IAM user can have (user names allow only letters, digits and `+=,.@_-`).
///
/// With several accounts (`assume_roles`), logins are qualified as `account/user`.
struct IAMUsers: Sendable {
    let client: AWSClient
    /// The account id to qualify logins with, when the source reads several accounts.
    var qualifier: String? = nil
    /// Users whose keys (or whole record) are read one by one, read at once.
    var concurrency = 16
    /// Time between credential-report polls while AWS generates it, and how many polls before giving up.
    var reportPoll: Duration = .seconds(2)
    var reportPolls = 60
    static let version = "2010-05-08"
    /// The credential report's name for the root user, and the root user's login.
    static let rootLogin = "<root_account>"

    func accounts() async throws -> [Account] {
        // The three bulk reads at once: their round trips overlap.
        async let reading = authorizationDetails()
        async let reported = credentialReport()
        async let summarised = call("GetAccountSummary")
        let details = try await reading, report = try await reported
        let policies = PolicyDocuments(known: details.policies)
        var accounts = try await boundedMap(details.users, limit: concurrency) { user in
            try await self.account(user, details: details, row: report.row(name: user.name, arn: user.arn), policies: policies)
        }

        let summary = try await summarised
        let entries = summary.all(path: ["GetAccountSummaryResult", "SummaryMap", "entry"])
        guard let rootMFA = entries.first(where: { $0.value("key") == "AccountMFAEnabled" })?.value("value") else {
            throw SourceError.unavailable(source: client.source, reason: "IAM GetAccountSummary: no AccountMFAEnabled in the answer")
        }
        accounts.append(Account(system: "AWS", login: qualified(Self.rootLogin), email: nil, active: true, mfaEnabled: rootMFA == "1",
                                privileged: true, roles: [Account.rootUserRole]))
        return accounts
    }

    // MARK: Authorization details

    struct User: Sendable {
        var name: String
        var arn: String
        var groups: [String]
        var attached: [(name: String, arn: String)]
        var inline: [(name: String, document: String?)]
        var email: String?
    }

    struct Group: Sendable {
        var attached: [(name: String, arn: String)]
        var inline: [(name: String, document: String?)]
    }

    struct Details: Sendable {
        var users: [User] = []
        var groups: [String: Group] = [:]
        /// Customer-managed policies by ARN: their default version's document (URL-encoded JSON), if the answer had it.
        var policies: [String: String] = [:]
    }

    /// Users, groups and customer-managed policies, every page.
    func authorizationDetails() async throws -> Details {
        let filter = [("Filter.member.1", "User"), ("Filter.member.2", "Group"), ("Filter.member.3", "LocalManagedPolicy"), ("MaxItems", "1000")]
        let pages = try await client.queryPages(service: "iam", region: "us-east-1", action: "GetAccountAuthorizationDetails",
                                                version: Self.version, filter)
        func attached(_ node: XMLElementNode) -> [(name: String, arn: String)] {
            node.all(path: ["AttachedManagedPolicies", "member"]).compactMap { p in
                guard let name = p.value("PolicyName"), let arn = p.value("PolicyArn") else { return nil }
                return (name, arn)
            }
        }
        func inline(_ node: XMLElementNode, _ list: String) -> [(name: String, document: String?)] {
            node.all(path: [list, "member"]).compactMap { p in p.value("PolicyName").map { ($0, p.value("PolicyDocument")) } }
        }
        var details = Details()
        for page in pages {
            for user in page.all(path: ["UserDetailList", "member"]) {
                guard let name = user.value("UserName"), let arn = user.value("Arn") else {
                    throw SourceError.unavailable(source: client.source, reason: "IAM GetAccountAuthorizationDetails: a user without a UserName or Arn")
                }
                let email = user.all(path: ["Tags", "member"]).first { $0.value("Key")?.lowercased() == "email" }?.value("Value")
                details.users.append(User(name: name, arn: arn, groups: user.all(path: ["GroupList", "member"]).map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) },
                                          attached: attached(user), inline: inline(user, "UserPolicyList"), email: email))
            }
            for group in page.all(path: ["GroupDetailList", "member"]) {
                guard let name = group.value("GroupName") else { continue }
                details.groups[name] = Group(attached: attached(group), inline: inline(group, "GroupPolicyList"))
            }
            for policy in page.all(path: ["Policies", "member"]) {
                guard let arn = policy.value("Arn") else { continue }
                let versions = policy.all(path: ["PolicyVersionList", "member"])
                let version = versions.first { $0.value("IsDefaultVersion") == "true" }
                    ?? policy.value("DefaultVersionId").flatMap { id in versions.first { $0.value("VersionId") == id } }
                if let document = version?.value("Document") { details.policies[arn] = document }
            }
        }
        return details
    }

    private func account(_ user: User, details: Details, row: CredentialReport.Row?, policies documents: PolicyDocuments) async throws -> Account {
        let console: Bool, mfa: Bool, lastLogin: Date?
        var accessKeys: [AccessKey] = []
        if let row {
            console = row["password_enabled"] == "true"
            mfa = row["mfa_active"] == "true"
            lastLogin = row["password_last_used"].flatMap(TimeText.parse)
            guard let keys = row.accessKeys else {
                // A key we cannot date cannot be judged by age: an error, not a key left out.
                throw SourceError.unavailable(source: client.source, reason: "IAM GetCredentialReport \(user.name): an access key without a readable last_rotated")
            }
            accessKeys = keys
        } else {
            // Created since the report: ask about this user alone.
            let parameters = [("UserName", user.name)]
            let got = try await call("GetUser", parameters)
            lastLogin = got.value("GetUserResult", "User", "PasswordLastUsed").flatMap(TimeText.parse)
            console = try await client.queryUnlessMissing(service: "iam", region: "us-east-1", action: "GetLoginProfile", version: Self.version, parameters) != nil
            mfa = try await list("ListMFADevices", parameters, "MFADevices").isEmpty == false
            accessKeys = try await listAccessKeys(user.name)
        }
        let keys = accessKeys.filter(\.active)

        // Managed policies attached to the user and its groups, and the inline policies of each.
        var attached = user.attached
        var inline = user.inline.map { (label: $0.name, document: $0.document) }
        for name in user.groups {
            guard let group = details.groups[name] else {
                throw SourceError.unavailable(source: client.source, reason: "IAM GetAccountAuthorizationDetails: user \(user.name) is in group \(name), which the answer does not list")
            }
            attached += group.attached
            inline += group.inline.map { (label: "\($0.name) (group \(name))", document: $0.document) }
        }
        var policies = attached.map(\.name)
        var administers = policies.contains { Self.administratorPolicies.contains($0) }
        for policy in inline {
            policies.append("\(policy.label) (inline)")
            guard !administers else { continue }
            administers = try Self.grantsAdministration(document(policy.document, what: "IAM GetAccountAuthorizationDetails \(user.name): inline policy \(policy.label)"))
        }
        for policy in attached where !administers {
            guard !policy.arn.hasPrefix("arn:aws:iam::aws:policy/") else { continue }   // AWS-managed: by name
            administers = try await documents.grantsAdministration(policy.arn) { known in
                if let known { return try Self.grantsAdministration(self.document(known, what: "IAM GetAccountAuthorizationDetails policy \(policy.arn)")) }
                return try await self.customerPolicyGrantsAdministration(policy.arn)
            }
        }
        var roles: [String] = []
        if console { roles.append("console") }
        if !keys.isEmpty { roles.append("\(keys.count) active access key\(keys.count == 1 ? "" : "s")") }
        roles += Set(policies).sorted()
        return Account(system: "AWS", login: qualified(user.name), email: user.email, active: console || !keys.isEmpty, mfaEnabled: mfa,
                       privileged: administers, roles: roles, lastLoginAt: lastLogin, interactive: console,
                       accessKeys: accessKeys)
    }

    /// The access keys of a user created since the report (`ListAccessKeys`): ids and creation times, no last use
    /// (the next report has it).
    private func listAccessKeys(_ name: String) async throws -> [AccessKey] {
        try await list("ListAccessKeys", [("UserName", name)], "AccessKeyMetadata").map { key -> AccessKey in
            // A key we cannot date cannot be judged by age: an error, not a key left out.
            guard let id = key.value("AccessKeyId"), let created = key.value("CreateDate").flatMap(TimeText.parse) else {
                throw SourceError.unavailable(source: client.source, reason: "IAM ListAccessKeys \(name): a key without an id or a readable CreateDate")
            }
            return AccessKey(id: id, active: key.value("Status") == "Active", createdAt: created)
        }
    }

    private func qualified(_ login: String) -> String { qualifier.map { "\($0)/\(login)" } ?? login }

    /// AWS-managed policies that administer the account: everything, or IAM (which can grant everything).
    static let administratorPolicies: Set<String> = ["AdministratorAccess", "IAMFullAccess"]

    /// A customer-managed policy the authorization details did not carry: its default version (`GetPolicy`, then
    /// `GetPolicyVersion`).
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
    /// the judgement in flight). `known` holds the documents the authorization details carried.
    actor PolicyDocuments {
        private let known: [String: String]
        private var judged: [String: Task<Bool, any Error>] = [:]
        init(known: [String: String]) { self.known = known }
        func grantsAdministration(_ arn: String, judge: @escaping @Sendable (String?) async throws -> Bool) async throws -> Bool {
            if let judgement = judged[arn] { return try await judgement.value }
            let document = known[arn]
            let reading = Task { try await judge(document) }
            judged[arn] = reading
            return try await reading.value
        }
    }

    // MARK: Credential report

    /// The credential report's rows by user, with its header's column names.
    struct CredentialReport: Sendable {
        struct Row: Sendable {
            let fields: [String: String]
            subscript(_ column: String) -> String? { fields[column] }
            /// The user's access keys, active or not, from the two key slots: whether each is active, its creation
            /// time (`last_rotated`: a key is never rotated in place, a new key is made) and last use. nil when a
            /// slot is active but its creation time unreadable (such a key cannot be judged by age).
            var accessKeys: [AccessKey]? {
                var keys: [AccessKey] = []
                for slot in [1, 2] {
                    let active = fields["access_key_\(slot)_active"] == "true"
                    guard let created = fields["access_key_\(slot)_last_rotated"].flatMap(TimeText.parse) else {
                        if active { return nil }
                        continue   // `N/A`: no key in this slot
                    }
                    keys.append(AccessKey(active: active, createdAt: created,
                                          lastUsedAt: fields["access_key_\(slot)_last_used_date"].flatMap(TimeText.parse)))
                }
                return keys
            }
        }
        let columns: [String]
        /// Data lines keyed by their user name (the text before `,arn:`: IAM user names cannot hold a colon).
        let lines: [String: Substring]

        init(csv: String) {
            var all = csv.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline)
            columns = all.isEmpty ? [] : all.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            var lines: [String: Substring] = [:]
            for line in all {
                guard let cut = line.range(of: ",arn:") else { continue }
                lines[String(line[..<cut.lowerBound])] = line
            }
            self.lines = lines
        }

        /// The row of user `name` with `arn`; nil when the report does not have it (created since, or a line it
        /// cannot read). The line is matched on its `name,arn,` start, so commas in names and paths cannot shift
        /// the columns after it (dates, flags, regions and service names hold none).
        func row(name: String, arn: String) -> Row? {
            let start = "\(name),\(arn),"
            guard columns.count > 2, columns[0] == "user", columns[1] == "arn",
                  let line = lines[name], line.hasPrefix(start) else { return nil }
            let rest = line.dropFirst(start.count).split(separator: ",", omittingEmptySubsequences: false)
            guard rest.count == columns.count - 2 else { return nil }
            return Row(fields: Dictionary(zip(columns.dropFirst(2), rest.map(String.init)), uniquingKeysWith: { first, _ in first }))
        }
    }

    /// The current credential report: asks AWS to generate it (it returns at once when one under four hours old
    /// exists) and reads it once ready. Not ready after `reportPolls` tries, or unreadable: an error.
    func credentialReport() async throws -> CredentialReport {
        for _ in 0..<max(1, reportPolls) {
            let state = try await call("GenerateCredentialReport").value("GenerateCredentialReportResult", "State")
            // STARTED or INPROGRESS: some servers have it at once, so ask before waiting.
            do {
                return try await readCredentialReport()
            } catch SourceError.unavailable(_, let reason) where state != "COMPLETE"
                        && ["ReportInProgress", "ReportNotPresent", "ReportExpired"].contains(where: reason.contains) {
                try await client.clock.sleep(for: reportPoll)
            }
        }
        throw SourceError.unavailable(source: client.source, reason: "IAM GetCredentialReport: the report was not ready after \(reportPolls) tries")
    }

    private func readCredentialReport() async throws -> CredentialReport {
        let answer = try await call("GetCredentialReport")
        guard let content = answer.value("GetCredentialReportResult", "Content") else {
            throw SourceError.unavailable(source: client.source, reason: "IAM GetCredentialReport: no Content in the answer")
        }
        let compact = content.filter { !$0.isWhitespace }
        let text: String
        if let data = Data(base64Encoded: compact), let decoded = String(data: data, encoding: .utf8) {
            text = decoded
        } else if content.hasPrefix("user,") {
            text = content   // an emulator that sends it plain
        } else {
            throw SourceError.unavailable(source: client.source, reason: "IAM GetCredentialReport: the content is neither base64 nor CSV")
        }
        let report = CredentialReport(csv: text)
        guard report.columns.starts(with: ["user", "arn"]),
              ["password_enabled", "mfa_active", "password_last_used", "access_key_1_last_rotated"].allSatisfy(report.columns.contains) else {
            throw SourceError.unavailable(source: client.source, reason: "IAM GetCredentialReport: the report lacks the columns user, arn, password_enabled, mfa_active, password_last_used, access_key_1_last_rotated")
        }
        return report
    }

    private func list(_ action: String, _ parameters: [(String, String)], _ field: String) async throws -> [XMLElementNode] {
        try await client.queryAll(service: "iam", region: "us-east-1", action: action, version: Self.version, parameters, list: field)
    }

    private func call(_ action: String, _ parameters: [(String, String)] = []) async throws -> XMLElementNode {
        try await client.query(service: "iam", region: "us-east-1", action: action, version: Self.version, parameters)
    }
}

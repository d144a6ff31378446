import Core
import Foundation

/// Okta users as accounts (CC6.1, CC6.2, CC6.3).
///
/// - Listing: `GET /api/v1/users?search=status eq "STAGED" or … or status eq "DEPROVISIONED"&limit=200`. A plain
///   list leaves out DEPROVISIONED users; a `search` naming every status includes them (search reads an index
///   that may lag a change by seconds; the next run sees it).
/// - Active: ACTIVE, PASSWORD_EXPIRED, LOCKED_OUT and RECOVERY are accounts a person still holds (a lock-out or an
///   expired password is one reset away from a sign-in). SUSPENDED, DEPROVISIONED, and STAGED / PROVISIONED (never
///   activated, cannot sign in) are not. A status this build does not know counts as active, so a new state
///   raises a question rather than hiding an account.
/// - Only active users are read further (two calls each, `concurrency` at a time), so a large org's departed users
///   cost nothing; inactive users report `mfaEnabled: nil`, not privileged, no roles.
/// - MFA (`GET /api/v1/users/{id}/factors`): enabled when an ACTIVE factor is of a second-factor type. `password`
///   and `question` (a security question) are knowledge the person already types and do not count; every other
///   type does (push, TOTP, WebAuthn / FIDO, SMS, call, e-mail, hardware tokens, Okta FastPass `signed_nonce`).
/// - Privilege (`GET /api/v1/users/{id}/roles`): every ACTIVE admin role assignment, direct or through a group
///   (SUPER_ADMIN, ORG_ADMIN, APP_ADMIN, READ_ONLY_ADMIN, …; a custom role by its label), makes the account
///   privileged; `roles` lists them sorted. Read per user rather than through the IAM assignees list, which
///   would save calls only in orgs with few admins and adds a second pagination scheme.
/// - `lastLogin` is the last sign-in; `login` and `email` come from the profile.
/// - When active users have no second factor, the System Log (`GET /api/v1/logs`, one paged query for the last
///   `systemLogWindow`) says when their factors were deactivated or reset (`user.mfa.factor.deactivate`,
///   `user.mfa.factor.reset_all`): that moment is the account's `mfaChangedAt`, when the MFA failure began.
struct OktaUsers: Sendable {
    let client: OktaClient
    /// How many users' factors and roles are read at once.
    let concurrency: Int

    static let allStatuses = ["STAGED", "PROVISIONED", "ACTIVE", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT", "SUSPENDED", "DEPROVISIONED"]
    static let activeStatuses: Set<String> = ["ACTIVE", "PASSWORD_EXPIRED", "LOCKED_OUT", "RECOVERY"]
    static let inactiveStatuses: Set<String> = ["STAGED", "PROVISIONED", "SUSPENDED", "DEPROVISIONED"]
    /// Factor types that are not a second factor.
    static let knowledgeFactors: Set<String> = ["password", "question"]
    /// How far back the System Log is read for factor changes (Okta keeps 90 days).
    static let systemLogWindow: TimeInterval = 90 * 86_400
    static let factorRemovals = ["user.mfa.factor.deactivate", "user.mfa.factor.reset_all"]

    struct LogEvent: Decodable, Sendable {
        struct Target: Decodable, Sendable { var id: String; var type: String? }
        var eventType: String
        var published: String
        var target: [Target]?
    }

    struct User: Decodable, Sendable {
        struct Profile: Decodable, Sendable { var login: String; var email: String? }
        var id: String
        var status: String
        var lastLogin: String?
        var profile: Profile
    }
    struct Factor: Decodable, Sendable { var factorType: String; var status: String? }
    struct Role: Decodable, Sendable { var type: String; var label: String?; var status: String? }

    static func isActive(_ status: String) -> Bool {
        activeStatuses.contains(status) || !inactiveStatuses.contains(status)
    }

    func accounts() async throws -> [Account] {
        let search = Self.allStatuses.map { "status eq \"\($0)\"" }.joined(separator: " or ")
        let users = try await client.list("Okta list users", try client.url("/api/v1/users", [
            URLQueryItem(name: "search", value: search), URLQueryItem(name: "limit", value: "200"),
        ]), as: User.self)

        var accounts = try await boundedMap(users, limit: concurrency) { try await self.account($0) }
        let withoutMFA = accounts.indices.filter { accounts[$0].active && accounts[$0].mfaEnabled == false }
        if !withoutMFA.isEmpty {
            let removed = try await factorRemovals()
            for index in withoutMFA { accounts[index].mfaChangedAt = removed[users[index].id] }
        }
        return accounts
    }

    /// User id → when their factors were last deactivated or reset, per the System Log.
    /// A bounded query (`since` and `until`): without `until` Okta treats it as polling and always sends a next
    /// link, to the same URL once nothing newer exists, so the pages would never end.
    func factorRemovals() async throws -> [String: Date] {
        let now = client.now()
        let since = TimeText.iso(now.addingTimeInterval(-Self.systemLogWindow))
        let filter = Self.factorRemovals.map { "eventType eq \"\($0)\"" }.joined(separator: " or ")
        let events = try await client.list("Okta System Log", try client.url("/api/v1/logs", [
            URLQueryItem(name: "filter", value: filter), URLQueryItem(name: "since", value: since),
            URLQueryItem(name: "until", value: TimeText.iso(now)), URLQueryItem(name: "limit", value: "1000"),
        ]), as: LogEvent.self)
        var latest: [String: Date] = [:]
        for event in events {
            guard let at = TimeText.parse(event.published) else { continue }
            for target in event.target ?? [] where target.type == nil || target.type == "User" {
                latest[target.id] = max(latest[target.id] ?? at, at)
            }
        }
        return latest
    }

    private func account(_ user: User) async throws -> Account {
        let lastLogin = user.lastLogin.flatMap(TimeText.parse)
        guard Self.isActive(user.status) else {
            return Account(system: "Okta", login: user.profile.login, email: user.profile.email, active: false, mfaEnabled: nil,
                           privileged: false, roles: [], lastLoginAt: lastLogin)
        }
        let id = user.id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? user.id
        let factors = try await client.decode("Okta list factors of \(user.profile.login)", [Factor].self,
                                              from: client.get("Okta list factors of \(user.profile.login)", client.url("/api/v1/users/\(id)/factors")))
        let roles = try await client.decode("Okta list roles of \(user.profile.login)", [Role].self,
                                            from: client.get("Okta list roles of \(user.profile.login)", client.url("/api/v1/users/\(id)/roles")))
        // A factor without a status is not counted as enrolled: a missing field must not read as MFA on.
        let mfa = factors.contains { $0.status == "ACTIVE" && !Self.knowledgeFactors.contains($0.factorType.lowercased()) }
        let held = roles.filter { ($0.status ?? "ACTIVE") == "ACTIVE" }
            .map { $0.type == "CUSTOM" ? ($0.label ?? "CUSTOM") : $0.type }
        let roleNames = Array(Set(held)).sorted()
        return Account(system: "Okta", login: user.profile.login, email: user.profile.email, active: true, mfaEnabled: mfa,
                       privileged: !roleNames.isEmpty, roles: roleNames, lastLoginAt: lastLogin)
    }
}

import Core
import Foundation
import HTTP

/// A group's members, inherited and invited ones included, as accounts. Owners and maintainers are privileged.
/// Two-factor status comes from `GET /users/:id`, which shows `two_factor_enabled` only to instance
/// administrators; for any other token it is unknown (nil), never assumed.
struct GitLabMembers: Sendable {
    let client: GitLabClient
    let group: String

    /// A member as `GET /groups/:id/members/all` gives it; only the fields this reads.
    struct Member: Decodable, Sendable {
        let id: Int
        let username: String
        let state: String?
        let access_level: Int
        let email: String?
        let membership_state: String?
    }

    /// A user as `GET /users/:id` gives it; `two_factor_enabled` is there for administrators only.
    struct User: Decodable, Sendable {
        let two_factor_enabled: Bool?
    }

    /// GitLab's role name for an access level.
    static func role(_ accessLevel: Int) -> String {
        switch accessLevel {
        case 50...: "owner"
        case 40..<50: "maintainer"
        case 30..<40: "developer"
        case 20..<30: "reporter"
        case 15..<20: "planner"
        case 10..<15: "guest"
        case 5..<10: "minimal access"
        default: "no access"
        }
    }

    func accounts() async throws -> [Account] {
        let members = try await client.list("GitLab list group members", "/groups/\(GitLabClient.segment(group))/members/all", as: Member.self)
        var twoFactor: [Int: Bool] = [:]
        for member in members {
            guard let enabled = try await twoFactorEnabled(member.id) else { break }
            twoFactor[member.id] = enabled
        }
        return members.map { member in
            // `deactivated` is not gone: the person reactivates the account by signing in again (GitLab docs), so a
            // leaver's deactivated account still holds access. Blocked and banned accounts cannot sign in.
            Account(system: "GitLab", login: member.username, email: member.email,
                    active: (member.state.map { !Self.cannotSignIn.contains($0) } ?? true) && member.membership_state != "awaiting",
                    mfaEnabled: twoFactor[member.id], privileged: member.access_level >= 40,
                    roles: [Self.role(member.access_level)] + (member.state == "deactivated" ? ["deactivated (signing in reactivates it)"] : []))
        }
    }

    /// User states that cannot sign in.
    static let cannotSignIn: Set<String> = ["blocked", "banned", "ldap_blocked", "blocked_pending_approval"]

    /// The user's 2FA status, or nil when this token is not shown it (the first such answer ends the lookups).
    private func twoFactorEnabled(_ userID: Int) async throws -> Bool? {
        switch try await client.object("GitLab read user", "/users/\(userID)", as: User.self) {
        case .success(let user): return user.two_factor_enabled
        case .failure(let failure) where [403, 404].contains(failure.response.status): return nil
        case .failure(let failure): throw client.failure("GitLab read user", failure.response)
        }
    }
}

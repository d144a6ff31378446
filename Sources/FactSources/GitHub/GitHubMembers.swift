import Core
import Foundation
import HTTP

/// An organization's people as accounts: members (owners privileged, as `org admin`) and outside collaborators,
/// with two-factor status where the token may see it (the `2fa_disabled` filter is for organization owners).
struct GitHubMembers: Sendable {
    let client: GitHubClient
    let organization: String

    /// A user as the members and collaborators lists give it (`simple-user`).
    struct User: Decodable, Sendable {
        let login: String
        let email: String?
    }

    /// Members first, then outside collaborators, each in the API's order.
    func accounts() async throws -> [Account] {
        let org = GitHubClient.segment(organization)
        let members = try await client.list("GitHub list organization members", "/orgs/\(org)/members", as: User.self)
        let admins = Set(try await client.list("GitHub list organization owners", "/orgs/\(org)/members",
                                               query: [URLQueryItem(name: "role", value: "admin")], as: User.self).map(\.login))
        let membersWithout2FA = try await twoFactorDisabled("/orgs/\(org)/members")
        let collaborators = try await client.list("GitHub list outside collaborators", "/orgs/\(org)/outside_collaborators", as: User.self)
        let collaboratorsWithout2FA = try await twoFactorDisabled("/orgs/\(org)/outside_collaborators")

        let memberAccounts = members.map { user in
            let admin = admins.contains(user.login)
            return Account(system: "GitHub", login: user.login, email: user.email, active: true,
                           mfaEnabled: membersWithout2FA.map { !$0.contains(user.login) }, privileged: admin,
                           roles: [admin ? "org admin" : "member"])
        }
        let collaboratorAccounts = collaborators.map { user in
            Account(system: "GitHub", login: user.login, email: user.email, active: true,
                    mfaEnabled: collaboratorsWithout2FA.map { !$0.contains(user.login) }, privileged: false,
                    roles: ["outside collaborator"])
        }
        return memberAccounts + collaboratorAccounts
    }

    /// Logins the `filter=2fa_disabled` list names, or nil when the token may not use the filter (GitHub answers
    /// 422 or 403 unless it belongs to an organization owner): 2FA is then unknown, not assumed.
    private func twoFactorDisabled(_ path: String) async throws -> Set<String>? {
        let outcome = try await client.listOrRefusal("GitHub list accounts without 2FA", path,
                                                     query: [URLQueryItem(name: "filter", value: "2fa_disabled")], as: User.self)
        switch outcome {
        case .items(let users): return Set(users.map(\.login))
        case .refused(let response) where response.status == 422 || response.status == 403: return nil
        case .refused(let response): throw client.failure("GitHub list accounts without 2FA", response)
        }
    }
}

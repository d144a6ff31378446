import Core
import Foundation
import HTTP

/// Accounts from Microsoft Entra ID through Microsoft Graph: users (enabled, last sign-in), MFA registration and
/// admin status from the authentication-methods registration report, and directory-role membership. Serves
/// CC6.1–CC6.3.
///
/// Manifest:
/// ```yaml
/// kind: entra
/// credentials: {client_id: ENTRA_CLIENT_ID, client_secret: ENTRA_CLIENT_SECRET}   # the defaults
/// settings:
///   tenant_id: 00000000-0000-0000-0000-000000000000   # required (a tenant id or its primary domain)
///   authority: https://login.microsoftonline.com    # default
///   graph_url: https://graph.microsoft.com          # default
/// ```
/// The app registration needs the application permissions `User.Read.All`, `AuditLog.Read.All` (sign-in activity
/// and the registration report) and `RoleManagement.Read.Directory`, with admin consent. Sign-in activity needs an
/// Entra ID P1 or P2 licence: without one Graph refuses the user listing and the source reports an error rather
/// than accounts that look as if nobody ever signed in. When only the registration report is refused (403),
/// accounts come back with MFA unknown (`mfaEnabled` nil), so the MFA control reports an `error` for each account,
/// never a pass, and privilege comes from directory roles alone.
package struct EntraSource: FactSource {
    package let id: SourceID
    package var provides: Set<FactKind> { [.accounts] }
    let client: MicrosoftGraphClient

    static let defaultClientIDVariable = "ENTRA_CLIENT_ID"
    static let defaultClientSecretVariable = "ENTRA_CLIENT_SECRET"
    /// What a 403 from Graph means for this source.
    static let forbiddenHint = "; the app needs the application permissions User.Read.All, AuditLog.Read.All and RoleManagement.Read.Directory "
        + "with admin consent (sign-in activity also needs Entra ID P1 or P2)"
    /// Graph's documented cap on expanded relationships: a role showing this many members may have more.
    static let expandLimit = 20

    /// Reads the client id and secret from `environment` by the variable names in `config`; throws
    /// `SourceError.unavailable` saying what to set. `clock` waits out throttling.
    package init(config: SourceConfig, environment: [String: String], transport: any HTTPTransport,
                 clock: any BotClock) throws {
        id = config.id
        client = try MicrosoftGraphClient.make(config: config, settings: Self.descriptor.settings(config), environment: environment,
                                               transport: transport,
                                               defaultClientIDVariable: Self.defaultClientIDVariable,
                                               defaultClientSecretVariable: Self.defaultClientSecretVariable, forbiddenHint: Self.forbiddenHint,
                                               now: clock.nowFunction, sleep: clock.sleepFunction)
    }

    package func facts(_ kinds: Set<FactKind>) async throws -> Facts {
        try await facts(kinds, only: .accounts, in: \.accounts, system: "Entra") { try await accounts() }
    }

    /// Every user, with MFA, admin status and directory roles joined by object id.
    func accounts() async throws -> [Account] {
        let users: [GraphUser] = try await client.list("/v1.0/users", query: [
            URLQueryItem(name: "$select", value: "id,userPrincipalName,mail,accountEnabled,signInActivity"),
            // 999 is Graph's page maximum, but 500 when signInActivity is selected (users: list, page size limits).
            URLQueryItem(name: "$top", value: "500"),
        ], operation: "list users")
        let registrations: [GraphRegistrationDetails]? = try await client.listUnlessForbidden(
            "/v1.0/reports/authenticationMethods/userRegistrationDetails", operation: "read the MFA registration report")
        let rolesByUser = try await directoryRoles()
        let registrationByUser = Dictionary((registrations ?? []).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return try users.map { user in
            let registration = registrationByUser[user.id]
            let roles = (rolesByUser[user.id] ?? []).sorted()
            var lastSignIn: Date?
            if let text = user.signInActivity?.lastSignInDateTime {
                guard let date = RFC3339Timestamp.parse(text) else {
                    throw SourceError.unavailable(source: id, reason: "list users: lastSignInDateTime `\(text)` of \(user.userPrincipalName) is not a date")
                }
                lastSignIn = date.timeIntervalSince1970 <= 0 ? nil : date
            }
            // A user Graph leaves `accountEnabled` off for is counted as enabled, so the controls still look at it.
            return Account(system: "Entra", login: user.userPrincipalName, email: user.mail ?? user.userPrincipalName,
                           active: user.accountEnabled ?? true, mfaEnabled: registration?.isMfaRegistered,
                           privileged: registration?.isAdmin == true || !roles.isEmpty, roles: roles, lastLoginAt: lastSignIn)
        }
    }

    /// Directory-role names by member object id. Roles are read with their members expanded; a role whose
    /// expansion hit Graph's cap has its members listed in full.
    func directoryRoles() async throws -> [String: Set<String>] {
        let roles: [GraphDirectoryRole] = try await client.list("/v1.0/directoryRoles", query: [URLQueryItem(name: "$expand", value: "members")],
                                                                operation: "list directory roles")
        var byUser: [String: Set<String>] = [:]
        for role in roles {
            var members = role.members ?? []
            if members.count >= Self.expandLimit {
                guard role.id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                    throw SourceError.unavailable(source: id, reason: "list directory roles: role id `\(role.id)` is not an object id")
                }
                members = try await client.list("/v1.0/directoryRoles/\(role.id)/members", query: [URLQueryItem(name: "$select", value: "id")],
                                                operation: "list members of \(role.displayName)")
            }
            for member in members { byUser[member.id, default: []].insert(role.displayName) }
        }
        return byUser
    }
}
